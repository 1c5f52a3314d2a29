// Kernels bridged from cpu to wasm compute what the cpu backend computes, and a CNN trains on
// wasm (it could not: wasm has no Conv2DBackpropFilter).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../tf.ts';
import { selectBackend } from './index.ts';
import { registerWasmFallbacks } from './wasm-fallback.ts';

function convFilterGrad(backend: string, x: Float32Array, dy: Float32Array, filter: number[]) {
  tf.setBackend(backend);
  return tf.tidy(() => {
    const xt = tf.tensor4d(x, [2, 9, 9, 3]);
    const dyt = tf.tensor4d(dy, [2, 5, 5, 4]);
    // d/dfilter Σ conv2d(x, filter) ⊙ dy runs the Conv2DBackpropFilter kernel.
    const grad = tf.grad((f) => tf.sum(tf.mul(tf.conv2d(xt, f as tf.Tensor4D, 2, 'same'), dyt)));
    return grad(tf.zeros(filter as [number, number, number, number])).dataSync();
  });
}

test('Conv2DBackpropFilter on wasm (bridged) equals the cpu kernel on random inputs', async () => {
  await selectBackend('wasm');
  assert.ok(registerWasmFallbacks().includes('Conv2DBackpropFilter'));
  const x = Float32Array.from({ length: 2 * 9 * 9 * 3 }, () => Math.random() * 2 - 1);
  const dy = Float32Array.from({ length: 2 * 5 * 5 * 4 }, () => Math.random() * 2 - 1);
  const onWasm = convFilterGrad('wasm', x, dy, [3, 3, 3, 4]);
  const onCpu = convFilterGrad('cpu', x, dy, [3, 3, 3, 4]);
  assert.equal(onWasm.length, 3 * 3 * 3 * 4);
  for (let i = 0; i < onCpu.length; i++) assert.equal(onWasm[i], onCpu[i]);
  await tf.setBackend('wasm');
});

test('a CNN takes a training step on wasm without leaking tensors', async () => {
  await selectBackend('wasm');
  const model = tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [8, 8, 1], filters: 2, kernelSize: 3, activation: 'relu' }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 3 }),
    ],
  });
  const optimizer = tf.train.adam(0.01);
  const x = tf.randomUniform([4, 8, 8, 1]);
  const y = tf.oneHot(tf.tensor1d([0, 1, 2, 0], 'int32'), 3);
  const step = () =>
    tf.tidy(
      () =>
        optimizer
          .minimize(
            () => tf.losses.softmaxCrossEntropy(y, model.apply(x) as tf.Tensor) as tf.Scalar,
            true,
          )!
          .dataSync()[0],
    );
  const first = step();
  const before = tf.memory().numTensors;
  for (let i = 0; i < 20; i++) step();
  assert.equal(tf.memory().numTensors, before);
  assert.ok(step() < first, 'loss went down');
});
