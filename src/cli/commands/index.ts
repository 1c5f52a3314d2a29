// The command table: one entry per command. An entry configures its options (cheap: commander
// only) and imports its implementation when it runs. Adding a command = one entry here + one file.
import type { Command } from 'commander';
import { addTrainingOptions, backendOption, int, type Flags } from '../options.ts';

export interface CommandSpec {
  name: string;
  description: string;
  configure(cmd: Command): void;
  // commander passes positional arguments, then the options object.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  action(...args: any[]): Promise<void>;
}

export const commands: CommandSpec[] = [
  {
    name: 'run',
    description:
      'train a teacher, a scratch student and a distilled student; evaluate all three side by side',
    configure: (cmd) => addTrainingOptions(cmd, { teacher: true, student: true }),
    action: async (flags: Flags) => (await import('./train.ts')).runTraining('run', flags),
  },
  {
    name: 'train-teacher',
    description: 'train and save a teacher model only',
    configure: (cmd) => addTrainingOptions(cmd, { teacher: true, student: false }),
    action: async (flags: Flags) =>
      (await import('./train.ts')).runTraining('train-teacher', flags),
  },
  {
    name: 'distill',
    description: 'train a scratch student and a distilled student from a saved teacher',
    configure: (cmd) =>
      addTrainingOptions(
        cmd.option(
          '--teacher <model-dir>',
          'saved teacher (a tfjs LayersModel folder, e.g. runs/<run>/models/teacher)',
        ),
        { teacher: false, student: true },
      ),
    action: async (flags: Flags) => (await import('./train.ts')).runTraining('distill', flags),
  },
  {
    name: 'evaluate',
    description: 'evaluate a saved model on a test split',
    configure: (cmd) =>
      cmd
        .argument('<model-dir>', 'a tfjs LayersModel folder (model.json + weights)')
        .option('--dataset <name>', 'mnist | fashion-mnist', 'mnist')
        .option('--data-dir <dir>', 'directory with the dataset files')
        .option('--test-limit <n>', 'use only the first n test examples', int)
        .addOption(backendOption())
        .option('--json', 'print only the results as JSON on stdout'),
    action: async (
      modelDir: string,
      flags: Parameters<typeof import('./evaluate.ts').evaluateCommand>[1],
    ) => (await import('./evaluate.ts')).evaluateCommand(modelDir, flags),
  },
];
