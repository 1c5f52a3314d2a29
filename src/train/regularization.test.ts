// Clipping, L2 decay and max-norm against direct computations on random tensors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../tf.ts';
import { addL2, applyMaxNorm, clipByGlobalNorm, decays } from './regularization.ts';

await tf.setBackend('cpu');

const norm = (ts: tf.Tensor[]) =>
  Math.sqrt(ts.reduce((a, t) => a + Array.from(t.dataSync()).reduce((b, v) => b + v * v, 0), 0));

test('clipByGlobalNorm: scales to the bound above it, leaves gradients below it alone', () => {
  const grads = {
    a: tf.randomNormal([5, 3], 0, 1, 'float32', 1),
    b: tf.randomNormal([3], 0, 1, 'float32', 2),
  };
  const n = norm(Object.values(grads));
  const clipped = clipByGlobalNorm(grads, n / 2);
  assert.ok(Math.abs(norm(Object.values(clipped)) - n / 2) < 1e-4);
  // Direction kept: every entry scaled by the same factor.
  const ratio = clipped.a.dataSync()[0] / grads.a.dataSync()[0];
  clipped.b
    .dataSync()
    .forEach((v, i) => assert.ok(Math.abs(v - grads.b.dataSync()[i] * ratio) < 1e-6));
  const loose = clipByGlobalNorm(grads, n * 2);
  assert.deepEqual(loose.a.dataSync(), grads.a.dataSync());
  tf.dispose([...Object.values(grads), ...Object.values(clipped), ...Object.values(loose)]);
});

test('addL2: g + rate·w; biases skipped with biases-and-norms', () => {
  const kernel = tf.variable(
    tf.tensor([
      [1, -2],
      [3, 4],
    ]),
    true,
    'l2kernel',
  );
  const bias = tf.variable(tf.tensor([1, 1]), true, 'l2bias');
  const grads = { l2kernel: tf.ones([2, 2]), l2bias: tf.ones([2]) };
  const all = addL2(grads, [kernel, bias], 0.1, 'none');
  assert.deepEqual(Array.from(all.l2kernel.dataSync()), [1.1, 0.8, 1.3, 1.4].map(Math.fround));
  assert.deepEqual(Array.from(all.l2bias.dataSync()), [1.1, 1.1].map(Math.fround));
  const some = addL2(grads, [kernel, bias], 0.1, 'biases-and-norms');
  assert.deepEqual(Array.from(some.l2bias.dataSync()), [1, 1]);
  assert.equal(decays(kernel, 'biases-and-norms'), true);
  assert.equal(decays(bias, 'biases-and-norms'), false);
  tf.dispose([
    kernel,
    bias,
    ...Object.values(grads),
    ...Object.values(all),
    ...Object.values(some),
  ]);
});

test("applyMaxNorm: each unit's incoming weights end with norm ≤ c; units within it are untouched", () => {
  // Dense kernel [in 3, units 2]: unit 0 norm 5 (> 2), unit 1 norm 1 (≤ 2).
  const dense = tf.variable(
    tf.tensor([
      [3, 0.6],
      [4, 0.8],
      [0, 0],
    ]),
  );
  // Conv kernel [h 2, w 2, in 1, out 2]: incoming = the 4 weights of each output channel.
  const conv = tf.variable(tf.randomNormal([2, 2, 1, 2], 0, 3, 'float32', 5));
  const bias = tf.variable(tf.tensor([10, 10]));
  applyMaxNorm([dense, conv, bias], 2);
  const d = dense.arraySync() as number[][];
  assert.ok(Math.abs(Math.hypot(d[0][0], d[1][0]) - 2) < 1e-6);
  assert.deepEqual([d[0][1], d[1][1]], [0.6, 0.8].map(Math.fround));
  const c = tf.tidy(() => tf.sqrt(tf.sum(tf.square(conv), [0, 1, 2])).dataSync());
  c.forEach((n) => assert.ok(n <= 2 + 1e-5, `conv unit norm ${n}`));
  assert.deepEqual(Array.from(bias.dataSync()), [10, 10]);
  tf.dispose([dense, conv, bias]);
});

test('no tensor leaks', () => {
  const v = tf.variable(tf.ones([4, 3]), true, 'leakv');
  const grads = { leakv: tf.ones([4, 3]) };
  const before = tf.memory().numTensors;
  for (let i = 0; i < 3; i++) {
    const clipped = clipByGlobalNorm(grads, 0.5);
    const g = addL2(clipped, [v], 0.1, 'none');
    applyMaxNorm([v], 0.5);
    tf.dispose([...Object.values(clipped), ...Object.values(g)]);
  }
  assert.equal(tf.memory().numTensors, before);
  tf.dispose([v, grads.leakv]);
});
