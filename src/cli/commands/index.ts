// The command table: one entry per command. An entry configures its options (cheap: commander
// only) and imports its implementation when it runs. Adding a command = one entry here + one file.
import { Argument, Option, type Command } from 'commander';
import {
  addDataOptions,
  addSeedOptions,
  addTeacherLoadOptions,
  addTrainingOptions,
  backendOption,
  collect,
  int,
  positiveInt,
  type Flags,
} from '../options.ts';
import type { TuneFlags } from './tune.ts';
import * as labelOptions from './label.ts';

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
    configure: (cmd) => addSeedOptions(addTrainingOptions(cmd, { teacher: true, student: true })),
    action: async (flags: Flags, cmd: Command) =>
      (await import('./train.ts')).runTraining('run', flags, cmd.args),
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
        addSeedOptions(labelOptions.addRemoteTeacherOptions(addTeacherLoadOptions(cmd)))
          .option(
            '--teacher <path>',
            'saved teacher: a tfjs Layers or graph model folder / model.json (e.g. runs/<run>/models/teacher), an .onnx file, an http(s) URL of a graph model, or a model server (…/v2/models/<m>, …/v1/models/<m>); repeat for an ensemble',
            collect,
          )
          .addOption(
            new Option('--ensemble <rule>', 'how several teachers combine').choices([
              'mean-logits',
              'mean-probs',
              'confidence',
            ]),
          )
          .option('--teacher-weights <w1,w2,…>', 'ensemble weight per teacher (default equal)')
          .option(
            '--teacher-logits <dir>',
            'a logit store written by `distillery label` on these rows or a superset (rows found by digest): the teacher table (no teacher needed)',
          ),
        { teacher: false, student: true },
      ),
    action: async (flags: Flags, cmd: Command) =>
      (await import('./train.ts')).runTraining('distill', flags, cmd.args),
  },
  {
    name: 'born-again',
    description:
      'self-distillation: a teacher, then generations of its own architecture, each distilled from the last',
    configure: (cmd) =>
      addTrainingOptions(
        addSeedOptions(cmd).option(
          '--generations <n>',
          'student generations after the teacher (default 3)',
          int,
        ),
        { teacher: true, student: false, method: true },
      ),
    action: async (flags: Flags, cmd: Command) =>
      (await import('./train.ts')).runTraining('born-again', flags, cmd.args),
  },
  {
    name: 'tune',
    description:
      'search temperature and loss weights (or any method parameter) on the validation split',
    configure: (cmd) =>
      addTrainingOptions(
        labelOptions
          .addRemoteTeacherOptions(addTeacherLoadOptions(cmd))
          .option(
            '--teacher <path>',
            'saved teacher: a model folder, an .onnx file or a model server URL (as distill takes)',
            collect,
          )
          .option(
            '--teacher-logits <dir>',
            'a logit store written by `distillery label` on these rows or a superset: the teacher table (no teacher needed)',
          )
          .option(
            '--search <key=v1,v2,…>',
            'values to try for a method parameter (repeatable; default temperature and hardWeight)',
            collect,
          )
          .option(
            '--trials <n>',
            'sample at most n candidates from the grid (default: all, at most 27)',
            int,
          )
          .option(
            '--eta <n>',
            'successive halving: keep the best 1/eta at each rung (default 3)',
            int,
          )
          .option(
            '--min-rung-epochs <n>',
            'the first rung trains at least n epochs (counters the bias towards fast starters)',
            int,
          )
          .option(
            '--final-top-k <k>',
            're-train the top k for the full budget and pick the best of them (default 1 = off)',
            int,
          ),
        { teacher: false, student: true, resume: false },
      ),
    action: async (flags: TuneFlags, cmd: Command) =>
      (await import('./tune.ts')).tuneCommand(flags, cmd.args),
  },
  {
    name: 'recipes',
    description: 'list the recipe files (recipes/*.json) with their sources and published numbers',
    configure: (cmd) => cmd.option('--json', 'print as JSON'),
    action: async (flags: { json?: boolean }) =>
      (await import('./recipes.ts')).recipesCommand(flags),
  },
  {
    name: 'reproduce',
    description:
      "run a recipe with several seeds; print mean ± std next to the paper's numbers; update docs/reproductions.md",
    configure: (cmd) =>
      addTrainingOptions(
        cmd
          .argument('<recipe>', "a recipe name ('distillery recipes' lists them) or a recipe file")
          .option('--seeds <list>', "comma-separated seeds (default: the recipe's, e.g. 1,2,3)")
          .option('--doc <file>', 'Markdown file to update (default docs/reproductions.md)')
          .option('--no-reuse-teacher', "retrain each seed's teacher even if one was trained")
          .option('--no-train', 'only report the seeds that already finished (trains nothing)'),
        { teacher: true, student: true, resume: false },
      ),
    action: async (recipe: string, flags: import('./recipes.ts').ReproduceFlags) =>
      (await import('./recipes.ts')).reproduceCommand(recipe, flags),
  },
  {
    name: 'methods',
    description: 'list the distillation methods, their parameters with defaults, and presets',
    configure: (cmd) => cmd.option('--json', 'print as JSON'),
    action: async (flags: { json?: boolean }) =>
      (await import('./methods.ts')).methodsCommand(flags),
  },
  {
    name: 'evaluate',
    description: 'evaluate a saved model on a test split',
    configure: (cmd) =>
      addDataOptions(
        labelOptions
          .addRemoteTeacherOptions(addTeacherLoadOptions(cmd))
          .argument(
            '<model>',
            'a tfjs Layers or graph model folder, an .onnx file, or a model server URL (as distill --teacher takes)',
          )
          .option('--dataset <name>', "mnist | fashion-mnist (default: the run's data, else mnist)")
          .option('--data-dir <dir>', 'directory with the dataset files')
          .option('--test-limit <n>', 'use only the first n test examples', positiveInt)
          .addOption(backendOption())
          .option('--json', 'print only the results as JSON on stdout'),
      ),
    action: async (
      modelDir: string,
      flags: Parameters<typeof import('./evaluate.ts').evaluateCommand>[1],
    ) => (await import('./evaluate.ts')).evaluateCommand(modelDir, flags),
  },
  {
    name: 'report',
    description: "(re)build a run folder's report.html and print its path",
    configure: (cmd) =>
      cmd
        .argument('<run-dir>', 'a run folder (runs/<timestamp>/)')
        .option('--out <file>', 'where to write the page (default <run-dir>/report.html)')
        .addOption(backendOption())
        .addHelpText(
          'after',
          "\nThe saved models are reloaded to recompute test predictions, on the run's own backend\nunless --backend says otherwise.",
        ),
    action: async (
      runDir: string,
      flags: Parameters<typeof import('./report.ts').reportCommand>[1],
    ) => (await import('./report.ts')).reportCommand(runDir, flags),
  },
  {
    name: 'compare',
    description: 'put several runs side by side: differing settings, accuracies, distillation gain',
    configure: (cmd) =>
      cmd
        .argument('<run-dirs...>', 'run folders')
        .option('--out <file.html>', 'also write the comparison as a self-contained HTML page')
        .option('--json', 'print only the comparison as JSON on stdout'),
    action: async (
      runDirs: string[],
      flags: Parameters<typeof import('./compare.ts').compareCommand>[1],
    ) => (await import('./compare.ts')).compareCommand(runDirs, flags),
  },
  {
    name: 'export',
    description:
      'export a saved model for deployment (optionally quantized), with a model card; evaluate it after export',
    configure: (cmd) =>
      cmd
        .argument('<model-dir>', 'a tfjs LayersModel folder, e.g. runs/<run>/models/distilled')
        .requiredOption(
          '--out <dir>',
          'folder to write model.json, weight shards and metadata.json',
        )
        .addOption(
          cmd
            .createOption(
              '--quantize <dtype>',
              'weight encoding; all = every one, each into <out>/<dtype>/',
            )
            .choices(['none', 'float16', 'uint16', 'uint8', 'all'])
            .default('none'),
        )
        .option('--dataset <name>', "test data (default: the run's dataset, else mnist)")
        .option('--data-dir <dir>', 'directory with the dataset files')
        .option('--test-limit <n>', 'use only the first n test examples', positiveInt)
        .addOption(backendOption())
        .option('--force', 'overwrite a non-empty --out folder (never the source model)')
        .option('--json', 'print only the results as JSON on stdout'),
    action: async (modelDir: string, flags: import('./export.ts').ExportFlags) =>
      (await import('./export.ts')).exportCommand(modelDir, flags),
  },
  {
    name: 'cache',
    description: 'list the cached teacher logits (with their checksum status) or clear them',
    configure: (cmd) =>
      cmd
        .addArgument(new Argument('<action>', 'list | clear').choices(['list', 'clear']))
        .option('--out <dir>', 'parent folder of run folders, whose .cache is meant', 'runs')
        .option('--json', 'print as JSON'),
    action: async (action: 'list' | 'clear', flags: { out?: string; json?: boolean }) =>
      (await import('./cache.ts')).cacheCommand(action, flags),
  },
  {
    name: 'serve',
    description:
      'browser demo of a run: draw a digit, see teacher and distilled student predict it in the page',
    configure: (cmd) =>
      cmd
        .argument('[run-dir]', 'a run folder (default: the newest finished one under ./runs)')
        .option('--port <n>', 'port to listen on; 0 = any free port', int, 8080)
        .option('--host <address>', 'address to bind (127.0.0.1 = this machine only)', '127.0.0.1')
        .option('--no-export', 'do not write <run-dir>/exports/uint8 (the quantized student)'),
    action: async (runDir: string | undefined, flags: import('./serve.ts').ServeFlags) =>
      (await import('./serve.ts')).serveCommand(runDir, flags),
  },
  {
    name: 'label',
    description:
      "a teacher's logits over a dataset into a sharded logit store (in this process, or on a queue of workers); resumes",
    configure: (cmd) =>
      labelOptions
        .addLabelDataOptions(labelOptions.addLabelOptions(cmd))
        .requiredOption('--out <dir>', 'the logit store folder (created, or resumed)')
        .option('--shard-size <n>', 'rows per shard', int, 4096)
        .addOption(
          new Option('--dtype <type>', 'stored precision')
            .choices(['float16', 'float32'])
            .default('float16'),
        )
        .option('--top-k <k>', 'keep the k largest logits per row (large label sets)', int)
        .option('--queue <redis-url>', 'label on `distillery worker`s through BullMQ on this Redis')
        .option('--queue-name <name>', 'queue name (default distillery-label)')
        .option('--parallel-shards <n>', 'in process: shards labelled at once (default 1)', int)
        .addOption(backendOption())
        .option('--threads <n>', 'threads of the native backend', int)
        .option('--json', 'print only the summary as JSON on stdout'),
    action: async (flags: labelOptions.LabelFlags) =>
      (await import('./label.ts')).labelCommand(flags),
  },
  {
    name: 'worker',
    description:
      'process shard jobs of `distillery label --queue` (any number, on any machine sharing the store)',
    configure: (cmd) => labelOptions.workerOptions(cmd),
    action: async (flags: labelOptions.WorkerFlags) =>
      (await import('./label.ts')).workerCommand(flags),
  },
];
