// The fixed jittered transfer set on real MNIST: copies are shifted versions of their own image
// (never of another), unlabelled, fixed by the split seed, and only the distilled student's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadDataset } from './index.ts';
import { jitterCopies } from './jitter-copies.ts';
import type { Split } from './dataset.ts';

const PIXELS = 28 * 28;

/** The (dy, dx) that maps `original` onto `copy` (zero fill), or undefined. */
function shiftOf(original: Float32Array, copy: Float32Array, max: number) {
  for (let dy = -max; dy <= max; dy++)
    for (let dx = -max; dx <= max; dx++) {
      let same = true;
      for (let y = 0; y < 28 && same; y++)
        for (let x = 0; x < 28 && same; x++) {
          const sy = y - dy;
          const sx = x - dx;
          const want = sy >= 0 && sy < 28 && sx >= 0 && sx < 28 ? original[sy * 28 + sx] : 0;
          same = copy[y * 28 + x] === want;
        }
      if (same) return [dy, dx];
    }
  return undefined;
}

test('mnist jitterCopies: n shifted copies of each training image, unlabelled, in a fixed set', async () => {
  const ref = { dataset: 'mnist', trainLimit: 300, testLimit: 10, validationSize: 100 };
  const plain = await loadDataset(ref);
  assert.equal(plain.transfer, undefined);
  const data = await loadDataset({ ...ref, options: { jitterCopies: 3, jitterPixels: 2 } });
  const transfer = data.transfer!;
  assert.equal(transfer.count, 3 * 200);
  assert.ok(
    transfer.y.every((y) => y === -1),
    'copies are unlabelled',
  );
  // The labelled splits are untouched.
  assert.deepEqual(data.train.y, plain.train.y);
  assert.deepEqual(data.train.x, plain.train.x);
  const x = transfer.x as Float32Array;
  const train = data.train.x as Float32Array;
  const shifts = new Set<string>();
  for (let k = 0; k < 3; k++)
    for (let i = 0; i < 200; i++) {
      const copy = x.subarray((k * 200 + i) * PIXELS, (k * 200 + i + 1) * PIXELS);
      const s = shiftOf(train.subarray(i * PIXELS, (i + 1) * PIXELS), copy, 2);
      assert.ok(s, `copy ${k} of row ${i} is a ±2 px shift of row ${i}`);
      shifts.add(s.join(','));
    }
  assert.ok(shifts.size >= 20, `shifts cover the 5×5 grid, got ${shifts.size} distinct`);
  assert.ok(
    data.notes?.some((n) => /3 copies of each training image shifted by up to ±2 px/.test(n)),
  );
  // One split seed, one set (its teacher logits cache); another split seed draws another.
  const again = await loadDataset({ ...ref, seed: 9, options: { jitterCopies: 3 } });
  assert.deepEqual(again.transfer!.x, transfer.x);
  const other = await loadDataset({ ...ref, splitSeed: 2, options: { jitterCopies: 3 } });
  assert.notDeepEqual(other.transfer!.x, transfer.x);
});

test('jitterCopies keeps uint8 storage and refuses inputs without pixels', () => {
  const train: Split = {
    x: Uint8Array.from({ length: 2 * 16 }, (_, i) => i),
    xScale: 1 / 255,
    y: Int32Array.of(0, 1),
    count: 2,
  };
  const copies = jitterCopies(train, [4, 4, 1], { copies: 2, pixels: 1, seed: 1 });
  assert.ok(copies.x instanceof Uint8Array);
  assert.equal(copies.xScale, 1 / 255);
  assert.equal(copies.count, 4);
  assert.throws(
    () => jitterCopies(train, [32], { copies: 1, pixels: 1, seed: 1 }),
    /needs image inputs \[h, w, c\]/,
  );
  assert.throws(
    () => jitterCopies(train, [4, 4, 1], { copies: 0, pixels: 1, seed: 1 }),
    /jitterCopies must be a whole number >= 1/,
  );
});

test('mnist refuses unknown or out-of-range jitter options in one line', async () => {
  await assert.rejects(
    loadDataset({
      dataset: 'mnist',
      trainLimit: 50,
      validationSize: 10,
      options: { jitterCopies: 99 },
    }),
    /invalid mnist option jitterCopies/,
  );
  await assert.rejects(
    loadDataset({ dataset: 'mnist', trainLimit: 50, validationSize: 10, options: { jitter: 2 } }),
    /invalid mnist option/,
  );
});
