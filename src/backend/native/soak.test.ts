// Soak: 1,000 distillation steps on the native backend (fused Adam, teacher in the loop) keep
// tf.memory() flat — tensor count and bytes — and native/external memory bounded.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { tf } from '../../tf.ts';
import { selectBackend } from '../index.ts';
import { loadMnist } from '../../data/index.ts';
import { createMlp } from '../../models/index.ts';
import { Distiller } from '../../distill/distiller.ts';
import { kd } from '../../distill/methods/index.ts';
import { skipNative } from './testing.ts';

test(
  '1,000 native distillation steps: tensors, tensor bytes and external memory stay flat',
  { skip: skipNative },
  async () => {
    await selectBackend('native');
    const data = await loadMnist({ trainLimit: 3300, testLimit: 10, validationSize: 100 });
    const shape = [28, 28, 1];
    const teacher = createMlp({ inputShape: shape, hidden: [256], classes: 10, seed: 1 });
    const student = createMlp({ inputShape: shape, hidden: [32], classes: 10, seed: 2 });
    const distiller = new Distiller({ teacher, student, method: kd() });
    const samples: { tensors: number; bytes: number; external: number }[] = [];
    let steps = 0;
    await distiller.fit(data.train, {
      epochs: 10, // 3,200 examples / 32 per batch = 100 steps per epoch
      batchSize: 32,
      optimizer: { name: 'adam', learningRate: 1e-3 },
      onBatchEnd: () => {
        steps++;
        if (steps % 100 === 0) {
          const m = tf.memory();
          const usage = process.memoryUsage();
          samples.push({
            tensors: m.numTensors,
            bytes: m.numBytes,
            external: usage.external + usage.arrayBuffers,
          });
        }
      },
    });
    assert.equal(steps, 1000);
    assert.equal(tf.getBackend(), 'native');
    const steady = samples.slice(1); // the first epoch creates the optimizer's slots
    assert.ok(
      steady.every((s) => s.tensors === steady[0].tensors),
      `numTensors: ${steady.map((s) => s.tensors)}`,
    );
    assert.ok(
      steady.every((s) => s.bytes === steady[0].bytes),
      `numBytes: ${steady.map((s) => s.bytes)}`,
    );
    const growth = Math.max(...steady.map((s) => s.external)) - steady[0].external;
    assert.ok(
      growth < 64 * 1024 * 1024,
      `external memory grew by ${(growth / 1048576).toFixed(1)} MiB`,
    );
  },
);
