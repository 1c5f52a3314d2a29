// A restored optimizer continues bit for bit: apply 40 steps of fixed gradients uninterrupted, or
// 23 steps, save the state, restore it into a fresh optimizer and apply the other 17; the variable
// bytes must be equal (Adam with tfjs' own setWeights alone differs in the last bits), on cpu and,
// where the addon is built, with the fused native optimizers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../tf.ts';
import { createOptimizer, optimizerNames, type OptimizerName } from './optimizers.ts';
import { getOptimizerState, setOptimizerState } from './optimizer-state.ts';
import { registerNativeBackend } from '../backend/native/index.ts';
import { skipNative } from '../backend/native/testing.ts';
import { registerOptimizerProvider } from './optimizers.ts';
import { createFusedAdam, createFusedMomentum } from '../backend/native/index.ts';

const STEPS = 40;
const STOP = 23; // pow(beta, 24) and 23 float32 products differ here (not at every step)
const shape = [64, 8];
let runs = 0;

function gradient(step: number): tf.Tensor {
  // Deterministic, varied gradients: a different pattern at every step.
  const values = Float32Array.from({ length: 64 * 8 }, (_, i) => Math.sin(i * 0.37 + step * 1.7));
  return tf.tensor(values, shape);
}

async function train(name: OptimizerName, stopAt?: number): Promise<Buffer> {
  const v = tf.variable(tf.ones(shape), true, `state-test-${runs++}`);
  let optimizer = createOptimizer({ name, learningRate: 0.01 });
  for (let step = 0; step < STEPS; step++) {
    if (step === stopAt) {
      const state = await getOptimizerState(optimizer);
      const copies = state.map((s) => ({ name: s.name, tensor: tf.clone(s.tensor) }));
      optimizer.dispose();
      optimizer = createOptimizer({ name, learningRate: 0.01 });
      await setOptimizerState(optimizer, copies);
      tf.dispose(copies.map((c) => c.tensor));
    }
    const g = gradient(step);
    optimizer.applyGradients({ [v.name]: g } as never); // tfjs types this as a variable map
    g.dispose();
  }
  const bytes = Buffer.from(v.dataSync().slice().buffer);
  optimizer.dispose();
  v.dispose();
  return bytes;
}

for (const name of optimizerNames) {
  test(`${name} on cpu: restored state continues bit-identically`, async () => {
    await tf.setBackend('cpu');
    const whole = await train(name);
    assert.ok((await train(name, STOP)).equals(whole));
  });
}

test(
  'the fused native optimizers: restored state continues bit-identically',
  { skip: skipNative },
  async () => {
    registerNativeBackend();
    await tf.setBackend('native');
    registerOptimizerProvider('native', (o) =>
      o.name === 'adam'
        ? createFusedAdam({ learningRate: o.learningRate })
        : o.name === 'momentum'
          ? createFusedMomentum({ learningRate: o.learningRate, momentum: o.momentum ?? 0.9 })
          : undefined,
    );
    for (const name of optimizerNames) {
      const whole = await train(name);
      assert.ok((await train(name, STOP)).equals(whole), name);
    }
    await tf.setBackend('cpu');
  },
);
