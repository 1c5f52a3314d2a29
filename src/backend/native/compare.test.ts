// Parity of the native comparisons (Equal, NotEqual, Less, LessEqual, Greater, GreaterEqual) and
// of the bool → float32 Cast with the cpu kernels (their reference): broadcast shapes, NaN and
// ±Infinity, equal values on purpose, the int32 fallback, and the gradient they serve (Max over
// time, TextCNN's pooling), which now runs without any cpu fallback.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { tf } from '../../tf.ts';
import { assertNoLeak, countAddonCalls, parity, skipNative } from './testing.ts';
import { castConfig } from './kernels/Cast.ts';
import { equalConfig } from './kernels/Equal.ts';

const ops: [string, (a: tf.Tensor, b: tf.Tensor) => tf.Tensor][] = [
  ['equal', tf.equal],
  ['notEqual', tf.notEqual],
  ['less', tf.less],
  ['lessEqual', tf.lessEqual],
  ['greater', tf.greater],
  ['greaterEqual', tf.greaterEqual],
];

const shapes: [number[], number[]][] = [
  [[7], [7]],
  [
    [3, 5],
    [3, 5],
  ],
  [
    [6, 9, 4],
    [6, 1, 4],
  ], // x against its max over time
  [[2, 3], [3]],
  [
    [4, 1],
    [1, 5],
  ],
  [[2, 3, 4], []],
  [[0, 3], [3]],
];

describe('native comparisons and Cast', { skip: skipNative }, () => {
  test('the native backend runs these kernels (not the cpu ones it inherits)', () => {
    assert.equal(tf.getKernel(tf.Equal, 'native')?.kernelFunc, equalConfig.kernelFunc);
    assert.equal(tf.getKernel(tf.Cast, 'native')?.kernelFunc, castConfig.kernelFunc);
  });

  for (const [name, op] of ops) {
    for (const [a, b] of shapes) {
      test(`${name} [${a}] vs [${b}] equals cpu`, () =>
        // Rounded to halves so that equal values (and ties for <= / >=) really occur.
        parity(
          `${name} ${a} ${b}`,
          [
            { shape: a, specials: true },
            { shape: b, specials: true },
          ],
          (x, y) => op(tf.div(tf.round(tf.mul(x, 2)), 2), tf.div(tf.round(tf.mul(y, 2)), 2)),
        ));
    }
  }

  test('comparisons run in C++ for float32 and fall back to cpu for int32', async () => {
    await tf.setBackend('native');
    const a = tf.tensor1d([1, 2, 3]);
    let y: tf.Tensor | undefined;
    assert.equal(
      countAddonCalls('compare', () => (y = tf.equal(a, tf.scalar(2)))),
      1,
    );
    assert.equal(y!.dtype, 'bool');
    assert.deepEqual(Array.from(y!.dataSync()), [0, 1, 0]);
    const ints = tf.greater(tf.tensor1d([1, 5], 'int32'), tf.tensor1d([2, 2], 'int32'));
    assert.deepEqual(Array.from(ints.dataSync()), [0, 1]);
    tf.dispose([a, y!, ints]);
  });

  test('bool → float32 gives a Float32Array that native kernels take, values as cpu', async () => {
    await parity('cast', [{ shape: [4, 6], specials: true }], (x) =>
      tf.cast(tf.greater(x, 0), 'float32'),
    );
    await tf.setBackend('native');
    const mask = tf.cast(tf.tensor1d([1, 0, 1], 'bool'), 'float32');
    const values = (
      tf.backend() as unknown as { data: { get(id: unknown): { values: unknown } } }
    ).data.get(mask.dataId).values;
    assert.ok(values instanceof Float32Array);
    assert.equal(
      countAddonCalls('binary', () => tf.mul(mask, tf.tensor1d([2, 3, 4])).dispose()),
      1,
    );
    const ints = tf.cast(tf.tensor1d([3, -1], 'int32'), 'float32'); // stays the cpu kernel's
    assert.deepEqual(Array.from(ints.dataSync()), [3, -1]);
    tf.dispose([mask, ints]);
  });

  test('the max-over-time gradient equals cpu and leaks no tensor', async () => {
    const maxOverTime = (x: tf.Tensor) => tf.sum(tf.mul(tf.max(x, 1), tf.range(1, 5))); // scalar
    await parity('max gradient', [{ shape: [3, 7, 4] }], (x) => tf.grad(maxOverTime)(x));
    await tf.setBackend('native');
    const x = tf.randomNormal([3, 7, 4]);
    assertNoLeak('max gradient', () => tf.grad(maxOverTime)(x).dispose());
    x.dispose();
  });
});
