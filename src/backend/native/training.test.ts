// End-to-end checks of the native backend: registration (every cpu kernel present, the native ones
// on top, idempotent), training a small MLP and CNN with the same initial weights on cpu
// (tf.train.adam) and native (fused Adam) gives the same losses, and a training loop leaks nothing.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { LayersModel, Optimizer, Scalar } from '@tensorflow/tfjs';
import { tf } from '../../tf.ts';
import {
  createFusedAdam,
  defaultNativeThreads,
  getNativeThreads,
  nativeAvailable,
  nativeLoadError,
  registerNativeBackend,
  setNativeThreads,
} from './index.ts';
import { nativeKernelConfigs } from './kernels/index.ts';
import { assertClose, createRandom, randomValues, skipNative } from './testing.ts';

describe('native backend registration', { skip: skipNative }, () => {
  test('loads, reports no load error, uses the default thread count', () => {
    assert.equal(nativeAvailable(), true);
    assert.equal(nativeLoadError(), undefined);
    assert.equal(getNativeThreads(), defaultNativeThreads());
    assert.ok(defaultNativeThreads() >= 1);
  });

  test('has every cpu kernel, with the native ones replacing theirs', () => {
    const cpu = new Set(tf.getKernelsForBackend('cpu').map((k) => k.kernelName));
    const native = new Map(tf.getKernelsForBackend('native').map((k) => [k.kernelName, k]));
    for (const name of cpu) assert.ok(native.has(name), `missing ${name}`);
    for (const config of nativeKernelConfigs) {
      assert.equal(native.get(config.kernelName)?.kernelFunc, config.kernelFunc, config.kernelName);
    }
  });

  test('registering twice is harmless; threads can be set and read', () => {
    const before = getNativeThreads();
    assert.equal(registerNativeBackend({ threads: 1 }), true);
    assert.equal(getNativeThreads(), 1);
    setNativeThreads(before);
    assert.equal(getNativeThreads(), before);
    assert.throws(() => setNativeThreads(0), RangeError);
  });
});

function mlp(): LayersModel {
  return tf.sequential({
    layers: [
      tf.layers.dense({ inputShape: [20], units: 16, activation: 'relu' }),
      tf.layers.dense({ units: 12, activation: 'relu' }),
      tf.layers.dense({ units: 3 }),
    ],
  });
}

function cnn(): LayersModel {
  return tf.sequential({
    layers: [
      tf.layers.conv2d({
        inputShape: [10, 10, 1],
        filters: 4,
        kernelSize: 3,
        activation: 'relu',
        padding: 'same',
      }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.conv2d({ filters: 6, kernelSize: 3, activation: 'relu' }),
      tf.layers.averagePooling2d({ poolSize: 2 }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 3 }),
    ],
  });
}

/** Trains `steps` steps from fixed weights and data; returns the losses and final weights. */
async function train(
  backend: string,
  build: () => LayersModel,
  inputShape: number[],
  optimizer: () => Optimizer,
  steps: number,
): Promise<{ losses: number[]; weights: number[]; leaked: number }> {
  await tf.setBackend(backend);
  const random = createRandom(5);
  const model = build();
  model.setWeights(
    model
      .getWeights()
      .map((w) =>
        tf.tensor(randomValues({ shape: w.shape, low: -0.3, high: 0.3 }, random), w.shape),
      ),
  );
  const batch = inputShape[0];
  const xs = tf.tensor(randomValues({ shape: inputShape }, random), inputShape);
  const labels = tf.oneHot(
    tf.tensor1d(
      Array.from({ length: batch }, (_, i) => i % 3),
      'int32',
    ),
    3,
  );
  const opt = optimizer();
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const losses: number[] = [];
  const step = () =>
    tf.tidy(() => {
      const loss = opt.minimize(
        () => tf.losses.softmaxCrossEntropy(labels, model.apply(xs) as tf.Tensor) as Scalar,
        true,
        variables,
      );
      losses.push(loss!.dataSync()[0]);
    });
  step(); // creates the optimizer slots
  const before = tf.memory().numTensors;
  for (let i = 1; i < steps; i++) step();
  const leaked = tf.memory().numTensors - before;
  const weights = model.getWeights().flatMap((w) => Array.from(w.dataSync()));
  tf.dispose([xs, labels]);
  opt.dispose();
  model.dispose();
  return { losses, weights, leaked };
}

describe('training on the native backend', { skip: skipNative }, () => {
  for (const [name, build, shape] of [
    ['MLP', mlp, [32, 20]],
    ['CNN', cnn, [8, 10, 10, 1]],
  ] as const) {
    test(`${name}: same losses as cpu with tf.train.adam, no leaked tensors`, async () => {
      const expected = await train('cpu', build, [...shape], () => tf.train.adam(0.01), 8);
      const actual = await train(
        'native',
        build,
        [...shape],
        () => createFusedAdam({ learningRate: 0.01 }),
        8,
      );
      assertClose(actual.losses, expected.losses, { rtol: 1e-4 }, `${name} loss`);
      assertClose(actual.weights, expected.weights, { rtol: 1e-3, atol: 1e-4 }, `${name} weights`);
      assert.ok(actual.losses[7] < actual.losses[0], 'loss decreases');
      assert.equal(actual.leaked, 0, 'numTensors grew during training');
    });
  }
});
