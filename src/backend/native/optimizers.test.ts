// The fused Adam / Momentum optimizers against tfjs' own (tf.train.adam / tf.train.momentum on the
// cpu backend): bit-identical over 20 steps for the same gradients, close through minimize(),
// safe when a variable's buffer is shared, serializable, leak-free, and a plain tfjs optimizer
// when the native backend is not active.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Optimizer, Tensor, Variable } from '@tensorflow/tfjs';
import { tf } from '../../tf.ts';
import { createFusedAdam, createFusedAdamW, createFusedMomentum } from './index.ts';
import { AdamWOptimizer } from '../../train/optimizers.ts';
import { assertClose, countAddonCalls, createRandom, randomValues, skipNative } from './testing.ts';

const shapes = [[7, 5], [5], [3, 4, 2], [1]];

function gradientSequence(steps: number, seed: number): Float32Array[][] {
  const random = createRandom(seed);
  return Array.from({ length: steps }, () =>
    shapes.map((shape) => randomValues({ shape }, random)),
  );
}

/** Applies the same gradients step by step; returns variable values after every step. */
async function runSteps(
  backend: string,
  makeOptimizer: () => Optimizer,
  grads: Float32Array[][],
  prefix: string,
): Promise<Float32Array[][]> {
  await tf.setBackend(backend);
  const random = createRandom(99);
  const variables = shapes.map((shape, i) =>
    tf.variable(tf.tensor(randomValues({ shape }, random), shape), true, `${prefix}/v${i}`),
  );
  const optimizer = makeOptimizer();
  const history: Float32Array[][] = [];
  for (const step of grads) {
    const named = step.map((values, i) => ({
      name: variables[i].name,
      tensor: tf.tensor(values, shapes[i]),
    }));
    optimizer.applyGradients(named);
    tf.dispose(named.map((n) => n.tensor));
    history.push(variables.map((v) => v.dataSync().slice() as Float32Array));
  }
  optimizer.dispose();
  tf.dispose(variables);
  return history;
}

const optimizers: [string, () => Optimizer, () => Optimizer][] = [
  ['Adam', () => tf.train.adam(0.01, 0.9, 0.999), () => createFusedAdam({ learningRate: 0.01 })],
  [
    'Adam, custom betas and epsilon',
    () => tf.train.adam(0.003, 0.8, 0.95, 1e-4),
    () => createFusedAdam({ learningRate: 0.003, beta1: 0.8, beta2: 0.95, epsilon: 1e-4 }),
  ],
  [
    'AdamW',
    () => new AdamWOptimizer(0.01, 0.1),
    () => createFusedAdamW({ learningRate: 0.01, weightDecay: 0.1 }),
  ],
  [
    'AdamW, biases and norms excluded from decay',
    () => new AdamWOptimizer(0.003, 0.05, 'biases-and-norms', 0.8, 0.95, 1e-4),
    () =>
      createFusedAdamW({
        learningRate: 0.003,
        weightDecay: 0.05,
        weightDecayExclude: 'biases-and-norms',
        beta1: 0.8,
        beta2: 0.95,
        epsilon: 1e-4,
      }),
  ],
  [
    'Momentum',
    () => tf.train.momentum(0.05, 0.9),
    () => createFusedMomentum({ learningRate: 0.05, momentum: 0.9 }),
  ],
  [
    'Momentum, Nesterov',
    () => tf.train.momentum(0.05, 0.7, true),
    () => createFusedMomentum({ learningRate: 0.05, momentum: 0.7, useNesterov: true }),
  ],
];

let run = 0;

describe('fused optimizers', { skip: skipNative }, () => {
  for (const [name, reference, fused] of optimizers) {
    test(`${name}: bit-identical to tfjs over 20 steps`, async () => {
      const grads = gradientSequence(20, 7);
      const expected = await runSteps('cpu', reference, grads, `ref${run}`);
      const actual = await runSteps('native', fused, grads, `fused${run++}`);
      for (let step = 0; step < grads.length; step++) {
        for (let v = 0; v < shapes.length; v++) {
          assertClose(actual[step][v], expected[step][v], {}, `step ${step} variable ${v}`);
        }
      }
    });
  }

  test('AdamW: one native adamw pass per decayed variable, adam for excluded ones', async () => {
    await tf.setBackend('native');
    const kernel = tf.variable(tf.ones([3, 3]), true, 'awKernel');
    const bias = tf.variable(tf.ones([3]), true, 'awBias');
    const optimizer = createFusedAdamW({ weightDecayExclude: 'biases-and-norms' });
    const grads = { awKernel: tf.ones([3, 3]), awBias: tf.ones([3]) };
    const adamw = countAddonCalls('adamw', () => optimizer.applyGradients(grads));
    const adam = countAddonCalls('adam', () => optimizer.applyGradients(grads));
    assert.deepEqual([adamw, adam], [1, 1]);
    tf.dispose([kernel, bias, ...Object.values(grads)]);
    optimizer.dispose();
  });

  test('one native pass per variable', async () => {
    await tf.setBackend('native');
    const v = tf.variable(tf.ones([3, 3]), true, 'onepass');
    const optimizer = createFusedAdam();
    const calls = countAddonCalls('adam', () => {
      const g = tf.ones([3, 3]);
      optimizer.applyGradients({ onepass: g });
      g.dispose();
    });
    assert.equal(calls, 1);
    optimizer.dispose();
    v.dispose();
  });

  test('close to tf.train.adam through minimize() on a small regression', async () => {
    const random = createRandom(3);
    const x = randomValues({ shape: [16, 6] }, random);
    const y = randomValues({ shape: [16, 2] }, random);
    const w0 = randomValues({ shape: [6, 2] }, random);
    const train = async (backend: string, optimizer: () => Optimizer) => {
      await tf.setBackend(backend);
      const w = tf.variable(tf.tensor(w0, [6, 2]));
      const b = tf.variable(tf.zeros([2]));
      const xs = tf.tensor(x, [16, 6]);
      const ys = tf.tensor(y, [16, 2]);
      const opt = optimizer();
      const losses: number[] = [];
      for (let i = 0; i < 20; i++) {
        const loss = opt.minimize(
          () => tf.losses.meanSquaredError(ys, tf.add(tf.matMul(xs, w), b)),
          true,
        );
        losses.push(loss!.dataSync()[0]);
        loss!.dispose();
      }
      const out = [...w.dataSync(), ...b.dataSync()];
      tf.dispose([w, b, xs, ys]);
      opt.dispose();
      return { losses, out };
    };
    const expected = await train('cpu', () => tf.train.adam(0.05));
    const actual = await train('native', () => createFusedAdam({ learningRate: 0.05 }));
    assertClose(actual.losses, expected.losses, { rtol: 1e-5 }, 'loss');
    assertClose(actual.out, expected.out, { rtol: 1e-4, atol: 1e-5 }, 'weights');
    assert.ok(actual.losses[19] < actual.losses[0], 'loss decreases');
  });

  test('a tensor sharing the variable buffer keeps its values', async () => {
    await tf.setBackend('native');
    const init = tf.tensor([1, 2, 3, 4]);
    const v = tf.variable(init, true, 'shared'); // shares init's buffer
    const snapshot = v.dataSync(); // on cpu-style backends, the backing array itself
    const optimizer = createFusedAdam({ learningRate: 0.5 });
    const g = tf.ones([4]);
    optimizer.applyGradients({ shared: g });
    assert.deepEqual(Array.from(init.dataSync()), [1, 2, 3, 4]);
    assert.deepEqual(Array.from(snapshot), [1, 2, 3, 4]);
    assertClose(v.dataSync(), [0.5, 1.5, 2.5, 3.5], { rtol: 1e-5 }); // x - lr·m̂/(√v̂ + ε), m̂ = v̂ ≈ 1
    tf.dispose([init, v, g]);
    optimizer.dispose();
  });

  test('a moment shared by another tensor is not mutated in place', async () => {
    await tf.setBackend('native');
    const v = tf.variable(tf.ones([2]), true, 'sharedMoment');
    const optimizer = createFusedAdam({ learningRate: 0.1 });
    const g = tf.ones([2]);
    optimizer.applyGradients({ sharedMoment: g });
    const weights = await optimizer.getWeights(); // [iterations, m, v]
    const mAlias = tf.clone(weights[1].tensor as Tensor); // shares the moment's buffer
    const mBefore = Array.from(mAlias.dataSync());
    optimizer.applyGradients({ sharedMoment: g });
    assert.deepEqual(Array.from(mAlias.dataSync()), mBefore);
    assert.notDeepEqual(Array.from((weights[1].tensor as Variable).dataSync()), mBefore);
    tf.dispose([v, g, mAlias, weights[0].tensor]);
    optimizer.dispose();
  });

  test('getWeights / setWeights round-trip into a plain tfjs Adam', async () => {
    await tf.setBackend('native');
    const v = tf.variable(tf.tensor([1, -2, 3]), true, 'roundtrip');
    const fused = createFusedAdam({ learningRate: 0.1 });
    const g = tf.tensor([0.5, 0.25, -1]);
    for (let i = 0; i < 3; i++) fused.applyGradients({ roundtrip: g });
    const weights = await fused.getWeights();
    assert.equal(weights.length, 3);
    const plain = tf.train.adam(0.1);
    await plain.setWeights(weights.map((w) => ({ name: w.name, tensor: tf.clone(w.tensor) })));
    const next = createFusedAdam({ learningRate: 0.1 });
    await next.setWeights(weights.map((w) => ({ name: w.name, tensor: tf.clone(w.tensor) })));
    const before = v.dataSync().slice();
    plain.applyGradients({ roundtrip: g } as never); // tfjs types this as a variable map
    const viaPlain = v.dataSync().slice();
    v.assign(tf.tensor(before));
    next.applyGradients({ roundtrip: g });
    assertClose(v.dataSync(), viaPlain, {}, 'step after restore');
    tf.dispose([v, g, weights[0].tensor]);
    fused.dispose();
    plain.dispose();
    next.dispose();
  });

  test('numTensors stays flat over training steps', async () => {
    await tf.setBackend('native');
    const w = tf.variable(tf.randomNormal([8, 4]));
    const xs = tf.randomNormal([16, 8]);
    const ys = tf.randomNormal([16, 4]);
    for (const optimizer of [
      createFusedAdam(),
      createFusedMomentum({ learningRate: 0.01, momentum: 0.9 }),
    ]) {
      const step = () =>
        optimizer.minimize(() => tf.losses.meanSquaredError(ys, tf.matMul(xs, w)), true)?.dispose();
      step(); // creates the slot variables
      const before = tf.memory().numTensors;
      for (let i = 0; i < 50; i++) step();
      assert.equal(tf.memory().numTensors, before);
      optimizer.dispose();
    }
    tf.dispose([w, xs, ys]);
  });

  test('on the cpu backend it is tfjs Adam', async () => {
    const grads = gradientSequence(5, 11);
    const expected = await runSteps('cpu', () => tf.train.adam(0.01), grads, `cpuref${run}`);
    const actual = await runSteps(
      'cpu',
      () => createFusedAdam({ learningRate: 0.01 }),
      grads,
      `cpufused${run++}`,
    );
    for (let step = 0; step < grads.length; step++) {
      for (let v = 0; v < shapes.length; v++) assertClose(actual[step][v], expected[step][v]);
    }
  });
});
