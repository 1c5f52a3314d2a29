// Parity of the native Slice and SplitV with the cpu kernels (their reference): strided slices of
// ranks 1–4 (cut on the last, a middle and the first dimension), size -1, contiguous slices (left
// to the cpu kernel's view), SplitV by sizes and by count on every axis, the concat gradient it
// serves, the int32 fallback and no tensor leak.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { tf } from '../../tf.ts';
import { assertNoLeak, parity, skipNative } from './testing.ts';
import { sliceConfig } from './kernels/Slice.ts';
import { splitVConfig } from './kernels/SplitV.ts';

const slices: [number[], number[], number[]][] = [
  [[10], [2], [5]],
  [
    [4, 30],
    [0, 5],
    [4, 20],
  ], // a strided cut along the last dimension, runs of 20
  [
    [4, 6],
    [1, 2],
    [2, 3],
  ],
  [
    [3, 5, 7],
    [0, 1, 0],
    [3, 3, 7],
  ], // whole rows of the last dimension
  [
    [3, 5, 7],
    [1, 0, 2],
    [2, -1, 4],
  ],
  [
    [2, 3, 4, 5],
    [1, 1, 1, 1],
    [1, 2, 3, 4],
  ],
  [
    [4, 6],
    [1, 0],
    [2, 6],
  ], // contiguous: the cpu kernel's view
  [
    [4, 6],
    [0, 3],
    [4, 0],
  ],
];

describe('native Slice and SplitV', { skip: skipNative }, () => {
  test('the native backend runs these kernels (not the cpu ones it inherits)', () => {
    assert.equal(tf.getKernel(tf.Slice, 'native')?.kernelFunc, sliceConfig.kernelFunc);
    assert.equal(tf.getKernel(tf.SplitV, 'native')?.kernelFunc, splitVConfig.kernelFunc);
  });

  for (const [shape, begin, size] of slices) {
    test(`slice [${shape}] from [${begin}] size [${size}] equals cpu`, () =>
      parity(`slice ${shape} ${begin} ${size}`, [{ shape, specials: true }], (x) =>
        tf.slice(x, begin, size),
      ));
  }

  for (const [shape, split, axis] of [
    [[4, 300], [100, 100, 100], 1],
    [[4, 9], 3, 1],
    [[6, 5], [2, 4], 0],
    [[2, 6, 5], [1, 2, 3], 1],
    [[2, 3, 8], [3, 5], -1],
  ] as [number[], number | number[], number][]) {
    test(`split [${shape}] by ${JSON.stringify(split)} on axis ${axis} equals cpu`, () =>
      parity(`split ${shape}`, [{ shape, specials: true }], (x) => tf.split(x, split, axis)));
  }

  test('every element of a recycled (NaN-filled) buffer is overwritten', async () => {
    await tf.setBackend('native');
    tf.tidy(() => tf.mul(tf.fill([64, 100], NaN), 1)).dispose(); // leaves a NaN buffer pooled
    await parity('slice after poison', [{ shape: [64, 300] }], (x) =>
      tf.slice(x, [0, 100], [64, 100]),
    );
  });

  test('int32 goes to the cpu kernel and gives the same result', async () => {
    await tf.setBackend('native');
    const x = tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3], 'int32');
    const [a, b] = tf.split(x, [1, 2], 1);
    assert.equal(a.dtype, 'int32');
    assert.deepEqual(Array.from(a.dataSync()), [1, 4]);
    assert.deepEqual(Array.from(b.dataSync()), [2, 3, 5, 6]);
    tf.dispose([x, a, b]);
  });

  test('the concat gradient equals cpu and leaks no tensor', async () => {
    const weights = tf.range(0, 4 * 9).reshape([4, 9]);
    const f = (a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.concat([a, b], 1), weights));
    await parity('concat gradient', [{ shape: [4, 4] }, { shape: [4, 5] }], (a, b) =>
      tf.grads(f)([a, b]),
    );
    await tf.setBackend('native');
    const [a, b] = [tf.randomNormal([4, 4]), tf.randomNormal([4, 5])];
    assertNoLeak('concat gradient', () => tf.dispose(tf.grads(f)([a, b])));
    tf.dispose([a, b, weights]);
  });
});
