// The native Mean and gather gradients against tfjs-core's own (the reference, which cpu still
// runs): Mean's the same floats exactly, over several axes and keepDims, without tfjs-core's
// ones() + Multiply; gather's (axis 0) without its identity transposes, within float summation
// order; other backends and axes keep the stock gradient; no tensor leak.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { tf } from '../../tf.ts';
import { assertNoLeak, parity, skipNative } from './testing.ts';

const cases: [number[], number | number[], boolean][] = [
  [[6, 9, 4], 1, false], // an embedding bag: mean over time
  [[6, 9, 4], [0, 2], false],
  [[5, 7], -1, true],
  [[3, 4, 5], [0, 1, 2], false],
  [[4, 1, 3], 1, false],
  [[0, 3], 0, false],
];

describe('native gradients', { skip: skipNative }, () => {
  for (const [shape, axis, keepDims] of cases) {
    test(`mean gradient [${shape}] axis ${JSON.stringify(axis)} keepDims ${keepDims} equals cpu exactly`, () =>
      parity(`mean gradient ${shape}`, [{ shape, specials: true }, { shape }], (x, w) =>
        tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.mean(tf.mul(a, w), axis, keepDims), 3)))(x),
      ));
  }

  test('on native the mean gradient broadcasts with Tile instead of multiplying by ones', async () => {
    const kernels = async (backend: string) => {
      await tf.setBackend(backend);
      const x = tf.randomNormal([8, 16, 4]);
      const profile = await tf.profile(() => tf.grad((a: tf.Tensor) => tf.mean(a, 1))(x));
      x.dispose();
      return profile.kernels.map((k) => k.name);
    };
    const native = await kernels('native');
    assert.ok(native.includes('Tile') && !native.includes('Multiply'), native.join(' '));
    const cpu = await kernels('cpu');
    assert.ok(cpu.includes('Multiply') && !cpu.includes('Tile'), cpu.join(' '));
  });

  test('a mean gradient step leaks no tensor', async () => {
    await tf.setBackend('native');
    const x = tf.randomNormal([8, 16, 4]);
    assertNoLeak('mean gradient', () =>
      tf
        .grad((a: tf.Tensor) => tf.mean(a, 1))(x)
        .dispose(),
    );
    x.dispose();
  });
});

describe('native gather gradient', { skip: skipNative }, () => {
  const ids = Int32Array.from({ length: 6 * 5 }, (_, i) => (i * 7) % 50); // repeated ids too
  for (const [shape, idShape] of [
    [
      [50, 4],
      [6, 5],
    ],
    [[50, 2, 3], [30]],
  ] as [number[], number[]][]) {
    test(`embedding gradient x [${shape}] ids [${idShape}] equals cpu`, () =>
      parity(
        `gather gradient ${shape}`,
        [{ shape, specials: false }],
        (x) =>
          tf.grad((t: tf.Tensor) =>
            tf.sum(tf.square(tf.gather(t, tf.tensor(ids, idShape, 'int32')))),
          )(x),
        { atol: 1e-5, rtol: 1e-5 }, // the stock segment sum accumulates in double, native in float
      ));
  }

  test('on native the axis-0 gather gradient runs no Transpose; other axes keep tfjs-core', async () => {
    await tf.setBackend('native');
    const x = tf.randomNormal([20, 6]);
    const index = tf.tensor1d([1, 4, 1], 'int32');
    const names = async (axis: number) =>
      (await tf.profile(() => tf.grad((t: tf.Tensor) => tf.gather(t, index, axis))(x))).kernels.map(
        (k) => k.name,
      );
    const axis0 = await names(0);
    assert.ok(
      axis0.includes('UnsortedSegmentSum') && !axis0.includes('Transpose'),
      axis0.join(' '),
    );
    assert.ok((await names(1)).includes('Transpose'));
    assertNoLeak('gather gradient', () =>
      tf
        .grad((t: tf.Tensor) => tf.gather(t, index))(x)
        .dispose(),
    );
    tf.dispose([x, index]);
  });
});
