// Parity of the native convolution and pooling kernels with the cpu backend: strides, same/valid/
// explicit padding, dilation, 1x1 (no im2col) and batch chunking, fused bias + activation, the
// gradients through tf.grads, NaN handling of pooling. Tolerance: the cpu conv accumulates in
// float32 in another order, so the error bound grows with the filter volume.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { tf } from '../../tf.ts';
import { countAddonCalls, parity, skipNative } from './testing.ts';

type Pad =
  | 'valid'
  | 'same'
  | number
  | [[number, number], [number, number], [number, number], [number, number]];
type Shape4D = [number, number, number, number];
interface ConvCase {
  name: string;
  x: Shape4D; // [batch, h, w, inC]
  filter: Shape4D; // [fh, fw, inC, outC]
  strides: number | [number, number];
  pad: Pad;
  dilations?: number | [number, number];
}

const cases: ConvCase[] = [
  { name: '3x3 same', x: [2, 7, 7, 3], filter: [3, 3, 3, 4], strides: 1, pad: 'same' },
  { name: '3x3 valid stride 2', x: [2, 9, 8, 2], filter: [3, 3, 2, 5], strides: 2, pad: 'valid' },
  {
    name: '5x3 same stride [2,1]',
    x: [1, 8, 6, 3],
    filter: [5, 3, 3, 2],
    strides: [2, 1],
    pad: 'same',
  },
  { name: '1x1 pointwise', x: [3, 5, 5, 6], filter: [1, 1, 6, 4], strides: 1, pad: 'valid' },
  { name: '1x1 stride 2', x: [2, 6, 6, 3], filter: [1, 1, 3, 2], strides: 2, pad: 'same' },
  {
    name: 'explicit padding',
    x: [2, 5, 6, 2],
    filter: [3, 2, 2, 3],
    strides: 1,
    pad: [
      [0, 0],
      [1, 2],
      [0, 1],
      [0, 0],
    ],
  },
  { name: 'numeric padding', x: [1, 6, 6, 1], filter: [3, 3, 1, 2], strides: 1, pad: 1 },
  {
    name: 'dilation 2',
    x: [2, 9, 9, 2],
    filter: [3, 3, 2, 3],
    strides: 1,
    pad: 'same',
    dilations: 2,
  },
  { name: 'inC 1 (first layer)', x: [4, 28, 28, 1], filter: [3, 3, 1, 8], strides: 1, pad: 'same' },
  // 24·24 pixels × 1568 im2col columns per image: 4 images fill the 16 MiB scratch, so 2 chunks.
  { name: 'batch in chunks', x: [5, 24, 24, 32], filter: [7, 7, 32, 1], strides: 1, pad: 'same' },
];

const tolFor = (filter: number[]) => ({
  rtol: 1e-5,
  atol: 2e-6 * filter[0] * filter[1] * filter[2] * 9,
});

describe('native Conv2D, FusedConv2D and their gradients', { skip: skipNative }, () => {
  for (const c of cases) {
    test(`conv2d ${c.name}`, () =>
      parity(
        c.name,
        [{ shape: c.x }, { shape: c.filter }],
        (x, f) =>
          tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, c.strides, c.pad, 'NHWC', c.dilations ?? 1),
        tolFor(c.filter),
      ));
    if (c.dilations) continue; // tfjs computes conv gradients for dilation 1 only
    test(`conv2d gradients ${c.name}`, () => {
      const yShape = tf.tidy(
        () =>
          tf.conv2d(
            tf.zeros(c.x) as tf.Tensor4D,
            tf.zeros(c.filter) as tf.Tensor4D,
            c.strides,
            c.pad,
          ).shape,
      );
      return parity(
        `${c.name} grad`,
        [{ shape: c.x }, { shape: c.filter }, { shape: yShape }],
        (x, f, dy) =>
          tf.grads((a: tf.Tensor, b: tf.Tensor) =>
            tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.strides, c.pad),
          )([x, f], dy),
        { rtol: 1e-5, atol: 2e-6 * c.x[0] * yShape[1] * yShape[2] * 9 },
      );
    });
  }

  for (const activation of [
    'linear',
    'relu',
    'relu6',
    'elu',
    'leakyrelu',
    'sigmoid',
    'prelu',
  ] as const) {
    test(`fused conv2d + bias + ${activation}`, () =>
      parity(
        activation,
        [{ shape: [2, 6, 6, 3] }, { shape: [3, 3, 3, 4] }, { shape: [4] }, { shape: [4] }],
        (x, f, bias, alpha) =>
          tf.fused.conv2d({
            x: x as tf.Tensor4D,
            filter: f as tf.Tensor4D,
            strides: 1,
            pad: 'same',
            bias,
            activation,
            preluActivationWeights: activation === 'prelu' ? alpha : undefined,
            leakyreluAlpha: 0.2,
          }),
        tolFor([3, 3, 3]),
      ));
  }

  test('fused conv2d with a scalar bias', () =>
    parity(
      'scalar bias',
      [{ shape: [2, 5, 5, 2] }, { shape: [3, 3, 2, 3] }, { shape: [] }],
      (x, f, bias) =>
        tf.fused.conv2d({
          x: x as tf.Tensor4D,
          filter: f as tf.Tensor4D,
          strides: 1,
          pad: 'valid',
          bias,
        }),
      tolFor([3, 3, 2]),
    ));

  test('fused conv2d gradients through bias and relu', () =>
    parity(
      'fused grad',
      [{ shape: [2, 6, 6, 3] }, { shape: [3, 3, 3, 4] }, { shape: [4] }, { shape: [2, 6, 6, 4] }],
      (x, f, bias, dy) =>
        tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) =>
          tf.fused.conv2d({
            x: a as tf.Tensor4D,
            filter: b as tf.Tensor4D,
            strides: 1,
            pad: 'same',
            bias: c,
            activation: 'relu',
          }),
        )([x, f, bias], dy),
      { rtol: 1e-5, atol: 1e-4 },
    ));

  test('propagates NaN and Infinity', () =>
    parity(
      'specials',
      [{ shape: [1, 5, 5, 2], specials: true }, { shape: [3, 3, 2, 2] }],
      (x, f) => tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, 1, 'same'),
      tolFor([3, 3, 2]),
    ));

  test('NCHW falls back to the cpu kernel', async () => {
    await tf.setBackend('native');
    const calls = countAddonCalls('conv2d', () =>
      tf.tidy(() =>
        tf
          .conv2d(
            tf.ones([1, 2, 4, 4]) as tf.Tensor4D,
            tf.ones([3, 3, 2, 1]) as tf.Tensor4D,
            1,
            'same',
            'NCHW',
          )
          .dataSync(),
      ),
    );
    assert.equal(calls, 0);
  });

  test('the NHWC path runs natively', async () => {
    await tf.setBackend('native');
    const calls = countAddonCalls('conv2d', () =>
      tf.tidy(() =>
        tf
          .conv2d(
            tf.ones([1, 4, 4, 2]) as tf.Tensor4D,
            tf.ones([3, 3, 2, 1]) as tf.Tensor4D,
            1,
            'same',
          )
          .dataSync(),
      ),
    );
    assert.equal(calls, 1);
  });
});

interface PoolCase {
  name: string;
  x: number[];
  filterSize: number | [number, number];
  strides: number | [number, number];
  pad: 'valid' | 'same' | number;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

const pools: PoolCase[] = [
  { name: '2x2 stride 2 valid', x: [2, 8, 8, 3], filterSize: 2, strides: 2, pad: 'valid' },
  { name: '3x3 stride 1 same', x: [2, 7, 6, 4], filterSize: 3, strides: 1, pad: 'same' },
  {
    name: '3x3 stride 2 same (overlapping)',
    x: [1, 9, 9, 2],
    filterSize: 3,
    strides: 2,
    pad: 'same',
  },
  {
    name: '[2,3] stride [1,2] valid',
    x: [3, 6, 7, 2],
    filterSize: [2, 3],
    strides: [1, 2],
    pad: 'valid',
  },
  {
    name: 'numeric pad, ceil rounding',
    x: [1, 5, 5, 2],
    filterSize: 2,
    strides: 2,
    pad: 1,
    dimRoundingMode: 'ceil',
  },
  { name: '1x1 identity', x: [1, 4, 4, 2], filterSize: 1, strides: 1, pad: 'valid' },
];

describe('native MaxPool, AvgPool and their gradients', { skip: skipNative }, () => {
  for (const p of pools) {
    for (const kind of ['max', 'avg'] as const) {
      const pool = (x: tf.Tensor) =>
        (kind === 'max' ? tf.maxPool : tf.avgPool)(
          x as tf.Tensor4D,
          p.filterSize,
          p.strides,
          p.pad,
          p.dimRoundingMode,
        );
      test(`${kind}Pool ${p.name}`, () => parity(p.name, [{ shape: p.x }], pool, { rtol: 1e-6 }));
      test(`${kind}Pool gradient ${p.name}`, () => {
        const yShape = tf.tidy(() => pool(tf.zeros(p.x)).shape);
        return parity(
          `${p.name} grad`,
          [{ shape: p.x }, { shape: yShape }],
          (x, dy) => tf.grad(pool)(x, dy),
          { rtol: 1e-6 },
        );
      });
    }
  }

  test('maxPool ignores NaN and its gradient picks the first maximum', async () => {
    await parity('nan', [{ shape: [1, 6, 6, 2], specials: true }], (x) =>
      tf.maxPool(x as tf.Tensor4D, 2, 2, 'valid'),
    );
    const ties = (x: tf.Tensor) => tf.maxPool(x as tf.Tensor4D, 2, 1, 'valid');
    await parity(
      'ties',
      [{ shape: [1, 4, 4, 1], low: 1, high: 1 }, { shape: [1, 3, 3, 1] }],
      (x, dy) => tf.grad(ties)(x, dy),
    );
  });

  test('avgPool propagates NaN and Infinity', () =>
    parity('specials', [{ shape: [1, 6, 6, 2], specials: true }], (x) =>
      tf.avgPool(x as tf.Tensor4D, 3, 1, 'same'),
    ));
});
