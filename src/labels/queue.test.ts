// Labelling on BullMQ workers over a real Redis (redis-server started here on loopback, no
// persistence): 1, 2 and 4 `distillery worker` processes produce shards byte-identical to a
// single-process run; a worker killed with SIGKILL mid-shard has its job retried by another; a
// Redis restart mid-job (its queue lost) is healed by the coordinator re-adding missing shards.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tf, type LayersModel } from '../tf.ts';
import { loadMnist } from '../data/index.ts';
import { createMlp } from '../models/index.ts';
import { trainModel } from '../train/train-model.ts';
import { saveModel } from '../models/io.ts';
import { startKServeServer, type TestServer } from '../teachers/http/testing.ts';
import { label } from './label.ts';
import type { LabelTarget } from './target.ts';

const BIN = join(import.meta.dirname, '../../bin/distillery.mjs');
const root = mkdtempSync(join(tmpdir(), 'distillery-queue-'));
const teacherDir = join(root, 'teacher');
await tf.setBackend('cpu');
let model: LayersModel;
let redis: ChildProcess | undefined;
let port = 0;
const workers: ChildProcess[] = [];
const servers: TestServer[] = [];

const freePort = () =>
  new Promise<number>((done) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => done(p));
    });
  });

async function startRedis(): Promise<void> {
  redis = spawn('redis-server', [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--save',
    '',
    '--appendonly',
    'no',
  ]);
  await new Promise<void>((ready, fail) => {
    let out = '';
    const timer = setTimeout(() => fail(new Error(`redis-server did not start: ${out}`)), 10_000);
    redis!.stdout!.on('data', (d) => {
      out += d;
      if (out.includes('Ready to accept connections')) {
        clearTimeout(timer);
        ready();
      }
    });
  });
}
const stopRedis = async (signal: NodeJS.Signals = 'SIGTERM') => {
  const r = redis;
  if (!r || r.exitCode !== null) return;
  await new Promise((done) => {
    r.once('exit', done);
    r.kill(signal);
  });
};

/** Starts a worker process and resolves once it listens. */
function startWorker(queueName: string): Promise<ChildProcess & { log: string }> {
  const child = spawn(process.execPath, [
    BIN,
    'worker',
    '--queue',
    `redis://127.0.0.1:${port}`,
    '--queue-name',
    queueName,
    '--backend',
    'cpu',
    '--lock-ms',
    '2000',
  ]) as ChildProcess & { log: string };
  child.log = '';
  workers.push(child);
  return new Promise((ready, fail) => {
    const timer = setTimeout(() => fail(new Error(`worker did not start: ${child.log}`)), 90_000);
    child.stderr!.on('data', (d) => {
      child.log += d;
      if (child.log.includes('waiting for shard jobs')) {
        clearTimeout(timer);
        ready(child);
      }
    });
  });
}
const stopWorkers = async () => {
  await Promise.all(
    workers.splice(0).map(
      (w) =>
        new Promise((done) => {
          if (w.exitCode !== null || w.signalCode !== null) return done(undefined);
          w.once('exit', done);
          w.kill('SIGTERM');
        }),
    ),
  );
};

const shardBytes = (dir: string) =>
  readdirSync(join(dir, 'shards'))
    .sort()
    .map((f) => readFileSync(join(dir, 'shards', f)));

const rows: LabelTarget['rows'] = {
  kind: 'dataset',
  split: 'train',
  ref: { dataset: 'mnist', trainLimit: 300, validationSize: 50, seed: 1 },
};
const settings = { dtype: 'float32' as const, shardSize: 25 };
let reference: Buffer[];

before(async () => {
  const data = await loadMnist({ trainLimit: 300, testLimit: 10, validationSize: 50 });
  model = createMlp({ inputShape: [28, 28, 1], hidden: [32], classes: 10, seed: 1 });
  await trainModel({ model, data: data.train, epochs: 1, batchSize: 50, seed: 1 });
  await saveModel(model, teacherDir);
  port = await freePort();
  await startRedis();
  const dir = join(root, 'reference');
  await label({ target: { teacher: { spec: teacherDir }, rows }, out: dir, ...settings });
  reference = shardBytes(dir);
});
after(async () => {
  await stopWorkers();
  await stopRedis();
  await Promise.all(servers.map((s) => s.close()));
  model.dispose();
  rmSync(root, { recursive: true, force: true });
});

test('1, 2 and 4 workers label the same data into shards byte-identical to one process', async () => {
  assert.equal(reference.length, 10);
  for (const n of [1, 2, 4]) {
    while (workers.length < n) await startWorker('counts');
    const dir = join(root, `workers-${n}`);
    const progress: number[] = [];
    const summary = await label({
      target: { teacher: { spec: teacherDir }, rows },
      out: dir,
      ...settings,
      queue: `redis://127.0.0.1:${port}`,
      queueName: 'counts',
      onProgress: (p) => progress.push(p.done),
    });
    assert.equal(summary.labelled, 10);
    assert.deepEqual(shardBytes(dir), reference, `${n} workers`);
    assert.equal(progress.at(-1), 10);
    assert.deepEqual(
      readdirSync(join(dir, 'shards')).filter((f) => f.startsWith('.tmp')),
      [],
    );
  }
  // Every worker did some of the work in the 4-worker run's lifetime.
  const busy = workers.filter((w) => /shard \d+ published/.test((w as { log?: string }).log ?? ''));
  assert.ok(busy.length >= 2, `${busy.length} workers published shards`);
  await stopWorkers();
});

// A slow remote teacher (a KServe server with 120 ms per request of 5 rows: ~0.6 s per shard) so
// that kills and restarts land in the middle of shards.
async function slowTarget(): Promise<LabelTarget> {
  const server = await startKServeServer(model, { latencyMs: 120 });
  servers.push(server);
  return {
    teacher: {
      spec: `${server.url}/v2/models/mnist`,
      settings: { batchSize: 5, concurrency: 1, backoffMs: 50 },
    },
    rows,
  };
}

test('a worker killed with SIGKILL mid-shard: its job is retried elsewhere, every shard once', async () => {
  const target = await slowTarget();
  const dir = join(root, 'killed');
  const expected = join(root, 'killed-reference');
  await label({ target, out: expected, ...settings });
  const [victim] = [await startWorker('kill'), await startWorker('kill')];
  const done = label({
    target,
    out: dir,
    ...settings,
    queue: `redis://127.0.0.1:${port}`,
    queueName: 'kill',
  });
  // Kill it once it has started a shard and published one (so it is working, not idle).
  const started = performance.now();
  while (!/shard \d+ published/.test(victim.log) && performance.now() - started < 60_000)
    await new Promise((r) => setTimeout(r, 50));
  victim.kill('SIGKILL');
  const summary = await done;
  assert.equal(summary.labelled, 10);
  assert.deepEqual(shardBytes(dir), shardBytes(expected));
  await stopWorkers();
});

test('Redis restarted mid-job (queue lost): the job finishes with the same bytes', async () => {
  const target = await slowTarget();
  const dir = join(root, 'restart');
  const expected = join(root, 'restart-reference');
  await label({ target, out: expected, ...settings });
  await startWorker('restart');
  await startWorker('restart');
  let restarted = false;
  const summary = await label({
    target,
    out: dir,
    ...settings,
    queue: `redis://127.0.0.1:${port}`,
    queueName: 'restart',
    onProgress: (p) => {
      if (!restarted && p.done >= 2) {
        restarted = true;
        void stopRedis('SIGKILL')
          .then(() => new Promise((r) => setTimeout(r, 300)))
          .then(startRedis);
      }
    },
  });
  assert.ok(restarted);
  assert.equal(summary.labelled, 10);
  assert.deepEqual(shardBytes(dir), shardBytes(expected));
  await stopWorkers();
});
