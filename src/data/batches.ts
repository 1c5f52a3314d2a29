// Mini-batch iteration over a Split: seeded shuffling, optional random-shift augmentation (the
// ±2 px jitter of Hinton et al. 2015 §3), tensors created per batch and owned by the caller.
import { tf, type Tensor } from '../tf.ts';
import { createRng, permutation, type Rng } from '../random.ts';
import { exampleSize, type Split } from './dataset.ts';
import { usageError } from '../errors.ts';

export interface Batch {
  /** [size, ...inputShape] float32, or int32 for int32 storage (token ids) */
  x: Tensor;
  /** [size] int32 class indices */
  labels: Tensor;
  /** Row indices of this batch in the split. */
  indices: Int32Array;
  size: number;
}

export interface BatchOptions {
  batchSize: number;
  inputShape: number[];
  /** Shuffle with this seed; omit to keep the split's order. */
  shuffleSeed?: number;
  /** Random translation of up to this many pixels (images [h, w, c]; other inputs ignore it). 0 = off. */
  shiftPixels?: number;
  /** Seed for the augmentation stream (defaults to shuffleSeed + 1). */
  augmentSeed?: number;
}

export function batchCount(count: number, batchSize: number): number {
  return Math.ceil(count / batchSize);
}

/** Yields batches; the caller disposes `x` and `labels` (or runs inside tf.tidy). */
export function* batches(split: Split, options: BatchOptions): Generator<Batch> {
  const { batchSize, inputShape } = options;
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw usageError(`batch size must be a whole number >= 1, got ${batchSize}`);
  }
  const per = exampleSize(inputShape);
  const order =
    options.shuffleSeed === undefined
      ? Int32Array.from({ length: split.count }, (_, i) => i)
      : permutation(split.count, createRng(options.shuffleSeed));
  const shift = options.shiftPixels ?? 0;
  const augmentRng = createRng(options.augmentSeed ?? (options.shuffleSeed ?? 0) + 1);
  for (let start = 0; start < split.count; start += batchSize) {
    const indices = order.subarray(start, Math.min(start + batchSize, split.count));
    const size = indices.length;
    const ids = split.x instanceof Int32Array;
    const x = ids ? new Int32Array(size * per) : new Float32Array(size * per);
    const y = new Int32Array(size);
    for (let i = 0; i < size; i++) {
      const row = indices[i];
      x.set(split.x.subarray(row * per, (row + 1) * per), i * per);
      y[i] = split.y[row];
    }
    if (split.x instanceof Uint8Array) {
      const scale = split.xScale ?? 1; // uint8 storage → float per batch
      for (let k = 0; k < x.length; k++) x[k] *= scale;
    }
    // Pixel shifts apply to image inputs [h, w, c] only (a table's feature vector, token ids have no pixels).
    if (shift > 0 && !ids && inputShape.length === 3)
      randomShift(x as Float32Array, size, inputShape, shift, augmentRng);
    yield {
      x: tf.tensor(x, [size, ...inputShape], ids ? 'int32' : 'float32'),
      labels: tf.tensor1d(y, 'int32'),
      indices,
      size,
    };
  }
}

/** In place: translates each [h, w, c] image by (dy, dx) ∈ [-max, max]², filling with zeros. */
export function randomShift(
  images: Float32Array | Uint8Array,
  count: number,
  inputShape: number[],
  max: number,
  rng: Rng,
): void {
  if (inputShape.length !== 3) {
    throw new Error(`random shift needs image inputs [h, w, c], got [${inputShape.join(', ')}]`);
  }
  if (!Number.isInteger(max) || max < 0)
    throw usageError(`shift must be a whole number >= 0, got ${max}`);
  const [h, w, c] = inputShape;
  const per = h * w * c;
  const src = images instanceof Uint8Array ? new Uint8Array(per) : new Float32Array(per);
  for (let n = 0; n < count; n++) {
    const dy = Math.floor(rng() * (2 * max + 1)) - max;
    const dx = Math.floor(rng() * (2 * max + 1)) - max;
    if (dy === 0 && dx === 0) continue;
    const img = images.subarray(n * per, (n + 1) * per);
    if (Math.abs(dy) >= h || Math.abs(dx) >= w) {
      img.fill(0); // shifted entirely out of the frame
      continue;
    }
    src.set(img);
    img.fill(0);
    for (let yy = Math.max(0, dy); yy < Math.min(h, h + dy); yy++) {
      const from = ((yy - dy) * w + Math.max(0, -dx)) * c;
      const to = (yy * w + Math.max(0, dx)) * c;
      const len = (w - Math.abs(dx)) * c;
      img.set(src.subarray(from, from + len), to);
    }
  }
}
