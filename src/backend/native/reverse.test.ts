// Parity of the native Reverse with the cpu kernel (its reference): ranks 1–4, the last, a middle,
// the first and several dimensions, negative axes, long rows (copied with set), size-0 dimensions,
// a recycled NaN-filled buffer, the int32 fallback, the gradient (a reverse) and no tensor leak.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { tf } from '../../tf.ts';
import { assertNoLeak, parity, skipNative } from './testing.ts';
import { reverseConfig } from './kernels/Reverse.ts';

const cases: [number[], number[]][] = [
  [[7], [0]],
  [[3, 5], [1]],
  [[3, 5], [0]],
  [
    [3, 5],
    [0, 1],
  ],
  [[4, 9, 3], [1]], // a GRU's go_backwards: reverse over time
  [
    [2, 3, 70],
    [1, -1],
  ],
  [
    [2, 3, 4, 5],
    [0, 2],
  ],
  [[0, 4], [0]],
  [[3, 0], [1]],
];

describe('native Reverse', { skip: skipNative }, () => {
  test('the native backend runs this kernel (not the cpu one it inherits)', () => {
    assert.equal(tf.getKernel(tf.Reverse, 'native')?.kernelFunc, reverseConfig.kernelFunc);
  });

  for (const [shape, dims] of cases) {
    test(`reverse [${shape}] on [${dims}] equals cpu`, () =>
      parity(`reverse ${shape} ${dims}`, [{ shape, specials: true }], (x) => tf.reverse(x, dims)));
  }

  test('every element of a recycled (NaN-filled) buffer is overwritten', async () => {
    await tf.setBackend('native');
    tf.tidy(() => tf.mul(tf.fill([4, 9, 32], NaN), 1)).dispose(); // leaves a NaN buffer pooled
    await parity('reverse after poison', [{ shape: [4, 9, 32] }], (x) => tf.reverse(x, 1));
  });

  test('int32 goes to the cpu kernel and gives the same result', async () => {
    await tf.setBackend('native');
    const y = tf.reverse(tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3], 'int32'), 1);
    assert.equal(y.dtype, 'int32');
    assert.deepEqual(Array.from(y.dataSync()), [3, 2, 1, 6, 5, 4]);
    y.dispose();
  });

  test('the reverse gradient equals cpu and leaks no tensor', async () => {
    const f = (x: tf.Tensor) => tf.sum(tf.mul(tf.reverse(x, 1), tf.range(0, 12).reshape([3, 4])));
    await parity('reverse gradient', [{ shape: [3, 4] }], (x) => tf.grad(f)(x));
    await tf.setBackend('native');
    const x = tf.randomNormal([3, 4]);
    assertNoLeak('reverse gradient', () => tf.grad(f)(x).dispose());
    x.dispose();
  });
});
