// Parity of the native Tile kernel with the cpu kernel (its reference): ranks 1–5, repeats on the
// last dimension, on outer ones and on both, size-0 dimensions, NaN/±Infinity/±0 values (copied
// exactly), pooled output buffers poisoned with NaN, the int32 fallback, and no tensor leak.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { tf } from '../../tf.ts';
import { assertNoLeak, parity, skipNative } from './testing.ts';
import { tileConfig } from './kernels/Tile.ts';

const cases: [number[], number[]][] = [
  [[5], [3]],
  [
    [2, 3],
    [1, 1],
  ],
  [
    [2, 3],
    [2, 1],
  ],
  [
    [2, 3],
    [1, 4],
  ],
  [
    [2, 3],
    [3, 2],
  ],
  [
    [4, 5, 6, 1],
    [1, 1, 1, 3],
  ], // gray → RGB
  [
    [2, 3, 4, 70],
    [1, 2, 1, 2],
  ], // long rows (copied with set)
  [
    [2, 1, 3, 2, 2],
    [2, 3, 1, 2, 1],
  ],
  [
    [8, 1, 64],
    [1, 16, 1],
  ], // a Mean gradient's broadcast over time
  [
    [3, 1, 5],
    [2, 7, 1],
  ],
  [
    [0, 3],
    [2, 2],
  ],
  [
    [3, 0],
    [2, 2],
  ],
  [
    [2, 3],
    [0, 1],
  ],
];

describe('native Tile', { skip: skipNative }, () => {
  test('the native backend runs this kernel (not the cpu one it inherits)', () => {
    assert.equal(tf.getKernel(tf.Tile, 'native')?.kernelFunc, tileConfig.kernelFunc);
  });

  for (const [shape, reps] of cases) {
    test(`tile [${shape}] by [${reps}] equals cpu`, () =>
      parity(`tile ${shape} ${reps}`, [{ shape, specials: true }], (x) => tf.tile(x, reps)));
  }

  test('every element of a recycled (NaN-filled) buffer is overwritten', async () => {
    await tf.setBackend('native');
    tf.tidy(() => tf.mul(tf.fill([4, 6, 6, 3], NaN), 1)).dispose(); // leaves a NaN buffer pooled
    await parity('tile after poison', [{ shape: [4, 6, 6, 1] }], (x) => tf.tile(x, [1, 1, 1, 3]));
  });

  test('int32 goes to the cpu kernel and gives the same result', async () => {
    await tf.setBackend('native');
    const x = tf.tensor2d([1, 2, 3, 4], [2, 2], 'int32');
    const y = tf.tile(x, [2, 1]);
    assert.equal(y.dtype, 'int32');
    assert.deepEqual(Array.from(y.dataSync()), [1, 2, 3, 4, 1, 2, 3, 4]);
    tf.dispose([x, y]);
  });

  test('the tile gradient still matches cpu, and a step leaks no tensor', async () => {
    await parity('tile gradient', [{ shape: [3, 4, 1] }, { shape: [6, 4, 3] }], (x, dy) =>
      tf.grad((a: tf.Tensor) => tf.tile(a, [2, 1, 3]))(x, dy),
    );
    const x = tf.ones([8, 8, 1]);
    assertNoLeak('tile', () => tf.tile(x, [1, 1, 3]).dispose());
    x.dispose();
  });
});
