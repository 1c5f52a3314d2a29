// Parity of the native elementwise kernels with the cpu backend: binary ops under every
// broadcasting pattern (scalars, size-0 and size-1 dims, inner/outer/middle broadcasts), unary ops,
// NaN/±Infinity/±0 inputs, non-float32 fallbacks. Tolerance: +,-,*,/, max, min are exact (one
// float32 rounding, as in the cpu kernel); transcendental functions use float32 libm (≤ 2 ulp).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { tf } from '../../tf.ts';
import { countAddonCalls, parity, skipNative } from './testing.ts';

const binaryOps: [string, (a: tf.Tensor, b: tf.Tensor) => tf.Tensor][] = [
  ['Add', tf.add],
  ['Sub', tf.sub],
  ['Multiply', tf.mul],
  ['RealDiv', tf.div],
  ['Maximum', tf.maximum],
  ['Minimum', tf.minimum],
  ['SquaredDifference', tf.squaredDifference],
];

const shapePairs: [number[], number[]][] = [
  [
    [2, 3],
    [2, 3],
  ],
  [[2, 3], [3]],
  [[3], [2, 3]],
  [
    [2, 3],
    [2, 1],
  ],
  [[], [4, 5]],
  [[4, 5], []],
  [
    [4, 1, 3],
    [1, 5, 1],
  ],
  [
    [2, 1, 3, 1],
    [5, 1, 4],
  ],
  [
    [3, 4, 5, 6],
    [4, 1, 6],
  ],
  [
    [6, 1, 1, 2],
    [1, 7, 3, 1],
  ],
  [[0, 3], [3]],
  [
    [2, 0],
    [2, 1],
  ],
  [[1], [1]],
  [[1, 1], [7]],
  [[128, 120], [120]],
  [
    [64, 10],
    [64, 1],
  ],
];

describe('native binary kernels', { skip: skipNative }, () => {
  for (const [name, op] of binaryOps) {
    for (const [aShape, bShape] of shapePairs) {
      test(`${name} ${JSON.stringify(aShape)} with ${JSON.stringify(bShape)}`, () =>
        parity(name, [{ shape: aShape }, { shape: bShape }], op));
    }
    test(`${name} propagates NaN and Infinity`, () =>
      parity(
        name,
        [
          { shape: [9, 8], specials: true },
          { shape: [9, 8], specials: true },
        ],
        op,
      ));
    test(`${name} propagates NaN and Infinity when broadcasting`, () =>
      parity(
        name,
        [
          { shape: [9, 8], specials: true },
          { shape: [8], specials: true },
        ],
        op,
      ));
  }

  test('the float32 path runs natively', () => {
    const calls = countAddonCalls('binary', () =>
      tf.tidy(() => tf.add(tf.ones([3, 2]), tf.ones([2])).dataSync()),
    );
    assert.equal(calls, 1);
  });

  test('int32 falls back to the cpu kernel', async () => {
    await tf.setBackend('native');
    const calls = countAddonCalls('binary', () => {
      const out = tf.tidy(() => tf.add(tf.tensor1d([1, 2], 'int32'), tf.tensor1d([3, 4], 'int32')));
      assert.equal(out.dtype, 'int32');
      assert.deepEqual(Array.from(out.dataSync()), [4, 6]);
      out.dispose();
    });
    assert.equal(calls, 0);
  });
});

const transcendental = { rtol: 3e-7, atol: 1e-38 };
const unaryOps: [string, (x: tf.Tensor) => tf.Tensor, { rtol?: number; atol?: number }?][] = [
  ['Relu', tf.relu],
  ['Relu6', tf.relu6],
  ['Exp', tf.exp, transcendental],
  ['Log', tf.log, transcendental],
  ['Sqrt', tf.sqrt],
  ['Rsqrt', tf.rsqrt, transcendental],
  ['Square', tf.square],
  ['Neg', tf.neg],
  ['Step', (x) => tf.step(x, 0.25)],
  ['Sigmoid', tf.sigmoid, transcendental],
  ['Tanh', tf.tanh, transcendental],
  ['Abs', tf.abs],
  ['Reciprocal', tf.reciprocal],
  ['LeakyRelu', (x) => tf.leakyRelu(x, 0.1)],
  ['Elu', tf.elu, transcendental],
];

describe('native unary kernels', { skip: skipNative }, () => {
  for (const [name, op, tolerance] of unaryOps) {
    for (const shape of [[], [1], [0], [7, 13], [2, 3, 4, 5]]) {
      test(`${name} ${JSON.stringify(shape)}`, () =>
        parity(name, [{ shape, low: -12, high: 12 }], op, tolerance));
    }
    test(`${name} propagates NaN, ±Infinity, ±0`, () =>
      parity(name, [{ shape: [40], specials: true }], op, tolerance));
  }

  test('the float32 path runs natively', () => {
    const calls = countAddonCalls('unary', () => tf.tidy(() => tf.exp(tf.ones([3])).dataSync()));
    assert.equal(calls, 1);
  });
});
