// `distillery label` and `distillery worker`: flags → a label target → src/labels/label.ts, and
// the worker loop of src/labels/queue.ts. Progress to stderr, the summary (or JSON) to stdout.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Option, type Command } from 'commander';
import {
  addTeacherLoadOptions,
  backendOption,
  collect,
  dataFlagsToConfig,
  flagsToConfig,
  int,
  positiveInt,
  num,
  type Flags,
} from '../options.ts';
import type { LabelTarget } from '../../labels/target.ts';
import { remoteFlagsToConfig, type RemoteTeacherFlags } from '../remote-teacher-flags.ts';

export interface LabelFlags extends RemoteTeacherFlags {
  teacher: string;
  teacherKind?: string;
  teacherInputName?: string;
  teacherOutputName?: string;
  teacherLayout?: string;
  teacherSize?: [number, number];
  teacherMean?: number[];
  teacherStd?: number[];
  dataset?: string;
  data?: string;
  dataKind?: string;
  dataDir?: string;
  dataOption?: string[];
  trainLimit?: number;
  testLimit?: number;
  validationSize?: number;
  seed?: number;
  splitSeed?: number;
  split: 'train' | 'validation' | 'test';
  textField?: string[];
  labelField?: string;
  out: string;
  shardSize: number;
  dtype: 'float16' | 'float32';
  topK?: number;
  queue?: string;
  queueName?: string;
  parallelShards?: number;
  backend?: string;
  threads?: number;
  json?: boolean;
}

/** Options of a model server teacher (everything but --teacher itself). */
export function addRemoteTeacherOptions(cmd: Command): Command {
  return cmd
    .addOption(
      new Option(
        '--teacher-protocol <name>',
        'protocol of a teacher URL (default: from the URL: …/v2/models/<m> KServe v2, …/v1/models/<m> TF Serving)',
      ).choices(['kserve-v2', 'tf-serving', 'openai']),
    )
    .option('--teacher-model <name>', 'LLM teachers: the model name')
    .option('--prompt <file>', 'LLM teachers: prompt template with {{text}} (and {{labels}})')
    .option('--system <text>', 'LLM teachers: system message')
    .option('--labels <a,b,…>', "LLM teachers: class names in order (default: the data's labels)")
    .option('--label-tokens <a,b,…>', 'LLM teachers: the token standing for each label')
    .option(
      '--top-logprobs <k>',
      'LLM teachers: tokens returned per answer (OpenAI allows 20)',
      int,
    )
    .option(
      '--api-key-env <VAR>',
      'environment variable holding the API key (the key is never printed)',
    )
    .option('--teacher-classes <n>', "class count when the server's metadata does not give it", int)
    .option('--teacher-batch-size <n>', 'examples per request (default 64)', int)
    .addOption(
      new Option('--teacher-output <kind>', 'what the server returns').choices([
        'logits',
        'probabilities',
      ]),
    )
    .option(
      '--teacher-id <id>',
      'stable teacher identity for caches and stores (default: URL + model version)',
    )
    .option('--concurrency <n>', 'requests in flight at most (default 8)', int)
    .option('--rate <n>', 'requests per second at most', num)
    .option('--tokens-per-minute <n>', 'LLM teachers: estimated tokens per minute at most', num)
    .option('--timeout <ms>', 'per request attempt (default 30000)', int)
    .option('--retries <n>', 'retries per request after the first attempt (default 5)', int)
    .option(
      '--json-tensors',
      'KServe v2: send tensors as JSON even when the server lists the binary tensor extension',
    );
}

/** Options of `label`: the teacher (any kind loadTeacher knows) and a server's settings. */
export function addLabelOptions(cmd: Command): Command {
  return addTeacherLoadOptions(
    addRemoteTeacherOptions(
      cmd.requiredOption(
        '--teacher <spec>',
        'any teacher: a tfjs Layers or graph model folder, an .onnx file, a server URL (…/v2/models/<m> KServe v2, …/v1/models/<m> TF Serving) or openai:http://…/v1',
      ),
    ),
  );
}

export function addLabelDataOptions(cmd: Command): Command {
  return cmd
    .option('--dataset <name>', 'a built-in dataset (default mnist)')
    .option(
      '--data <path>',
      'a data folder or file; a .jsonl given alone to an LLM teacher is labelled record by record',
    )
    .option('--data-kind <kind>', 'the kind of --data, if not detected')
    .option('--data-dir <dir>', "a built-in dataset's files")
    .option('--data-option <key=value>', 'any option of the data kind (repeatable)', collect)
    .option('--train-limit <n>', 'use only the first n training examples', positiveInt)
    .option('--test-limit <n>', 'use only the first n test examples', positiveInt)
    .option(
      '--validation-size <n>',
      "examples held out of training (default: the data kind's)",
      int,
    )
    .option('--seed <n>', "the run's seed, as distill takes it", int)
    .option(
      '--split-seed <n>',
      'seed of the train/validation/test split of data without a fixed split (default 1)',
      int,
    )
    .addOption(
      new Option('--split <name>', 'which split to label')
        .choices(['train', 'validation', 'test'])
        .default('train'),
    )
    .option('--text-field <name...>', 'text data: text field(s) (implies --data-kind text)')
    .option('--label-field <name>', "text data: the label field (default 'label')");
}

export async function labelCommand(flags: LabelFlags): Promise<void> {
  const { selectBackend } = await import('../../backend/index.ts');
  const { label } = await import('../../labels/label.ts');
  const { targetReads } = await import('../../labels/target.ts');
  const { resolveTeacherSpec, remoteSettingsFromConfig } = await import('../../teachers/load.ts');
  const { resolveConfig } = await import('../../config.ts');
  const { datasetRefOf } = await import('../../data/index.ts');
  await selectBackend((flags.backend ?? 'auto') as never, { threads: flags.threads });
  // The teacher as distill reads it (same flags, same config keys); the prompt travels as text.
  const { teacherOptions } = flagsToConfig(flags as unknown as Flags);
  const { remote, ...options } = (teacherOptions ?? {}) as NonNullable<
    LabelTarget['teacher']['options']
  > & { remote?: import('../../teachers/remote-config.ts').RemoteTeacherConfig };
  const { protocol, ...settings } = remoteSettingsFromConfig(
    remoteFlagsToConfig(flags) ?? remote ?? {},
  );
  const target: LabelTarget = {
    teacher: {
      spec: resolveTeacherSpec(flags.teacher),
      protocol,
      settings,
      options: Object.keys(options).length > 0 ? options : undefined,
    },
    rows: undefined as never,
  };
  if (
    (await targetReads(target.teacher)) === 'text' &&
    flags.data &&
    !flags.dataKind &&
    !flags.textField
  ) {
    // A .jsonl as it is: every record in file order (unlabelled records too).
    target.rows = {
      kind: 'records',
      path: resolve(flags.data),
      labelField: flags.labelField,
      classNames: settings.labels,
    };
  } else {
    // A split, resolved exactly as distill resolves it from the same flags (kind defaults too),
    // so that `distill --teacher-logits` with these data flags finds the store's rows.
    const config = resolveConfig({
      ...dataFlagsToConfig(flags as unknown as Flags),
      dataset: flags.dataset,
      data: flags.data ? resolve(flags.data) : undefined,
      dataDir: flags.dataDir,
      trainLimit: flags.trainLimit,
      testLimit: flags.testLimit,
      validationSize: flags.validationSize,
      seed: flags.seed,
      splitSeed: flags.splitSeed,
    });
    const ref = { ...datasetRefOf(config), cacheDir: undefined };
    target.rows = { kind: 'dataset', split: flags.split, ref };
  }
  const write = (s: string) => !flags.json && process.stderr.write(s);
  let last = '';
  const summary = await label({
    target,
    out: resolve(flags.out),
    dtype: flags.dtype,
    topK: flags.topK,
    shardSize: flags.shardSize,
    queue: flags.queue,
    queueName: flags.queueName,
    parallelShards: flags.parallelShards,
    onInfo: (m) => write(`${m}\n`),
    onProgress: (p) => {
      const line = `shards ${p.done}/${p.total}${p.waiting !== undefined ? ` · queue: ${p.waiting} waiting, ${p.active} active, ${p.failed} failed` : ''}`;
      if (line !== last) write(`${line}\n`);
      last = line;
    },
  });
  if (flags.json) {
    process.stdout.write(JSON.stringify(summary, null, 2) + '\n');
    return;
  }
  const lines = [
    `Labelled ${summary.rows} rows × ${summary.classes} classes into ${summary.dir}: ${summary.labelled} shard(s) computed, ${summary.skipped} already there (${summary.where}, ${summary.seconds.toFixed(1)} s).`,
  ];
  if (summary.client)
    lines.push(
      `Requests: ${summary.client.requests}, retries: ${summary.client.retries}${
        summary.client.retries
          ? ` (${Object.entries(summary.client.retryReasons)
              .map(([k, v]) => `${k} ${v}`)
              .join(', ')})`
          : ''
      }.`,
    );
  if (summary.labels && summary.labels.textsWithMissingLabel > 0)
    lines.push(
      `Labels outside the top-${summary.teacher.topLogprobs} tokens were floored in ${summary.labels.textsWithMissingLabel} of ${summary.labels.texts} texts (${Object.entries(
        summary.labels.missing,
      )
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}); ${summary.labels.textsWithNoLabel} had no label at all (uniform target).`,
    );
  process.stdout.write(lines.join('\n') + '\n');
}

export interface WorkerFlags {
  queue: string;
  queueName?: string;
  concurrency?: number;
  lockMs?: number;
  backend?: string;
  threads?: number;
}

export async function workerCommand(flags: WorkerFlags): Promise<void> {
  const { selectBackend } = await import('../../backend/index.ts');
  const { startWorker } = await import('../../labels/queue.ts');
  const backend = await selectBackend((flags.backend ?? 'auto') as never, {
    threads: flags.threads,
  });
  const worker = await startWorker({
    queue: flags.queue,
    queueName: flags.queueName,
    concurrency: flags.concurrency,
    lockMs: flags.lockMs,
    onEvent: (m) => process.stderr.write(`worker ${process.pid}: ${m}\n`),
  });
  process.stderr.write(
    `worker ${process.pid}: waiting for shard jobs on ${flags.queue} (${backend.description}); Ctrl-C stops\n`,
  );
  await new Promise<void>((done) => {
    const stop = () => void worker.stop().then(done, done);
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}

export const workerOptions = (cmd: Command) =>
  cmd
    .requiredOption(
      '--queue <redis-url>',
      'the Redis of the label job, e.g. redis://127.0.0.1:6379',
    )
    .option('--queue-name <name>', 'queue name (default distillery-label)')
    .option('--concurrency <n>', 'shard jobs at once in this worker (default 1)', int)
    .option(
      '--lock-ms <ms>',
      'job lock: a silent worker this long is presumed dead (default 30000)',
      int,
    )
    .addOption(backendOption())
    .option(
      '--threads <n>',
      'threads of the native backend (default: half the cores; workers sharing a machine: 1 each)',
      int,
    );
