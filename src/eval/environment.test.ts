// The environment record: versions and machine facts, read from this process.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import { tf } from '../tf.ts';
import { describeEnvironment } from './environment.ts';

test('names Node, tfjs, the backend and the machine', async () => {
  await tf.setBackend('cpu');
  const env = await describeEnvironment();
  assert.equal(env.node, process.version);
  assert.match(env.tfjs, /^4\.\d+\.\d+$/);
  assert.equal(env.backend, 'cpu');
  assert.equal(env.openblas, undefined, 'no OpenBLAS on the cpu backend');
  assert.equal(env.cores, availableParallelism());
  assert.ok(env.cpuModel.length > 0 && env.memoryGiB > 0);
});
