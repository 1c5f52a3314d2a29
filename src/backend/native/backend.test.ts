// The native backend's buffer pool: disposed outputs are reused, buffers that escaped (a view, a
// second tensor) never are, the idle pool holds a whole step's worth, dataSync() hands out copies,
// and kernels overwrite every element of a recycled buffer (pool poisoned with NaN, results still
// equal to cpu's).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Tensor } from '@tensorflow/tfjs';
import { tf } from '../../tf.ts';
import type { NativeBackend } from './backend.ts';
import { parity, skipNative } from './testing.ts';

async function nativeBackend(): Promise<NativeBackend> {
  await tf.setBackend('native');
  return tf.backend() as NativeBackend;
}

function backingArray(t: Tensor): Float32Array {
  return (tf.backend() as NativeBackend).data.get(t.dataId).values as Float32Array;
}

/** Leaves a NaN-filled buffer of `size` elements in the pool. */
function poison(size: number): void {
  const t = tf.tidy(() => tf.mul(tf.fill([size], NaN), 1)); // a native (pooled) output
  t.dispose();
}

describe('native buffer pool', { skip: skipNative }, () => {
  test('the pool keeps as many idle bytes as were live at the peak, above its floor', async () => {
    // First in this file, so that no other test's buffers sit idle in the pool.
    const backend = await nativeBackend();
    const floor = backend.minIdleBytes;
    backend.minIdleBytes = 64 * 1024; // one 16,384-float buffer
    try {
      // A "step" with 8 live 64 KiB outputs, all freed together (as a tidy does), twice.
      const step = () =>
        tf.tidy(() => Array.from({ length: 8 }, (_, i) => tf.mul(tf.ones([128, 128]), i)));
      const first = step();
      const buffers = new Set(first.map(backingArray));
      tf.dispose(first);
      const second = step();
      const reused = second.filter((t) => buffers.has(backingArray(t))).length;
      tf.dispose(second);
      assert.equal(reused, 8, 'every buffer of the first step serves the second');
      assert.ok(backend.idleCapBytes() >= 8 * 64 * 1024);
    } finally {
      backend.minIdleBytes = floor;
    }
  });

  test('a disposed output buffer is reused for the next output of that size', async () => {
    await nativeBackend();
    const a = tf.mul(tf.ones([64, 64]), 2);
    const first = backingArray(a);
    a.dispose();
    const b = tf.mul(tf.ones([64, 64]), 3);
    assert.equal(backingArray(b), first);
    b.dispose();
  });

  test('a buffer with a live view is never reused', async () => {
    await nativeBackend();
    const a = tf.mul(tf.ones([64, 64]), 2);
    const view = tf.slice(a, [0, 0], [2, 64]); // the cpu Slice kernel returns a subarray view
    const buffer = backingArray(a);
    a.dispose();
    const b = tf.mul(tf.ones([64, 64]), 5);
    assert.notEqual(backingArray(b), buffer);
    assert.deepEqual(Array.from(view.dataSync()).slice(0, 3), [2, 2, 2]);
    tf.dispose([view, b]);
  });

  test('dataSync returns a copy', async () => {
    await nativeBackend();
    const a = tf.mul(tf.ones([64, 64]), 2);
    const values = a.dataSync();
    assert.notEqual(values, backingArray(a));
    a.dispose();
    tf.mul(tf.ones([64, 64]), 7).dispose(); // reuses a's buffer
    assert.equal(values[0], 2);
  });

  const kernels: [string, number[][], (...xs: Tensor[]) => Tensor | Tensor[], number][] = [
    [
      'matMul',
      [
        [40, 30],
        [30, 50],
      ],
      (a, b) => tf.matMul(a, b),
      40 * 50,
    ],
    [
      'matMul small k',
      [
        [64, 4],
        [4, 32],
      ],
      (a, b) => tf.matMul(a, b),
      64 * 32,
    ],
    [
      'matMul gemv',
      [
        [1, 30],
        [30, 2048],
      ],
      (a, b) => tf.matMul(a, b),
      2048,
    ],
    [
      'matMul k=0',
      [
        [40, 0],
        [0, 50],
      ],
      (a, b) => tf.matMul(a, b),
      40 * 50,
    ],
    ['add', [[40, 50], [50]], (a, b) => tf.add(a, b), 40 * 50],
    ['exp', [[40, 50]], (a) => tf.exp(a), 40 * 50],
    ['sum', [[3000, 2]], (a) => tf.sum(a, 1), 3000],
    ['max', [[2, 3000, 2]], (a) => tf.max(a, [0, 2]), 3000],
    ['softmax', [[40, 50]], (a) => tf.softmax(a), 40 * 50],
    ['transpose', [[40, 50]], (a) => tf.transpose(a), 40 * 50],
    [
      'conv2d',
      [
        [2, 8, 8, 3],
        [3, 3, 3, 16],
      ],
      (x, f) => tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, 1, 'same'),
      2 * 8 * 8 * 16,
    ],
    [
      'maxPool',
      [[2, 16, 16, 16]],
      (x) => tf.maxPool(x as tf.Tensor4D, 2, 2, 'valid'),
      2 * 8 * 8 * 16,
    ],
    [
      'conv2d gradients',
      [
        [2, 8, 8, 16],
        [3, 3, 16, 8],
        [2, 8, 8, 8],
      ],
      (x, f, dy) =>
        tf.grads((a: Tensor, b: Tensor) =>
          tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, 'same'),
        )([x, f], dy),
      2 * 8 * 8 * 16,
    ],
    [
      'maxPool gradient',
      [
        [2, 16, 16, 8],
        [2, 8, 8, 8],
      ],
      (x, dy) => tf.grad((a: Tensor) => tf.maxPool(a as tf.Tensor4D, 2, 2, 'valid'))(x, dy),
      2 * 16 * 16 * 8,
    ],
  ];
  for (const [name, shapes, fn, outputSize] of kernels) {
    test(`${name} overwrites every element of a recycled buffer`, async () => {
      await nativeBackend();
      poison(outputSize);
      await parity(
        name,
        shapes.map((shape) => ({ shape })),
        (...xs) => {
          poison(outputSize); // again, on the native run: the cpu run went first
          return fn(...xs);
        },
        { rtol: 1e-4, atol: 1e-4 },
      );
    });
  }
});
