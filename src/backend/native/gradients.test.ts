// The native Mean gradient against tfjs-core's own (the reference, which the cpu backend still
// runs): the same floats exactly, over several axes and keepDims, on native without tfjs-core's
// ones() + Multiply; other backends keep the stock gradient; no tensor leak.
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
