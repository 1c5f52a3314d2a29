// The `distillery` command line: a declarative command table over the library's own functions.
// Heavy modules (TensorFlow.js) load lazily, so `--help` is instant. This file is the only place
// that maps errors to exit codes and the only one that exits.
import { Command, InvalidArgumentError, Option } from 'commander';
import type { DeepPartial, RunConfig } from '../config.ts';

const EXIT_CODES = { usage: 2, data: 3, model: 4, training: 5, io: 6 } as const;

const int = (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n)) throw new InvalidArgumentError('expected an integer');
  return n;
};
const num = (value: string) => {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n))
    throw new InvalidArgumentError('expected a number');
  return n;
};
const collect = (value: string, previous: string[] = []) => [...previous, value];

interface Flags {
  config?: string;
  dataset?: string;
  dataDir?: string;
  trainLimit?: number;
  testLimit?: number;
  validationSize?: number;
  seed?: number;
  backend?: string;
  threads?: number;
  batchSize?: number;
  optimizer?: string;
  teacherArch?: string;
  teacherEpochs?: number;
  teacherLr?: number;
  teacherDropout?: number;
  teacherInputDropout?: number;
  shiftPixels?: number;
  studentArch?: string;
  studentEpochs?: number;
  studentLr?: number;
  studentDropout?: number;
  method?: string;
  temperature?: number;
  hardWeight?: number;
  softWeight?: number;
  param?: string[];
  out?: string;
  json?: boolean;
  resume?: string;
  teacher?: string;
}

/** Options shared by the training commands; each maps onto one key of RunConfig. */
function addTrainingOptions(cmd: Command, which: { teacher: boolean; student: boolean }): Command {
  cmd
    .option('--config <file>', 'JSON config file (flags override it; it overrides defaults)')
    .option('--dataset <name>', 'mnist | fashion-mnist')
    .option('--data-dir <dir>', 'directory with the dataset files (default: the packaged copy)')
    .option(
      '--train-limit <n>',
      'use only the first n training examples (validation included)',
      int,
    )
    .option('--test-limit <n>', 'use only the first n test examples', int)
    .option('--validation-size <n>', 'examples held out of training for model selection', int)
    .option('--seed <n>', 'seed for initialisation, shuffling, augmentation and dropout', int)
    .addOption(
      new Option('--backend <name>', 'compute backend').choices([
        'auto',
        'native',
        'wasm',
        'wasm-stock',
        'cpu',
      ]),
    )
    .option('--threads <n>', 'threads for the native backend', int)
    .option('--batch-size <n>', 'mini-batch size (all stages)', int)
    .addOption(
      new Option('--optimizer <name>', 'optimizer (all stages)').choices([
        'adam',
        'sgd',
        'momentum',
      ]),
    );
  if (which.teacher) {
    cmd
      .option(
        '--teacher-arch <spec>',
        "teacher architecture, e.g. 'mlp:1200-1200', 'cnn:32-64:128'",
      )
      .option('--teacher-epochs <n>', 'teacher epochs', int)
      .option('--teacher-lr <x>', 'teacher learning rate', num)
      .option('--teacher-dropout <x>', 'teacher dropout after hidden layers', num)
      .option('--teacher-input-dropout <x>', 'teacher dropout on inputs', num)
      .option('--shift-pixels <n>', 'teacher augmentation: random ±n px shifts (0 = off)', int);
  }
  if (which.student) {
    cmd
      .option(
        '--student-arch <spec>',
        "student architecture, e.g. 'mlp:64', or a saved model folder",
      )
      .option('--student-epochs <n>', 'epochs for the scratch and the distilled student', int)
      .option('--student-lr <x>', 'student learning rate', num)
      .option('--student-dropout <x>', 'student dropout', num)
      .option('--method <name>', 'distillation method (kd)')
      .option('--temperature <x>', 'softmax temperature T', num)
      .option('--hard-weight <x>', 'weight of the cross-entropy with true labels', num)
      .option('--soft-weight <x>', 'weight of the soft-target term', num)
      .option(
        '--param <key=value>',
        'any method parameter, e.g. --param reduction=mean (repeatable)',
        collect,
      );
  }
  return cmd
    .option('--out <dir>', 'parent folder of run folders', undefined)
    .option('--resume <run-dir>', 'continue an interrupted run from its last checkpoint')
    .option('--json', 'print only the final results as JSON on stdout');
}

function parseParam(text: string): [string, unknown] {
  const eq = text.indexOf('=');
  if (eq <= 0) throw new InvalidArgumentError(`--param ${text}: expected key=value`);
  const key = text.slice(0, eq);
  const raw = text.slice(eq + 1);
  const value =
    raw === 'true'
      ? true
      : raw === 'false'
        ? false
        : raw !== '' && Number.isFinite(Number(raw))
          ? Number(raw)
          : raw;
  return [key, value];
}

/** Flags → the partial config they set (undefined entries are dropped by the merge). */
function flagsToConfig(f: Flags): DeepPartial<RunConfig> {
  return {
    dataset: f.dataset,
    dataDir: f.dataDir,
    trainLimit: f.trainLimit,
    testLimit: f.testLimit,
    validationSize: f.validationSize,
    seed: f.seed,
    backend: f.backend as RunConfig['backend'],
    threads: f.threads,
    batchSize: f.batchSize,
    outDir: f.out,
    teacher: {
      arch: f.teacherArch,
      epochs: f.teacherEpochs,
      learningRate: f.teacherLr,
      dropout: f.teacherDropout,
      inputDropout: f.teacherInputDropout,
      shiftPixels: f.shiftPixels,
      optimizer: f.optimizer as RunConfig['teacher']['optimizer'],
    },
    student: {
      arch: f.studentArch,
      epochs: f.studentEpochs,
      learningRate: f.studentLr,
      dropout: f.studentDropout,
      optimizer: f.optimizer as RunConfig['student']['optimizer'],
    },
    method: {
      name: f.method,
      temperature: f.temperature,
      hardWeight: f.hardWeight,
      softWeight: f.softWeight,
      ...Object.fromEntries((f.param ?? []).map(parseParam)),
    } as DeepPartial<RunConfig['method']>,
  };
}

async function runTraining(
  command: 'run' | 'train-teacher' | 'distill',
  flags: Flags,
): Promise<void> {
  const { resolveConfig, readConfigFile } = await import('../config.ts');
  const { runPipeline, readRunConfig } = await import('../pipeline/pipeline.ts');
  const { resultsSummary } = await import('../report/table.ts');
  const { createProgress } = await import('./progress.ts');
  const { usageError } = await import('../errors.ts');

  let config: RunConfig;
  let teacherDir = flags.teacher;
  if (flags.resume) {
    const saved = readRunConfig(flags.resume);
    if (saved.command !== command) {
      throw usageError(
        `${flags.resume} was started by 'distillery ${saved.command}': resume it with that command`,
      );
    }
    config = saved.config;
    teacherDir = saved.teacherDir;
  } else {
    if (command === 'distill' && !teacherDir) {
      throw usageError(
        `distill needs --teacher <model-dir> (a saved teacher, e.g. runs/<run>/models/teacher)`,
      );
    }
    config = resolveConfig(flags.config ? readConfigFile(flags.config) : {}, flagsToConfig(flags));
  }
  const mode = flags.json ? 'silent' : process.stderr.isTTY ? 'tty' : 'plain';
  const results = await runPipeline({
    config,
    command,
    teacherDir,
    resumeDir: flags.resume,
    events: createProgress(mode),
  });
  if (flags.json) {
    process.stdout.write(JSON.stringify(results, null, 2) + '\n');
  } else {
    process.stdout.write(resultsSummary(results) + '\n');
    process.stdout.write(`Results, config, metrics and models: ${results.runDir}\n`);
  }
}

async function evaluateCommand(
  modelDir: string,
  flags: {
    dataset?: string;
    dataDir?: string;
    testLimit?: number;
    backend?: string;
    json?: boolean;
  },
): Promise<void> {
  const { loadModel } = await import('../export/model-io.ts');
  const { selectBackend } = await import('../backend/index.ts');
  const { datasets } = await import('../data/index.ts');
  const { evaluate } = await import('../eval/evaluate.ts');
  const { evaluationTable } = await import('../report/table.ts');
  const { usageError } = await import('../errors.ts');
  const { checkCompatible } = await import('../models/index.ts');
  const backend = await selectBackend((flags.backend ?? 'auto') as never);
  const name = flags.dataset ?? 'mnist';
  if (!(name in datasets))
    throw usageError(`unknown dataset '${name}': use one of ${Object.keys(datasets).join(', ')}`);
  const data = await datasets[name as keyof typeof datasets]({
    dataDir: flags.dataDir,
    testLimit: flags.testLimit,
    validationSize: 1,
  });
  const model = await loadModel(modelDir);
  const { createMlp } = await import('../models/index.ts');
  checkCompatible(
    createMlp({ inputShape: data.inputShape, hidden: [], classes: data.classes }),
    model,
  );
  const evaluation = await evaluate({ models: { [modelDir]: model }, data: data.test });
  if (flags.json) {
    process.stdout.write(
      JSON.stringify({ backend, dataset: name, rows: evaluation.rows }, null, 2) + '\n',
    );
  } else {
    process.stdout.write(evaluationTable(evaluation.rows) + '\n');
    process.stdout.write(
      `${data.name} test split (${data.test.count} examples), backend ${backend.description}\n`,
    );
  }
}

export function buildProgram(): Command {
  const program = new Command('distillery')
    .exitOverride()
    .description('Knowledge distillation for TypeScript on TensorFlow.js (Hinton et al. 2015)')
    .showHelpAfterError('(run with --help for usage)');

  addTrainingOptions(
    program
      .command('run')
      .description(
        'train a teacher, a scratch student and a distilled student; evaluate all three side by side',
      ),
    { teacher: true, student: true },
  ).action((flags: Flags) => runTraining('run', flags));

  addTrainingOptions(
    program.command('train-teacher').description('train and save a teacher model only'),
    {
      teacher: true,
      student: false,
    },
  ).action((flags: Flags) => runTraining('train-teacher', flags));

  addTrainingOptions(
    program
      .command('distill')
      .description('train a scratch student and a distilled student from a saved teacher')
      .option(
        '--teacher <model-dir>',
        'saved teacher (a tfjs LayersModel folder, e.g. runs/<run>/models/teacher)',
      ),
    { teacher: false, student: true },
  ).action((flags: Flags) => runTraining('distill', flags));

  program
    .command('evaluate')
    .description('evaluate a saved model on a test split')
    .argument('<model-dir>', 'a tfjs LayersModel folder (model.json + weights)')
    .option('--dataset <name>', 'mnist | fashion-mnist', 'mnist')
    .option('--data-dir <dir>', 'directory with the dataset files')
    .option('--test-limit <n>', 'use only the first n test examples', int)
    .addOption(
      new Option('--backend <name>', 'compute backend').choices([
        'auto',
        'native',
        'wasm',
        'wasm-stock',
        'cpu',
      ]),
    )
    .option('--json', 'print only the results as JSON on stdout')
    .action(evaluateCommand);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv);
    return 0;
  } catch (e) {
    const err = e as {
      code?: string;
      exitCode?: number;
      kind?: keyof typeof EXIT_CODES;
      message?: string;
    };
    if (err.code?.startsWith('commander.')) {
      // commander printed the message (or help) already.
      return err.code === 'commander.helpDisplayed' || err.code === 'commander.version' ? 0 : 2;
    }
    if (err.kind && err.kind in EXIT_CODES) {
      process.stderr.write(`distillery: ${err.message}\n`);
      return EXIT_CODES[err.kind];
    }
    process.stderr.write(`distillery: unexpected error: ${(e as Error).stack ?? String(e)}\n`);
    return 1;
  }
}

process.exitCode = await main(process.argv);
