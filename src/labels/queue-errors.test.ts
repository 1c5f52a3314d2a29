// The queue's failures that need no Redis: a URL that is not redis://, and a Redis nobody
// listens on (one line after the connect timeout, for the coordinator and for a worker).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { labelWithQueue, redisOptions, startWorker } from './queue.ts';
import { storeManifest } from './store.ts';

const closedPort = () =>
  new Promise<number>((done) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => done(p));
    });
  });

test('a queue URL that is not redis:// is refused with the expected form', () => {
  assert.throws(() => redisOptions('http://127.0.0.1:6379'), /expected redis:\/\/host:port/);
  assert.deepEqual(
    [redisOptions('redis://10.0.0.2:6380/3').host, redisOptions('redis://10.0.0.2:6380/3').db],
    ['10.0.0.2', 3],
  );
});

test('an unreachable Redis fails label and worker with one line, without hanging', async () => {
  const url = `redis://127.0.0.1:${await closedPort()}`;
  const manifest = storeManifest(
    { identity: 't', record: { kind: 'function', source: 'f', classes: 2 }, classes: 2 },
    { name: 'x', split: 'train', count: 0, hash: 'h', preprocessing: '', rows: 'tensor' },
    { dtype: 'float16', shardSize: 1 },
  );
  await assert.rejects(
    labelWithQueue({
      queue: url,
      dir: '/nonexistent',
      manifest,
      target: { teacher: { spec: 'x' }, rows: { kind: 'records', path: 'x' } },
      connectTimeoutMs: 500,
    }),
    /cannot reach Redis at redis:\/\/127\.0\.0\.1:\d+ within 0\.5 s: start redis-server there/,
  );
  await assert.rejects(startWorker({ queue: url, connectTimeoutMs: 500 }), /cannot reach Redis/);
});
