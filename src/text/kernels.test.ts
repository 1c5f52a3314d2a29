// The scatter-add UnsortedSegmentSum against the stock tfjs-backend-cpu kernel (the reference) on
// random inputs, including out-of-range ids and int32 values, and the embedding gradient it serves.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../tf.ts';
import { createRng } from '../random.ts';
import { stockUnsortedSegmentSum, UNSORTED_SEGMENT_SUM } from './kernels.ts';

await tf.setBackend('cpu');

function viaStock(x: tf.Tensor, ids: tf.Tensor, numSegments: number): number[] {
  const backend = tf.backend();
  const out = stockUnsortedSegmentSum!({
    inputs: { x, segmentIds: ids },
    backend,
    attrs: { numSegments },
  }) as tf.TensorInfo;
  const values = Array.from(backend.readSync(out.dataId) as Float32Array);
  backend.disposeData(out.dataId);
  return values;
}

test('scatter-add equals the stock kernel (float32 and int32, inner shapes, ids out of range)', () => {
  assert.ok(stockUnsortedSegmentSum, 'stock kernel captured');
  assert.notEqual(tf.getKernel(UNSORTED_SEGMENT_SUM, 'cpu')!.kernelFunc, stockUnsortedSegmentSum);
  const rng = createRng(3);
  for (const [dtype, idShape, inner, segments] of [
    ['float32', [50], [4], 7],
    ['float32', [30], [3, 2], 9],
    ['int32', [40], [2], 5],
  ] as const) {
    const n = idShape.reduce((a, b) => a * b, 1);
    const ids = tf.tensor(
      Array.from({ length: n }, () => Math.floor(rng() * (segments + 2)) - 1),
      [...idShape],
      'int32',
    );
    const size = n * inner.reduce((a, b) => a * b, 1);
    const x = tf.tensor(
      Array.from({ length: size }, () =>
        dtype === 'int32' ? Math.floor(rng() * 10) : rng() * 2 - 1,
      ),
      [...idShape, ...inner],
      dtype,
    );
    const fast = tf.unsortedSegmentSum(x, ids as tf.Tensor1D, segments);
    const expected = viaStock(x, ids, segments);
    assert.deepEqual(fast.shape, [segments, ...inner]);
    const got = Array.from(fast.dataSync());
    got.forEach((v, i) =>
      assert.ok(Math.abs(v - expected[i]) < 1e-5, `element ${i}: ${v} vs ${expected[i]}`),
    );
    tf.dispose([ids, x, fast]);
  }
});

test('embedding gradient through gather: repeated ids accumulate', () => {
  const table = tf.variable(tf.zeros([5, 2]));
  const ids = tf.tensor1d([1, 3, 1, 1], 'int32');
  const g = tf.grad((t: tf.Tensor) => tf.sum(tf.gather(t, ids)))(table);
  assert.deepEqual(g.arraySync(), [
    [0, 0],
    [3, 3],
    [0, 0],
    [1, 1],
    [0, 0],
  ]);
  tf.dispose([table, ids, g]);
});
