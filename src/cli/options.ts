// Command-line options shared by the training commands, and their mapping onto RunConfig keys.
import { Command, InvalidArgumentError, Option } from 'commander';
import type { DeepPartial, RunConfig } from '../config.ts';
import { usageError } from '../errors.ts';
import { parseSchedule } from '../distill/schedule.ts';
import { backendNames } from '../backend/names.ts';
import { addRecipeOptions, recipeFlagsToConfig } from './recipe-flags.ts';

export const backendOption = () =>
  new Option('--backend <name>', 'compute backend').choices([...backendNames]);

import { int, num, positiveInt } from './parsers.ts';
import { remoteFlagsToConfig, type RemoteTeacherFlags } from './remote-teacher-flags.ts';

export { int, num, positiveInt };
export const collect = (value: string, previous: string[] = []) => [...previous, value];

export interface Flags extends RemoteTeacherFlags {
  config?: string;
  dataset?: string;
  data?: string;
  dataKind?: string;
  textField?: string[];
  textColumn?: string[];
  labelField?: string;
  dataDir?: string;
  imageSize?: number;
  channels?: number;
  fit?: string;
  labelColumn?: string;
  skipBadFiles?: boolean;
  dataOption?: string[];
  transferSet?: string;
  trainLimit?: number;
  testLimit?: number;
  validationSize?: number;
  seed?: number;
  splitSeed?: number;
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
  studentShiftPixels?: number;
  teacherCache?: string;
  generations?: number;
  schedule?: string[];
  method?: string;
  preset?: string;
  temperature?: number | 'auto';
  autoTune?: string;
  hardWeight?: number;
  softWeight?: number;
  param?: string[];
  out?: string;
  json?: boolean;
  resume?: string;
  teacher?: string[];
  teacherKind?: string;
  teacherInputName?: string;
  teacherOutputName?: string;
  teacherLayout?: string;
  teacherSize?: [number, number];
  teacherMean?: number[];
  teacherStd?: number[];
  ensemble?: string;
  teacherWeights?: string;
  teacherLogits?: string;
  seeds?: string;
  repeats?: number;
}

/** Options shared by the training commands; each maps onto one key of RunConfig. */
export function addTrainingOptions(
  cmd: Command,
  which: { teacher: boolean; student: boolean; resume?: boolean; method?: boolean },
): Command {
  cmd
    .option('--config <file>', 'JSON config file (flags override it; it overrides defaults)')
    .option('--dataset <name>', 'mnist | fashion-mnist')
    .option('--data-dir <dir>', 'directory with the dataset files (default: the packaged copy)');
  addDataOptions(cmd)
    .option(
      '--train-limit <n>',
      'use only the first n training examples (validation included)',
      positiveInt,
    )
    .option('--test-limit <n>', 'use only the first n test examples', positiveInt)
    .option('--validation-size <n>', 'examples held out of training for model selection', int)
    .option('--seed <n>', 'seed for initialisation, shuffling, augmentation and dropout', int)
    .option(
      '--split-seed <n>',
      "seed of the train/validation/test split of data without a fixed split (default 1, not --seed's)",
      int,
    )
    .addOption(backendOption())
    .option('--threads <n>', 'threads for the native backend', int)
    .option('--batch-size <n>', 'mini-batch size (all stages)', int)
    .addOption(
      new Option('--optimizer <name>', 'optimizer (all stages)').choices([
        'adam',
        'adamw',
        'sgd',
        'momentum',
      ]),
    );
  addRecipeOptions(
    cmd,
    (['teacher', 'student'] as const).filter((stage) => which[stage]),
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
        "student architecture, e.g. 'mlp:64', 'cnn:32-64:128', 'mobilenet:32-64-128' (depthwise-separable), or a saved model folder",
      )
      .option('--student-epochs <n>', 'epochs for the scratch and the distilled student', int)
      .option('--student-lr <x>', 'student learning rate', num)
      .option('--student-dropout <x>', 'student dropout', num)
      .option(
        '--student-shift-pixels <n>',
        'student augmentation: random ±n px shifts (0 = off)',
        int,
      )
      .addOption(
        new Option(
          '--teacher-cache <mode>',
          'compute teacher logits once (auto = when students are not augmented)',
        ).choices(['auto', 'on', 'off']),
      );
  }
  if (which.method ?? which.student) {
    cmd
      .option('--method <name>', 'distillation method (`distillery methods` lists them)')
      .option(
        '--preset <name>',
        "a method's preset of another library's conventions, e.g. textbrewer",
      )
      .option(
        '--temperature <x>',
        "softmax temperature T; 'auto' = choose T and the loss weights on the validation split (the default when neither is set)",
        (v: string) => (v === 'auto' ? 'auto' : num(v)),
      )
      .addOption(
        new Option(
          '--auto-tune <mode>',
          'choose temperature and weights automatically: auto = when none is set, on, off',
        ).choices(['auto', 'on', 'off']),
      )
      .option(
        '--schedule <param=shape:from:to>',
        'per-epoch schedule of a method parameter, e.g. temperature=linear:8:2 (constant|linear|cosine; repeatable)',
        collect,
      )
      .option('--hard-weight <x>', 'weight of the cross-entropy with true labels', num)
      .option('--soft-weight <x>', 'weight of the soft-target term', num)
      .option(
        '--param <key=value>',
        'any method parameter, e.g. --param reduction=mean (repeatable)',
        collect,
      )
      .addHelpText(
        'after',
        '\nMethod parameters can also be given as --<method>.<param> <value>, e.g. --kd.temperature 8,\n--kd.scale-by-temperature-squared false. `distillery methods` lists every method and its parameters.',
      )
      // Unknown tokens are checked by parseMethodFlags (only --<method>.<param> is allowed).
      .allowUnknownOption(true)
      .allowExcessArguments(true);
  }
  if (which.resume ?? true) {
    cmd.option('--resume <run-dir>', 'continue an interrupted run from its last checkpoint');
  }
  return cmd
    .option('--out <dir>', 'parent folder of run folders', undefined)
    .option('--json', 'print only the final results as JSON on stdout');
}

/** Options of a user's data (`--data <path>`); the kind's own options go into `dataOptions`. */
export function addDataOptions(cmd: Command): Command {
  return cmd
    .option(
      '--data <path>',
      'your data: a folder of class folders of images, or a .csv/.tsv/.parquet/.jsonl table (kind detected)',
    )
    .option(
      '--data-kind <kind>',
      'the kind of --data when detection is not enough: image-folder | table | jsonl',
    )
    .option('--image-size <n>', 'image data: resize to n × n pixels (default 32)', int)
    .addOption(
      new Option('--channels <n>', 'image data: 1 = grayscale, 3 = RGB (default 3)')
        .choices(['1', '3'])
        .argParser(Number),
    )
    .addOption(
      new Option(
        '--fit <mode>',
        'image data: how other aspect ratios are fitted (default cover)',
      ).choices(['cover', 'contain', 'fill', 'inside', 'outside']),
    )
    .option('--label-column <name>', 'table data: the column holding the class')
    .option(
      '--text-field <name...>',
      'text data: text field(s) of --data (implies --data-kind text)',
    )
    .option(
      '--text-column <name...>',
      "text data: --text-field in a table's words (the text column(s) of a .csv/.tsv --data)",
    )
    .option('--label-field <name>', 'text data: label field of --data (default label)')
    .option('--skip-bad-files', 'image data: skip unreadable images (their count is reported)')
    .option(
      '--data-option <key=value>',
      'any option of the data kind, e.g. --data-option testFraction=0.25 (repeatable)',
      collect,
    )
    .option(
      '--transfer-set <path>',
      'unlabelled examples (same kind as --data) that only the distilled student learns from, through the teacher',
    );
}

/** --text-field, or --text-column (the same option named as tables name it); both is a conflict. */
function textFieldOf(f: Flags): string[] | undefined {
  if (f.textField && f.textColumn)
    throw usageError('--text-field and --text-column name the same option: give one of them');
  return f.textField ?? f.textColumn;
}

/** The data flags → RunConfig keys (kind options into `dataOptions`, undefined ones dropped). */
export function dataFlagsToConfig(f: Flags): DeepPartial<RunConfig> {
  const textField = textFieldOf(f);
  // Text in a table: --label-column is its --label-field (the text kind's name for it).
  if (textField && f.labelColumn && f.labelField)
    throw usageError('--label-field and --label-column name the same option: give one of them');
  const text = textField !== undefined;
  const options = Object.fromEntries(
    Object.entries({
      imageSize: f.imageSize,
      channels: f.channels,
      fit: f.fit,
      labelColumn: text ? undefined : f.labelColumn,
      skipBadFiles: f.skipBadFiles,
      textField,
      labelField: text ? (f.labelField ?? f.labelColumn) : f.labelField,
      ...Object.fromEntries((f.dataOption ?? []).map((o) => parseParam(o, '--data-option'))),
    }).filter(([, v]) => v !== undefined),
  );
  return {
    data: f.data,
    dataKind: f.dataKind ?? (text || f.labelField ? 'text' : undefined),
    transferSet: f.transferSet,
    dataOptions: Object.keys(options).length ? options : undefined,
  };
}

/** `--seeds` / `--repeats`: the same job over several seeds, with mean ± std and a verdict. */
export function addSeedOptions(cmd: Command): Command {
  return cmd
    .option(
      '--seeds <list>',
      'run once per seed, e.g. 1,2,3: mean ± std per model and the gain paired by seed',
    )
    .option('--repeats <n>', 'shorthand for --seeds <seed>,<seed+1>,… (n seeds)', int);
}

/**
 * Method parameters given as `--<method>.<param> value` or `--<method>.<param>=value`
 * (e.g. `--dkd.beta 8`, `--kd.scale-by-temperature-squared false`). Any other leftover token is
 * an unknown option.
 */
export function parseMethodFlags(
  args: string[],
): { flag: string; method: string; key: string; value: unknown }[] {
  const out = [];
  for (let i = 0; i < args.length; i++) {
    const token = args[i];
    const match = /^--([a-z][a-z0-9-]*)\.([a-zA-Z][a-zA-Z0-9-]*)(?:=(.*))?$/.exec(token);
    if (!match) {
      throw usageError(
        token.startsWith('-')
          ? `unknown option '${token}' (see --help)`
          : `unexpected argument '${token}'`,
      );
    }
    const [, method, kebab, inline] = match;
    let raw = inline;
    if (raw === undefined) {
      raw = args[++i];
      if (raw === undefined) throw usageError(`${token} needs a value`);
    }
    const key = kebab.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
    out.push({ flag: `--${method}.${kebab}`, method, key, value: parseValue(raw) });
  }
  return out;
}

function parseValue(raw: string): unknown {
  if (raw === 'true') return true;
  if (raw === 'false') return false;
  return raw !== '' && Number.isFinite(Number(raw)) ? Number(raw) : raw;
}

function parseParam(text: string, flag = '--param'): [string, unknown] {
  const eq = text.indexOf('=');
  if (eq <= 0) throw usageError(`${flag} ${text}: expected key=value`);
  const key = text.slice(0, eq);
  // An own '__proto__' key would be dropped by the first assignment: the value silently ignored.
  if (key === '__proto__') throw usageError(`${flag} ${text}: '__proto__' is not an option name`);
  return [key, parseValue(text.slice(eq + 1))];
}

/** '224' or '224x224' → [224, 224]. */
export const imageSize = (value: string): [number, number] => {
  const m = /^(\d+)(?:[x×](\d+))?$/.exec(value.trim());
  if (!m || Number(m[1]) < 1 || Number(m[2] ?? m[1]) < 1)
    throw new InvalidArgumentError('expected a size like 224 or 224x224');
  return [Number(m[1]), Number(m[2] ?? m[1])];
};
/** '0.485,0.456,0.406' → numbers. */
export const numbers = (value: string) =>
  value.split(',').map((v) => {
    if (v.trim() === '' || !Number.isFinite(Number(v)))
      throw new InvalidArgumentError('expected comma-separated numbers, e.g. 0.485,0.456,0.406');
    return Number(v);
  });

/** Options of `distill --teacher` that say how a saved teacher is read (its kind, its own input). */
export function addTeacherLoadOptions(cmd: Command): Command {
  return cmd
    .option(
      '--teacher-kind <kind>',
      'teacher kind, when the path does not tell (remote | onnx | graph-model | layers)',
    )
    .option('--teacher-input-name <name>', "the teacher's input to feed, when it has several")
    .option('--teacher-output-name <name>', "the teacher's output to read, when it has several")
    .addOption(
      new Option(
        '--teacher-layout <layout>',
        "the teacher's input layout (default: from its input shape)",
      ).choices(['nchw', 'nhwc']),
    )
    .option(
      '--teacher-size <HxW>',
      "the teacher's input size, e.g. 224 or 224x224 (data is resized)",
      imageSize,
    )
    .option(
      '--teacher-mean <m1,m2,m3>',
      "the teacher's per-channel mean after scaling to [0, 1]",
      numbers,
    )
    .option('--teacher-std <s1,s2,s3>', "the teacher's per-channel std", numbers)
    .addHelpText(
      'after',
      '\nA teacher file may carry these in a sidecar JSON (t.onnx.json beside it, or teacher.json in its folder):\n' +
        '{"input": {"size": [224, 224], "channels": 3, "mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225], "layout": "chw"}, "outputName": "logits"}',
    );
}

/** Flags → the partial config they set (undefined entries are dropped by the merge). */
export function flagsToConfig(f: Flags): DeepPartial<RunConfig> {
  return {
    ...dataFlagsToConfig(f),
    dataset: f.dataset,
    dataDir: f.dataDir,
    trainLimit: f.trainLimit,
    testLimit: f.testLimit,
    validationSize: f.validationSize,
    seed: f.seed,
    splitSeed: f.splitSeed,
    backend: f.backend as RunConfig['backend'],
    threads: f.threads,
    batchSize: f.batchSize,
    outDir: f.out,
    teacherCache: f.teacherCache as RunConfig['teacherCache'],
    generations: f.generations,
    teacherLogits: f.teacherLogits,
    autoTune: f.autoTune as RunConfig['autoTune'],
    schedules: f.schedule ? Object.fromEntries(f.schedule.map(parseSchedule)) : undefined,
    teacherOptions: [
      remoteFlagsToConfig(f),
      f.teacherKind,
      f.teacherInputName,
      f.teacherOutputName,
      f.teacherLayout,
      f.teacherSize,
      f.teacherMean,
      f.teacherStd,
    ].some((v) => v !== undefined)
      ? {
          kind: f.teacherKind,
          inputName: f.teacherInputName,
          outputName: f.teacherOutputName,
          layout: f.teacherLayout as 'nchw' | 'nhwc' | undefined,
          size: f.teacherSize,
          mean: f.teacherMean,
          std: f.teacherStd,
          remote: remoteFlagsToConfig(f),
        }
      : undefined,
    ensemble: {
      combine: f.ensemble as NonNullable<RunConfig['ensemble']>['combine'],
      weights: f.teacherWeights?.split(',').map(Number),
    },
    teacher: {
      arch: f.teacherArch,
      epochs: f.teacherEpochs,
      learningRate: f.teacherLr,
      dropout: f.teacherDropout,
      inputDropout: f.teacherInputDropout,
      shiftPixels: f.shiftPixels,
      optimizer: f.optimizer as RunConfig['teacher']['optimizer'],
      ...recipeFlagsToConfig(f as Record<string, unknown>, 'teacher'),
    },
    student: {
      arch: f.studentArch,
      epochs: f.studentEpochs,
      learningRate: f.studentLr,
      dropout: f.studentDropout,
      shiftPixels: f.studentShiftPixels,
      optimizer: f.optimizer as RunConfig['student']['optimizer'],
      ...recipeFlagsToConfig(f as Record<string, unknown>, 'student'),
    },
    method: {
      name: f.method,
      preset: f.preset,
      temperature: f.temperature,
      hardWeight: f.hardWeight,
      softWeight: f.softWeight,
      ...Object.fromEntries((f.param ?? []).map((p) => parseParam(p))),
    } as DeepPartial<RunConfig['method']>,
  };
}
