// `distillery label` and `distillery worker`: flags → a label target → src/labels/label.ts, and
// the worker loop of src/labels/queue.ts. Progress to stderr, the summary (or JSON) to stdout.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { backendOption, int, num } from '../options.ts';

export interface LabelFlags {
  teacher: string;
  teacherProtocol?: string;
  teacherModel?: string;
  teacherClasses?: number;
  teacherBatchSize?: number;
  teacherOutput?: 'logits' | 'probabilities';
  teacherId?: string;
  prompt?: string;
  system?: string;
  labels?: string;
  labelTokens?: string;
  topLogprobs?: number;
  apiKeyEnv?: string;
  concurrency?: number;
  rate?: number;
  tokensPerMinute?: number;
  timeout?: number;
  retries?: number;
  dataset?: string;
  data?: string;
  dataKind?: string;
  dataDir?: string;
  trainLimit?: number;
  testLimit?: number;
  validationSize?: number;
  seed?: number;
  split: 'train' | 'validation' | 'test';
  textField?: string;
  labelField?: string;
  out: string;
  shardSize: number;
  dtype: 'float16' | 'float32';
  topK?: number;
  queue?: string;
  queueName?: string;
  parallelShards?: number;
  backend?: string;
  json?: boolean;
}

/** Options of `label` (also the teacher options a remote `distill --teacher` would take). */
export function addLabelOptions(cmd: Command): Command {
  return cmd
    .requiredOption(
      '--teacher <spec>',
      'a model folder, a server URL (…/v2/models/<m> KServe v2, …/v1/models/<m> TF Serving) or openai:http://…/v1',
    )
    .addOption(
      new Option(
        '--teacher-protocol <name>',
        'protocol of a teacher URL (default: from the URL)',
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
      'stable teacher identity for the store (default: URL + model version)',
    )
    .option('--concurrency <n>', 'requests in flight at most (default 8)', int)
    .option('--rate <n>', 'requests per second at most', num)
    .option('--tokens-per-minute <n>', 'LLM teachers: estimated tokens per minute at most', num)
    .option('--timeout <ms>', 'per request attempt (default 30000)', int)
    .option('--retries <n>', 'retries per request after the first attempt (default 5)', int);
}

export function addLabelDataOptions(cmd: Command): Command {
  return cmd
    .option('--dataset <name>', 'a built-in dataset (default mnist)')
    .option('--data <path>', 'a data folder or file (a .jsonl of {text, label} for LLM teachers)')
    .option('--data-kind <kind>', 'the kind of --data, if not detected')
    .option('--data-dir <dir>', "a built-in dataset's files")
    .option('--train-limit <n>', 'use only the first n training examples', int)
    .option('--test-limit <n>', 'use only the first n test examples', int)
    .option('--validation-size <n>', 'examples held out of training (default 5000)', int)
    .option('--seed <n>', 'seed of stratified splits', int)
    .addOption(
      new Option('--split <name>', 'which split to label')
        .choices(['train', 'validation', 'test'])
        .default('train'),
    )
    .option('--text-field <name>', "JSONL: the text field (default 'text')")
    .option('--label-field <name>', "JSONL: the label field (default 'label')");
}

export function labelTarget(flags: LabelFlags): import('../../labels/target.ts').LabelTarget {
  const list = (s?: string) => s?.split(',').map((v) => v.trim());
  return {
    teacher: {
      spec: flags.teacher,
      protocol: flags.teacherProtocol,
      settings: {
        model: flags.teacherModel,
        prompt: flags.prompt ? readFileSync(flags.prompt, 'utf8') : undefined,
        system: flags.system,
        labels: list(flags.labels),
        labelTokens: list(flags.labelTokens),
        topLogprobs: flags.topLogprobs,
        apiKeyEnv: flags.apiKeyEnv,
        classes: flags.teacherClasses,
        batchSize: flags.teacherBatchSize,
        output: flags.teacherOutput,
        id: flags.teacherId,
        concurrency: flags.concurrency,
        requestsPerSecond: flags.rate,
        tokensPerMinute: flags.tokensPerMinute,
        timeoutMs: flags.timeout,
        retries: flags.retries,
      },
    },
    rows: undefined as never,
  };
}

export async function labelCommand(flags: LabelFlags): Promise<void> {
  const { selectBackend } = await import('../../backend/index.ts');
  const { label } = await import('../../labels/label.ts');
  const { resolveProtocol, isRemoteTeacherSpec } = await import('../../teachers/http/index.ts');
  const { usageError } = await import('../../errors.ts');
  await selectBackend((flags.backend ?? 'auto') as never);
  const target = labelTarget(flags);
  const readsText =
    isRemoteTeacherSpec(flags.teacher) &&
    resolveProtocol(flags.teacher, flags.teacherProtocol).protocol.reads === 'text';
  if (readsText) {
    if (!flags.data) throw usageError('an LLM teacher labels texts: pass --data <file.jsonl>');
    target.rows = {
      kind: 'records',
      path: resolve(flags.data),
      textField: flags.textField,
      labelField: flags.labelField,
      classNames: target.teacher.settings?.labels,
    };
  } else {
    target.rows = {
      kind: 'dataset',
      split: flags.split,
      ref: {
        dataset: flags.dataset,
        data: flags.data ? resolve(flags.data) : undefined,
        dataKind: flags.dataKind,
        dataDir: flags.dataDir,
        trainLimit: flags.trainLimit,
        testLimit: flags.testLimit,
        validationSize: flags.validationSize ?? 5000,
        seed: flags.seed ?? 1,
      },
    };
  }
  if (!/^(kserve-v2:|tf-serving:|openai:)?https?:/.test(target.teacher.spec))
    target.teacher.spec = resolve(target.teacher.spec);
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
}

export async function workerCommand(flags: WorkerFlags): Promise<void> {
  const { selectBackend } = await import('../../backend/index.ts');
  const { startWorker } = await import('../../labels/queue.ts');
  const backend = await selectBackend((flags.backend ?? 'auto') as never);
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
    .addOption(backendOption());
