// Labelling scaled out on BullMQ over Redis: one job per missing shard, processed by any number of
// `distillery worker` processes on machines that share the store folder. The store is the truth:
// the coordinator polls it for published shards (progress), re-adds jobs for shards still missing
// (job ids are `<store key>-<shard>`, so re-adding is a no-op unless Redis lost the job, e.g. a
// restart without persistence), and fails with the reason of a job that used up its attempts.
// A killed worker's job stalls (its lock expires) and BullMQ hands it to another worker; a shard
// two workers both finish is published once (see store.ts). bullmq is imported lazily.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { usageError } from '../errors.ts';
import type { Teacher } from '../teachers/teacher.ts';
import { labelManifest, labelShard, type LabelRows } from './job.ts';
import { checkShard, missingShards, readManifest, shardPath, type StoreManifest } from './store.ts';
import { openTarget, type LabelTarget } from './target.ts';

export const DEFAULT_QUEUE = 'distillery-label';

/** One job per (store folder, store key, shard): two stores of the same key are two jobs. */
export const shardJobId = (dir: string, key: string, shard: number) =>
  `${key.slice(0, 16)}-${createHash('sha256').update(dir).digest('hex').slice(0, 8)}-${shard}`;

export interface ShardJob {
  dir: string;
  key: string;
  shard: number;
  target: LabelTarget;
  settings: { dtype: StoreManifest['dtype']; topK?: number; shardSize: number };
  chunk?: number;
}

/** redis://[:password@]host:port[/db] → ioredis options (BullMQ needs maxRetriesPerRequest null). */
export function redisOptions(url: string): Record<string, unknown> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw usageError(`--queue ${url}: expected redis://host:port`);
  }
  if (parsed.protocol !== 'redis:') throw usageError(`--queue ${url}: expected redis://host:port`);
  const db = parsed.pathname.replace('/', '');
  return {
    host: parsed.hostname,
    port: Number(parsed.port || 6379),
    db: db ? Number(db) : undefined,
    password: parsed.password ? decodeURIComponent(parsed.password) : undefined,
    maxRetriesPerRequest: null,
    // Reconnect quickly (Redis restarts) but not in a tight loop.
    retryStrategy: (times: number) => Math.min(200 * times, 2000),
  };
}

/** Rejects with a one-line error when Redis is not reachable within `ms`. */
async function reachable(ready: Promise<unknown>, url: string, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, fail) => {
    timer = setTimeout(
      () =>
        fail(
          usageError(
            `cannot reach Redis at ${url} within ${ms / 1000} s: start redis-server there, or check --queue`,
          ),
        ),
      ms,
    );
  });
  try {
    await Promise.race([ready, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function bullmq() {
  try {
    return await import('bullmq');
  } catch {
    throw usageError('the queue needs the bullmq package: npm install bullmq ioredis');
  }
}

export interface QueueLabelOptions {
  queue: string;
  queueName?: string;
  dir: string;
  manifest: StoreManifest;
  target: LabelTarget;
  chunk?: number;
  /** Attempts per shard job before the label job fails (default 5). */
  attempts?: number;
  pollMs?: number;
  /** How long to wait for Redis at the start (default 10 s). */
  connectTimeoutMs?: number;
  onProgress?(info: {
    done: number;
    total: number;
    waiting: number;
    active: number;
    failed: number;
  }): void;
}

/** Enqueues the missing shards and waits until every shard is published. */
export async function labelWithQueue(
  options: QueueLabelOptions,
): Promise<{ labelled: number; skipped: number }> {
  const { Queue } = await bullmq();
  const { dir, manifest } = options;
  const queue = new Queue<ShardJob>(options.queueName ?? DEFAULT_QUEUE, {
    connection: redisOptions(options.queue),
  });
  queue.on('error', () => {}); // reconnects by itself; failures surface below
  const attempts = options.attempts ?? 5;
  const first = missingShards(dir, manifest);
  const skipped = manifest.shards - first.length;
  const enqueue = (shards: number[]) =>
    queue.addBulk(
      shards.map((shard) => ({
        name: 'shard',
        data: {
          dir,
          key: manifest.key,
          shard,
          target: options.target,
          settings: { dtype: manifest.dtype, topK: manifest.topK, shardSize: manifest.shardSize },
          chunk: options.chunk,
        },
        opts: {
          jobId: shardJobId(dir, manifest.key, shard),
          attempts,
          backoff: { type: 'exponential', delay: 500 },
          removeOnComplete: true,
          removeOnFail: { age: 3600 },
        },
      })),
    );
  try {
    await reachable(queue.waitUntilReady(), options.queue, options.connectTimeoutMs ?? 10_000);
    // A failed job of an earlier run keeps its id: clear it so the shard is tried again.
    for (const shard of first) {
      const job = await queue.getJob(shardJobId(dir, manifest.key, shard));
      if (job && (await job.isFailed())) await job.remove();
    }
    await enqueue(first);
    let lastAdd = performance.now();
    for (;;) {
      const missing = missingShards(dir, manifest);
      const counts = await queue.getJobCounts(
        'waiting',
        'active',
        'failed',
        'delayed',
        'prioritized',
      );
      options.onProgress?.({
        done: manifest.shards - missing.length,
        total: manifest.shards,
        waiting: (counts.waiting ?? 0) + (counts.delayed ?? 0) + (counts.prioritized ?? 0),
        active: counts.active ?? 0,
        failed: counts.failed ?? 0,
      });
      if (missing.length === 0) break;
      for (const job of await queue.getFailed(0, 100)) {
        if (job.data?.key === manifest.key && job.data.dir === dir && job.attemptsMade >= attempts)
          throw usageError(
            `shard ${job.data.shard} failed ${job.attemptsMade} times on the workers: ${job.failedReason}`,
          );
      }
      if (performance.now() - lastAdd > 2000) {
        await enqueue(missing); // no-op for jobs Redis still has
        lastAdd = performance.now();
      }
      await new Promise((r) => setTimeout(r, options.pollMs ?? 100));
    }
  } finally {
    await queue.close();
  }
  return { labelled: first.length, skipped };
}

export interface WorkerOptions {
  queue: string;
  queueName?: string;
  /** Shard jobs processed at once by this worker (default 1). */
  concurrency?: number;
  /** Job lock: a worker silent this long is presumed dead and its job retried (default 30 s). */
  lockMs?: number;
  connectTimeoutMs?: number;
  onEvent?(message: string): void;
}

/** Processes shard jobs until `stop()` is called. */
export async function startWorker(options: WorkerOptions): Promise<{ stop(): Promise<void> }> {
  const { Worker, UnrecoverableError } = await bullmq();
  const opened = new Map<string, Promise<{ teacher: Teacher; rows: LabelRows; key: string }>>();
  const open = (job: ShardJob) => {
    const id = JSON.stringify([job.target, job.settings]);
    if (!opened.has(id))
      opened.set(
        id,
        openTarget(job.target).then(async ({ teacher, rows }) => ({
          teacher,
          rows,
          key: (await labelManifest(teacher, rows, job.settings)).key,
        })),
      );
    const pending = opened.get(id)!;
    pending.catch(() => opened.delete(id)); // a failed open (server down) is retried next job
    return pending;
  };
  const lockMs = options.lockMs ?? 30_000;
  const worker = new Worker<ShardJob>(
    options.queueName ?? DEFAULT_QUEUE,
    async (job) => {
      const data = job.data;
      if (!existsSync(join(data.dir, 'manifest.json')))
        throw new UnrecoverableError(`${data.dir} is no longer a logit store (removed?)`);
      const manifest = readManifest(data.dir);
      // A job re-added while its shard was being published: nothing left to do.
      const published = shardPath(data.dir, data.shard);
      if (
        manifest.key === data.key &&
        existsSync(published) &&
        checkShard(manifest, data.shard, readFileSync(published)) === undefined
      )
        return 'present';
      const { teacher, rows, key } = await open(data);
      if (key !== manifest.key || key !== data.key)
        throw new UnrecoverableError(
          `on ${hostname()}, the teacher and data of this job give store key ${key}, but ${data.dir} is ${manifest.key}: the worker sees another model or data (same files on every machine?)`,
        );
      const t0 = performance.now();
      const status = await labelShard(teacher, rows, data.dir, manifest, data.shard, data.chunk);
      options.onEvent?.(
        `shard ${data.shard} ${status} in ${((performance.now() - t0) / 1000).toFixed(2)} s`,
      );
      return status;
    },
    {
      connection: redisOptions(options.queue),
      concurrency: options.concurrency ?? 1,
      lockDuration: lockMs,
      stalledInterval: Math.max(500, Math.floor(lockMs / 2)),
      maxStalledCount: 5,
    },
  );
  worker.on('error', () => {}); // connection errors: ioredis reconnects
  worker.on('failed', (job, err) =>
    options.onEvent?.(`shard ${job?.data.shard} failed: ${err.message}`),
  );
  try {
    await reachable(worker.waitUntilReady(), options.queue, options.connectTimeoutMs ?? 10_000);
  } catch (e) {
    await worker.close(true).catch(() => {});
    throw e;
  }
  return {
    stop: async () => {
      await worker.close();
      for (const p of opened.values()) (await p.catch(() => undefined))?.teacher.dispose();
    },
  };
}
