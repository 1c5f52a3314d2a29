// Parity of the native BatchMatMul and _FusedMatMul kernels with the cpu backend: every transpose
// combination, broadcast batch dims, gemv (m = 1), empty dims, NaN/Inf, bias and activations,
// and gradients through tf.grad. Tolerance: sgemm accumulates in float32, the cpu kernel in double,
// so the allowed absolute error grows with the inner dimension k (inputs are in [-3, 3)).
import { describe, test } from 'node:test';
import { tf } from '../../tf.ts';
import { parity, skipNative } from './testing.ts';

const tol = { rtol: 1e-5, atol: 1e-4 };
const tolForK = (k: number) => ({ rtol: 1e-5, atol: 1e-5 * Math.max(k, 10) });

/** Operand shapes for logical [batch.., m, k]·[batch.., k, n] stored as the transposes demand. */
function operands(
  aBatch: number[],
  bBatch: number[],
  m: number,
  k: number,
  n: number,
  ta: boolean,
  tb: boolean,
) {
  return [
    { shape: [...aBatch, ...(ta ? [k, m] : [m, k])] },
    { shape: [...bBatch, ...(tb ? [n, k] : [k, n])] },
  ];
}

const sizes: [string, number, number, number][] = [
  ['square', 8, 8, 8],
  ['rectangular', 13, 29, 7],
  ['gemv m=1', 1, 37, 11],
  ['n=1', 9, 5, 1],
  ['k=1', 6, 1, 4],
  ['k=0', 3, 0, 4],
  ['m=0', 0, 5, 4],
  ['mlp-sized', 64, 784, 120],
];

describe('native BatchMatMul', { skip: skipNative }, () => {
  for (const ta of [false, true]) {
    for (const tb of [false, true]) {
      for (const [name, m, k, n] of sizes) {
        test(`${name} transposeA=${ta} transposeB=${tb}`, () =>
          parity(
            `${name} ${ta} ${tb}`,
            operands([], [], m, k, n, ta, tb),
            (a, b) => tf.matMul(a, b, ta, tb),
            tolForK(k),
          ));
      }
    }
  }

  const batches: [number[], number[]][] = [
    [[2], [2]],
    [[1], [5]],
    [[4], []],
    [[], [3]],
    [
      [2, 3],
      [2, 3],
    ],
    [
      [2, 1],
      [1, 3],
    ], // broadcast batch the cpu kernel sizes as max(2, 3): must agree with it
    [[0], [0]],
  ];
  for (const [aBatch, bBatch] of batches) {
    for (const ta of [false, true]) {
      for (const tb of [false, true]) {
        test(`batch ${JSON.stringify(aBatch)} x ${JSON.stringify(bBatch)} ${ta} ${tb}`, () =>
          parity(
            'batched',
            operands(aBatch, bBatch, 5, 6, 7, ta, tb),
            (a, b) => tf.matMul(a, b, ta, tb),
            tol,
          ));
      }
    }
  }

  test('propagates NaN and Infinity', () =>
    parity(
      'specials',
      [
        { shape: [12, 10], specials: true },
        { shape: [10, 9], specials: true },
      ],
      (a, b) => tf.matMul(a, b),
      tol,
    ));

  test('gradients of a·b for every transpose combination', async () => {
    for (const ta of [false, true]) {
      for (const tb of [false, true]) {
        await parity(
          `grad ${ta} ${tb}`,
          [...operands([], [], 7, 5, 6, ta, tb), { shape: [7, 6] }],
          (a, b, dy) =>
            tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.matMul(x, y, ta, tb))([a, b], dy),
          tol,
        );
      }
    }
  });
});

describe('native _FusedMatMul', { skip: skipNative }, () => {
  const activations = ['linear', 'relu', 'relu6', 'elu', 'leakyrelu', 'sigmoid', 'prelu'] as const;
  for (const activation of activations) {
    for (const [ta, tb] of [
      [false, false],
      [true, false],
      [false, true],
      [true, true],
    ]) {
      test(`bias [n] + ${activation}, transposeA=${ta} transposeB=${tb}`, () =>
        parity(
          `${activation}`,
          [...operands([], [], 9, 6, 5, ta, tb), { shape: [5] }, { shape: [5] }],
          (a, b, bias, alpha) =>
            tf.fused.matMul({
              a,
              b,
              transposeA: ta,
              transposeB: tb,
              bias,
              activation,
              preluActivationWeights: activation === 'prelu' ? alpha : undefined,
              leakyreluAlpha: 0.3,
            }),
          tol,
        ));
    }
  }

  const biasShapes: number[][] = [[], [1], [1, 5], [9, 5], [9, 1]];
  for (const biasShape of biasShapes) {
    test(`bias shape ${JSON.stringify(biasShape)}`, () =>
      parity(
        'bias',
        [{ shape: [9, 6] }, { shape: [6, 5] }, { shape: biasShape }],
        (a, b, bias) => tf.fused.matMul({ a, b, bias, activation: 'relu' }),
        tol,
      ));
  }

  test('no bias, batched', () =>
    parity(
      'batched',
      [{ shape: [3, 4, 6] }, { shape: [3, 6, 5] }],
      (a, b) => tf.fused.matMul({ a, b, activation: 'relu' }),
      tol,
    ));

  test('gradients through bias and relu', () =>
    parity(
      'fused grad',
      [{ shape: [8, 6] }, { shape: [6, 5] }, { shape: [5] }, { shape: [8, 5] }],
      (a, b, bias, dy) =>
        tf.grads((x: tf.Tensor, w: tf.Tensor, c: tf.Tensor) =>
          tf.fused.matMul({ a: x, b: w, bias: c, activation: 'relu' }),
        )([a, b, bias], dy),
      tol,
    ));
});
