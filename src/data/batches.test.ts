// Tests for mini-batch iteration on a real MNIST slice: coverage per epoch, seeded order, labels
// and pixels matching the split rows, random-shift augmentation, and no tensor leaks.
import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../tf.ts';
import { createRng, type Rng } from '../random.ts';
import { batchCount, batches, randomShift, type Batch, type BatchOptions } from './batches.ts';
import { featuresAsFloat, type Split } from './dataset.ts';
import { loadMnist } from './image-idx.ts';

const PIXELS = 28 * 28;
const SHAPE = [28, 28, 1];

/** Runs the generator to the end, reading each batch back and disposing its tensors. */
function collect(split: Split, options: BatchOptions) {
  const out: { indices: number[]; size: number; x: Float32Array; labels: Int32Array }[] = [];
  for (const b of batches(split, options)) {
    out.push(read(b, options.inputShape));
    b.x.dispose();
    b.labels.dispose();
  }
  return out;
}

function read(b: Batch, inputShape: number[]) {
  assert.deepEqual(b.x.shape, [b.size, ...inputShape]);
  assert.equal(b.x.shape[0], b.size);
  assert.deepEqual(b.labels.shape, [b.size]);
  assert.equal(b.x.dtype, 'float32');
  assert.equal(b.labels.dtype, 'int32');
  assert.equal(b.indices.length, b.size);
  return {
    indices: Array.from(b.indices),
    size: b.size,
    x: b.x.dataSync() as Float32Array,
    labels: b.labels.dataSync() as Int32Array,
  };
}

const order = (split: Split, options: BatchOptions) =>
  collect(split, options).flatMap((b) => b.indices);
const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const sum = (a: Float32Array) => a.reduce((s, v) => s + v, 0);

describe('batches over 1000 real MNIST images', () => {
  let split: Split;
  before(async () => {
    const mnist = await loadMnist({ trainLimit: 1000, testLimit: 1, validationSize: 0 });
    split = mnist.train;
    assert.equal(split.count, 1000);
  });

  test('every row is covered exactly once per epoch, shuffled or not', () => {
    for (const shuffleSeed of [undefined, 1, 2]) {
      const seen = order(split, { batchSize: 128, inputShape: SHAPE, shuffleSeed });
      assert.equal(seen.length, 1000);
      assert.deepEqual(
        [...seen].sort((a, b) => a - b),
        range(1000),
      );
    }
  });

  test('last partial batch holds the remainder (1000 = 7 × 128 + 104)', () => {
    const got = collect(split, { batchSize: 128, inputShape: SHAPE, shuffleSeed: 3 });
    assert.equal(got.length, 8);
    assert.equal(batchCount(1000, 128), 8);
    assert.deepEqual(
      got.map((b) => b.size),
      [128, 128, 128, 128, 128, 128, 128, 104],
    );
  });

  test('an exact multiple gives no empty trailing batch', () => {
    const got = collect(split, { batchSize: 250, inputShape: SHAPE });
    assert.equal(batchCount(1000, 250), 4);
    assert.deepEqual(
      got.map((b) => b.size),
      [250, 250, 250, 250],
    );
  });

  test('a batch size larger than the split gives one batch of everything', () => {
    const got = collect(split, { batchSize: 4096, inputShape: SHAPE, shuffleSeed: 1 });
    assert.equal(got.length, 1);
    assert.equal(got[0].size, 1000);
  });

  test('same seed gives the same order', () => {
    const a = order(split, { batchSize: 100, inputShape: SHAPE, shuffleSeed: 42 });
    const b = order(split, { batchSize: 100, inputShape: SHAPE, shuffleSeed: 42 });
    assert.deepEqual(a, b);
  });

  test('different seeds give different orders, and neither is the identity', () => {
    const a = order(split, { batchSize: 100, inputShape: SHAPE, shuffleSeed: 42 });
    const b = order(split, { batchSize: 100, inputShape: SHAPE, shuffleSeed: 43 });
    assert.notDeepEqual(a, b);
    assert.notDeepEqual(a, range(1000));
    assert.notDeepEqual(b, range(1000));
  });

  test('without a shuffle seed the order is the identity', () => {
    assert.deepEqual(order(split, { batchSize: 64, inputShape: SHAPE }), range(1000));
  });

  test('labels and pixels match the split rows the batch names', () => {
    for (const b of collect(split, { batchSize: 100, inputShape: SHAPE, shuffleSeed: 7 })) {
      assert.deepEqual(
        Array.from(b.labels),
        b.indices.map((row) => split.y[row]),
      );
      b.indices.forEach((row, i) => {
        assert.deepEqual(
          b.x.subarray(i * PIXELS, (i + 1) * PIXELS),
          split.x.subarray(row * PIXELS, (row + 1) * PIXELS),
        );
      });
    }
  });

  test('flat input shape [784] works for MLPs', () => {
    const got = collect(split, { batchSize: 500, inputShape: [784], shuffleSeed: 1 });
    assert.equal(got.length, 2);
    assert.deepEqual(
      got[0].x.subarray(0, PIXELS),
      split.x.subarray(got[0].indices[0] * PIXELS, (got[0].indices[0] + 1) * PIXELS),
    );
  });

  test('shiftPixels 0: images are unchanged', () => {
    for (const b of collect(split, {
      batchSize: 200,
      inputShape: SHAPE,
      shuffleSeed: 5,
      shiftPixels: 0,
      augmentSeed: 9,
    })) {
      b.indices.forEach((row, i) => {
        assert.deepEqual(
          b.x.subarray(i * PIXELS, (i + 1) * PIXELS),
          split.x.subarray(row * PIXELS, (row + 1) * PIXELS),
        );
      });
    }
  });

  test('shiftPixels 2: shapes kept, per-image pixel sum preserved or reduced, most images moved', () => {
    const before = Float32Array.from(split.x);
    let moved = 0;
    let preserved = 0;
    for (const b of collect(split, {
      batchSize: 128,
      inputShape: SHAPE,
      shuffleSeed: 5,
      shiftPixels: 2,
    })) {
      assert.equal(b.x.length, b.size * PIXELS);
      b.indices.forEach((row, i) => {
        const shifted = b.x.subarray(i * PIXELS, (i + 1) * PIXELS);
        const original = featuresAsFloat(split, row, row + 1);
        const s = sum(shifted);
        const o = sum(original);
        // Sums of up to 784 float32 values in [0, 1]: tolerance 1e-3.
        assert.ok(s <= o + 1e-3, `row ${row}: sum ${s} > original ${o}`);
        if (Math.abs(s - o) < 1e-3) preserved++;
        for (const v of shifted) assert.ok(v >= 0 && v <= 1);
        if (shifted.some((v, k) => v !== original[k])) moved++;
      });
    }
    // (dy, dx) = (0, 0) has probability 1/25, so about 960 of 1000 move; MNIST digits sit in a
    // 20×20 box with a 4 px margin, so a ±2 px shift almost never cuts ink.
    assert.ok(moved > 900, `${moved} images moved`);
    assert.ok(preserved > 900, `${preserved} images kept their pixel sum`);
    assert.deepEqual(split.x, before, 'augmentation must not modify the split');
  });

  test('augmentation is repeatable from its seed and changes with it', () => {
    const run = (augmentSeed?: number) =>
      collect(split, {
        batchSize: 250,
        inputShape: SHAPE,
        shuffleSeed: 1,
        shiftPixels: 2,
        augmentSeed,
      }).map((b) => b.x);
    const a = run(10);
    assert.deepEqual(run(10), a);
    assert.notDeepEqual(run(11), a);
    // Default augment seed is shuffleSeed + 1: repeatable too.
    assert.deepEqual(run(), run(2));
  });

  test('shifting non-image inputs is an error', () => {
    assert.throws(
      () => batches(split, { batchSize: 10, inputShape: [784], shiftPixels: 1 }).next(),
      /random shift needs image inputs \[h, w, c\], got \[784\]/,
    );
  });

  test('disposing each batch leaves tf.memory().numTensors flat', () => {
    const start = tf.memory().numTensors;
    for (const b of batches(split, {
      batchSize: 128,
      inputShape: SHAPE,
      shuffleSeed: 1,
      shiftPixels: 2,
    })) {
      assert.equal(tf.memory().numTensors, start + 2);
      b.x.dispose();
      b.labels.dispose();
    }
    assert.equal(tf.memory().numTensors, start);
    // Inside tf.tidy the batch tensors are released too.
    tf.tidy(() => {
      for (const b of batches(split, { batchSize: 500, inputShape: SHAPE })) b.x.sum();
    });
    assert.equal(tf.memory().numTensors, start);
  });
});

describe('batches on a tiny split', () => {
  const tiny: Split = {
    x: Float32Array.from(range(5 * 4), (v) => v),
    y: Int32Array.from([0, 1, 2, 3, 4]),
    count: 5,
  };

  test('an empty split yields no batches', () => {
    const empty: Split = { x: new Float32Array(0), y: new Int32Array(0), count: 0 };
    assert.equal(collect(empty, { batchSize: 4, inputShape: [2, 2, 1], shuffleSeed: 1 }).length, 0);
  });

  test('batch size 1 yields every row alone', () => {
    const got = collect(tiny, { batchSize: 1, inputShape: [4] });
    assert.deepEqual(
      got.map((b) => Array.from(b.x)),
      range(5).map((r) => [4 * r, 4 * r + 1, 4 * r + 2, 4 * r + 3]),
    );
    assert.deepEqual(
      got.map((b) => b.labels[0]),
      [0, 1, 2, 3, 4],
    );
  });
});

describe('randomShift', () => {
  /** Records every draw of `rng` so a test can recompute (dy, dx). */
  const recording = (rng: Rng) => {
    const draws: number[] = [];
    return { draws, rng: () => (draws.push(rng()), draws[draws.length - 1]) };
  };
  const offset = (r: number, max: number) => Math.floor(r * (2 * max + 1)) - max;

  test('a single pixel moves by (dy, dx) within ±max, every offset occurs', () => {
    const [h, w, c] = [7, 9, 1];
    const [py, px] = [3, 4];
    const max = 2;
    const count = 500;
    const images = new Float32Array(count * h * w);
    for (let n = 0; n < count; n++) images[n * h * w + py * w + px] = 1;
    const { draws, rng } = recording(createRng(17));
    randomShift(images, count, [h, w, c], max, rng);
    assert.equal(draws.length, 2 * count);
    const offsets = new Set<string>();
    for (let n = 0; n < count; n++) {
      const img = images.subarray(n * h * w, (n + 1) * h * w);
      const lit = [...img.keys()].filter((k) => img[k] !== 0);
      assert.equal(lit.length, 1, `image ${n}: ${lit.length} lit pixels`);
      assert.equal(img[lit[0]], 1);
      const dy = Math.floor(lit[0] / w) - py;
      const dx = (lit[0] % w) - px;
      assert.ok(Math.abs(dy) <= max && Math.abs(dx) <= max, `(${dy}, ${dx})`);
      assert.deepEqual([dy, dx], [offset(draws[2 * n], max), offset(draws[2 * n + 1], max)]);
      offsets.add(`${dy},${dx}`);
    }
    assert.equal(offsets.size, 25);
  });

  test('draws near 1 shift down-right by +max, draws of 0 shift up-left by -max', () => {
    const [h, w] = [5, 6];
    const image = () => {
      const img = new Float32Array(h * w);
      img[2 * w + 3] = 1; // (y 2, x 3)
      return img;
    };
    const high = image();
    randomShift(high, 1, [h, w, 1], 1, () => 0.999);
    assert.equal(high[3 * w + 4], 1);
    assert.equal(sum(high), 1);
    const low = image();
    randomShift(low, 1, [h, w, 1], 1, () => 0);
    assert.equal(low[1 * w + 2], 1);
    assert.equal(sum(low), 1);
  });

  test('all channels of a pixel move together', () => {
    const [h, w, c] = [4, 5, 3];
    const img = new Float32Array(h * w * c);
    img.set([0.1, 0.2, 0.3], (1 * w + 1) * c);
    randomShift(img, 1, [h, w, c], 1, () => 0.999); // (dy, dx) = (1, 1)
    const at = (2 * w + 2) * c;
    assert.deepEqual(Array.from(img.subarray(at, at + 3)), [0.1, 0.2, 0.3].map(Math.fround));
    assert.equal(img.filter((v) => v !== 0).length, 3);
  });

  test('pixels shifted past the edge are dropped and zeros fill in', () => {
    const [h, w] = [3, 3];
    const img = Float32Array.from(range(9), (v) => v + 1); // 1..9
    randomShift(img, 1, [h, w, 1], 1, () => 0); // (dy, dx) = (-1, -1)
    assert.deepEqual(Array.from(img), [5, 6, 0, 8, 9, 0, 0, 0, 0]);
  });

  test('(0, 0) leaves the image untouched and only the given count is processed', () => {
    const img = Float32Array.from(range(8), (v) => v + 1);
    randomShift(img, 1, [2, 2, 1], 1, () => 0.5); // (0, 0)
    assert.deepEqual(
      Array.from(img),
      range(8).map((v) => v + 1),
    );
    randomShift(img, 1, [2, 2, 1], 1, () => 0); // first image only
    assert.deepEqual(Array.from(img), [4, 0, 0, 0, 5, 6, 7, 8]);
  });

  test('a shift as large as the image empties it', () => {
    const img = new Float32Array(16).fill(1);
    randomShift(img, 1, [4, 4, 1], 4, () => 0.999); // (4, 4)
    assert.equal(sum(img), 0);
  });

  test('a shift larger than the width empties the image instead of throwing', () => {
    const img = new Float32Array(16).fill(1);
    const draws = [0.5, 0.999]; // (dy, dx) = (0, +5) on a 4×4 image
    let k = 0;
    randomShift(img, 1, [4, 4, 1], 5, () => draws[k++]);
    assert.equal(sum(img), 0);
  });

  test('non-image input shapes are rejected', () => {
    assert.throws(() => randomShift(new Float32Array(4), 1, [4], 1, () => 0), /needs image inputs/);
  });
});
