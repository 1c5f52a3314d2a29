// Parity of the native GatherV2 and UnsortedSegmentSum (an embedding's forward and gradient) with
// their references: the cpu GatherV2 kernel, and the *stock* tfjs-backend-cpu UnsortedSegmentSum
// (src/text/kernels.ts keeps it). Axes, batch dims, empty and repeated ids, out-of-range handling
// as tfjs does (gather throws the same error; segment sums drop the id), the int32 fallbacks, the
// embedding gradient end to end, and no tensor leak.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { tf } from '../../tf.ts';
import { stockUnsortedSegmentSum } from '../../text/kernels.ts';
import {
  assertClose,
  assertNoLeak,
  countAddonCalls,
  createRandom,
  parity,
  skipNative,
} from './testing.ts';
import { gatherV2Config } from './kernels/GatherV2.ts';
import { unsortedSegmentSumConfig } from './kernels/UnsortedSegmentSum.ts';

function randomIds(n: number, high: number, seed: number, low = 0): Int32Array {
  const random = createRandom(seed);
  return Int32Array.from({ length: n }, () => low + Math.floor(random() * (high - low)));
}

const gatherCases: { x: number[]; ids: number[]; axis: number; batchDims?: number }[] = [
  { x: [10, 4], ids: [7], axis: 0 },
  { x: [10, 4], ids: [3, 5], axis: 0 },
  { x: [5, 3, 4], ids: [2, 3], axis: 1 },
  { x: [4, 5], ids: [3], axis: -1 },
  { x: [2, 6, 3], ids: [2, 4], axis: 1, batchDims: 1 },
  { x: [2, 3, 6, 2], ids: [2, 5], axis: 2, batchDims: 1 },
  { x: [1000, 3], ids: [64, 32], axis: 0 }, // an embedding-bag batch
  { x: [10, 4], ids: [0], axis: 0 },
  { x: [0, 4], ids: [0], axis: 0 },
];

describe('native GatherV2 and UnsortedSegmentSum', { skip: skipNative }, () => {
  test('the native backend runs these kernels (not the cpu ones it inherits)', () => {
    assert.equal(tf.getKernel(tf.GatherV2, 'native')?.kernelFunc, gatherV2Config.kernelFunc);
    assert.equal(
      tf.getKernel(tf.UnsortedSegmentSum, 'native')?.kernelFunc,
      unsortedSegmentSumConfig.kernelFunc,
    );
  });

  gatherCases.forEach(({ x, ids, axis, batchDims }, i) => {
    const axisDim = x.at(axis)!;
    const size = ids.reduce((a, b) => a * b, 1);
    const values = randomIds(size, Math.max(axisDim, 1), 10 + i);
    // batchDims: ids [b, n] index x's axis within batch b (ids then are per batch row).
    test(`gather x [${x}] ids [${ids}] axis ${axis} batchDims ${batchDims ?? 0} equals cpu`, () =>
      parity(`gather ${i}`, [{ shape: x, specials: true }], (t) =>
        tf.gather(t, tf.tensor(values, ids, 'int32'), axis, batchDims),
      ));
  });

  test('every element of a recycled (NaN-filled) buffer is overwritten', async () => {
    await tf.setBackend('native');
    tf.tidy(() => tf.mul(tf.fill([64, 32, 3], NaN), 1)).dispose(); // leaves a NaN buffer pooled
    const ids = randomIds(64 * 32, 1000, 3);
    await parity('gather after poison', [{ shape: [1000, 3] }], (t) =>
      tf.gather(t, tf.tensor(ids, [64 * 32], 'int32')),
    );
  });

  test('an index out of range throws the cpu kernel error on both backends', async () => {
    for (const backend of ['cpu', 'native']) {
      await tf.setBackend(backend);
      const x = tf.ones([5, 2]);
      for (const bad of [5, -1]) {
        const ids = tf.tensor1d([0, bad], 'int32');
        assert.throws(
          () => tf.gather(x, ids),
          { message: `GatherV2: the index value ${bad} is not in [0, 4]` },
          backend,
        );
        ids.dispose();
      }
      x.dispose();
    }
  });

  test('gather runs in C++ for float32 and falls back to cpu for int32 values', async () => {
    await tf.setBackend('native');
    const table = tf.tensor2d([1, 2, 3, 4, 5, 6], [3, 2]);
    const ids = tf.tensor1d([2, 0, 2], 'int32');
    let y: tf.Tensor | undefined;
    assert.equal(
      countAddonCalls('gather', () => (y = tf.gather(table, ids))),
      1,
    );
    assert.deepEqual(Array.from(y!.dataSync()), [5, 6, 1, 2, 5, 6]);
    const ints = tf.tensor2d([1, 2, 3, 4, 5, 6], [3, 2], 'int32');
    const z = tf.gather(ints, ids);
    assert.equal(z.dtype, 'int32');
    assert.deepEqual(Array.from(z.dataSync()), [5, 6, 1, 2, 5, 6]);
    tf.dispose([table, ids, y!, ints, z]);
  });

  test('segment sums equal the stock cpu kernel (repeated ids, ids out of range dropped)', async () => {
    assert.ok(stockUnsortedSegmentSum, 'stock kernel captured');
    for (const [n, inner, segments, seed] of [
      [50, [4], 7, 1],
      [30, [3, 2], 9, 2],
      [200, [1], 3, 3],
      [16, [64], 1000, 4],
      [0, [3], 4, 5],
    ] as [number, number[], number, number][]) {
      const ids = randomIds(n, segments + 1, seed, -1); // -1 and `segments` are out of range
      const random = createRandom(seed);
      const x = Float32Array.from(
        { length: n * inner.reduce((a, b) => a * b, 1) },
        () => random() * 2 - 1,
      );
      await tf.setBackend('cpu');
      const expected = tf.tidy(() => {
        const xt = tf.tensor(x, [n, ...inner]);
        const it = tf.tensor(ids, [n], 'int32');
        const backend = tf.backend();
        const info = stockUnsortedSegmentSum!({
          inputs: { x: xt, segmentIds: it },
          backend,
          attrs: { numSegments: segments },
        }) as tf.TensorInfo;
        const values = (backend.readSync(info.dataId) as Float32Array).slice();
        backend.disposeData(info.dataId);
        return values;
      });
      await tf.setBackend('native');
      const got = tf.tidy(() => {
        const out = tf.unsortedSegmentSum(
          tf.tensor(x, [n, ...inner]),
          tf.tensor1d(ids, 'int32'),
          segments,
        );
        assert.deepEqual(out.shape, [segments, ...inner]);
        return out.dataSync();
      });
      assertClose(got, expected, { atol: 1e-5 }, `segment sum n ${n} inner ${inner}`);
    }
  });

  test('int32 values go to the cpu kernel and give the same sums', async () => {
    await tf.setBackend('native');
    const y = tf.unsortedSegmentSum(
      tf.tensor1d([1, 2, 3, 4], 'int32'),
      tf.tensor1d([0, 1, 0, 5], 'int32'),
      2,
    );
    assert.equal(y.dtype, 'int32');
    assert.deepEqual(Array.from(y.dataSync()), [4, 2]);
    y.dispose();
  });

  test('the embedding gradient through gather equals cpu, and a step leaks no tensor', async () => {
    const ids = randomIds(32 * 16, 300, 7);
    const embed = (table: tf.Tensor) =>
      tf.sum(tf.square(tf.gather(table, tf.tensor(ids, [32 * 16], 'int32')))); // scalar
    await parity('embedding gradient', [{ shape: [300, 8] }], (t) => tf.grad(embed)(t), {
      rtol: 1e-5,
      atol: 1e-5,
    });
    const table = tf.randomNormal([300, 8]);
    assertNoLeak('gather gradient', () => tf.grad(embed)(table).dispose());
    table.dispose();
  });
});
