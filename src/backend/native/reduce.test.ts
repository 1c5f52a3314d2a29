// Parity of the native reductions (Sum, Mean, Max), Softmax and Transpose with the cpu backend:
// contiguous and scattered axes, negative axes, keepDims, size-0 and size-1 dims, NaN/±Infinity.
// Tolerance: sums accumulate in double like the cpu kernel but in a different order (rtol 1e-6);
// softmax uses float32 exp (rtol 1e-6).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { tf } from '../../tf.ts';
import { reduceView } from './kernels/reduce.ts';
import { countAddonCalls, parity, skipNative } from './testing.ts';

const cases: [number[], number | number[] | undefined][] = [
  [[5], 0],
  [[3, 4], 0],
  [[3, 4], 1],
  [[3, 4], -1],
  [
    [3, 4],
    [0, 1],
  ],
  [[3, 4], undefined],
  [
    [2, 3, 4],
    [0, 2],
  ], // two separate blocks: transposed first
  [[2, 3, 4], 1],
  [
    [2, 3, 4],
    [0, 1],
  ],
  [
    [2, 3, 4],
    [1, 2],
  ],
  [
    [2, 1, 3, 1, 4],
    [1, 3],
  ], // only size-1 dims
  [
    [2, 1, 3, 1, 4],
    [0, 2, 4],
  ],
  [
    [2, 1, 3, 1, 4],
    [1, 2],
  ],
  [
    [3, 5, 2, 4],
    [0, 3],
  ],
  [[0, 3], 0],
  [[3, 0], 1],
  [[3, 0], 0],
  [[1], 0],
  [[128, 120], 0], // a bias gradient
  [
    [4, 6, 6, 8],
    [0, 1, 2],
  ], // a conv bias gradient
];

const reductions: [
  string,
  (x: tf.Tensor, axis: number | number[] | undefined, keepDims: boolean) => tf.Tensor,
][] = [
  ['Sum', (x, axis, keepDims) => tf.sum(x, axis, keepDims)],
  ['Mean', (x, axis, keepDims) => tf.mean(x, axis, keepDims)],
  ['Max', (x, axis, keepDims) => tf.max(x, axis, keepDims)],
];

describe('native reductions', { skip: skipNative }, () => {
  for (const [name, reduce] of reductions) {
    for (const [shape, axis] of cases) {
      for (const keepDims of [false, true]) {
        test(`${name} ${JSON.stringify(shape)} axis=${JSON.stringify(axis)} keepDims=${keepDims}`, () =>
          parity(name, [{ shape }], (x) => reduce(x, axis, keepDims), { rtol: 1e-6 }));
      }
    }
    test(`${name} propagates NaN and Infinity`, async () => {
      await parity(name, [{ shape: [6, 7], specials: true }], (x) => reduce(x, 1, false), {
        rtol: 1e-6,
      });
      await parity(name, [{ shape: [6, 7], specials: true }], (x) => reduce(x, 0, false), {
        rtol: 1e-6,
      });
    });
  }

  test('the float32 path runs natively', () => {
    const calls = countAddonCalls('reduce', () =>
      tf.tidy(() => tf.sum(tf.ones([3, 2]), 0).dataSync()),
    );
    assert.equal(calls, 1);
  });

  test('reduceView finds one contiguous block', () => {
    assert.deepEqual(reduceView([2, 3, 4], [1]), { outer: 2, reduce: 3, inner: 4 });
    assert.deepEqual(reduceView([2, 2, 3], [0, 2]), undefined);
    assert.deepEqual(reduceView([2, 1, 3], [0, 2]), { outer: 1, reduce: 6, inner: 1 });
    assert.deepEqual(reduceView([2, 1, 3], [1]), { outer: 6, reduce: 1, inner: 1 });
    assert.deepEqual(reduceView([5, 1, 3, 1], [0, 3]), { outer: 1, reduce: 5, inner: 3 });
  });
});

describe('native Softmax', { skip: skipNative }, () => {
  for (const shape of [[10], [4, 10], [2, 3, 5], [3, 1], [128, 10], [0, 4]]) {
    test(`softmax ${JSON.stringify(shape)}`, () =>
      parity('softmax', [{ shape, low: -20, high: 20 }], (x) => tf.softmax(x), {
        rtol: 1e-6,
        atol: 1e-12,
      }));
  }
  test('softmax propagates NaN and Infinity', () =>
    parity('softmax', [{ shape: [5, 8], specials: true }], (x) => tf.softmax(x), {
      rtol: 1e-6,
      atol: 1e-12,
    }));
  test('logSoftmax and its gradient (composed of native kernels)', () =>
    parity(
      'logSoftmax',
      [{ shape: [6, 10] }, { shape: [6, 10] }],
      (x, dy) => [tf.logSoftmax(x), tf.grad((z: tf.Tensor) => tf.logSoftmax(z))(x, dy)],
      { rtol: 1e-6, atol: 1e-6 },
    ));
  test('softmax gradient', () =>
    parity(
      'softmax grad',
      [{ shape: [6, 10] }, { shape: [6, 10] }],
      (x, dy) => tf.grad((z: tf.Tensor) => tf.softmax(z))(x, dy),
      { rtol: 1e-5, atol: 1e-7 },
    ));
});

describe('native Transpose', { skip: skipNative }, () => {
  const perms: [number[], number[]][] = [
    [
      [130, 70],
      [1, 0],
    ],
    [
      [3, 4],
      [0, 1],
    ],
    [
      [2, 3, 4],
      [2, 0, 1],
    ],
    [
      [2, 3, 4],
      [0, 2, 1],
    ],
    [
      [2, 3, 4],
      [1, 0, 2],
    ],
    [
      [2, 1, 4, 1],
      [3, 2, 1, 0],
    ],
    [
      [2, 3, 4, 5],
      [0, 3, 1, 2],
    ],
    [
      [2, 3, 4, 5, 6],
      [4, 2, 0, 3, 1],
    ],
    [
      [0, 3],
      [1, 0],
    ],
    [[1], [0]],
  ];
  for (const [shape, perm] of perms) {
    test(`transpose ${JSON.stringify(shape)} perm ${JSON.stringify(perm)}`, () =>
      parity('transpose', [{ shape, specials: true }], (x) => tf.transpose(x, perm)));
  }
});
