// A fixed jittered transfer set for image data (`--data-option jitterCopies=n`): n copies of every
// training image, each shifted by a random (dy, dx) ∈ [-p, p]² with zero fill (the ±2 px jitter
// of Hinton et al. 2015 §3), as unlabelled examples (y = -1) that only the distilled student sees,
// through the teacher's soft targets. The images analogue of Tang et al.'s augmented text transfer
// set (src/text/augment.ts): generated once from the split seed, so every run seed shares one set
// and its teacher logits are computed once and cached. The scratch baseline never sees it.
// Leaves out: other augmentations (rotations, elastic distortions), per-epoch redraws (the
// trainer's `shiftPixels` does that, for both students, without a teacher cache).
import { dataError } from '../errors.ts';
import { createRng, deriveSeed } from '../random.ts';
import { randomShift } from './batches.ts';
import type { Split } from './dataset.ts';
import { exampleSize } from './dataset.ts';

export interface JitterCopiesOptions {
  /** Copies per training image (>= 1; the loaders skip the call for 0). */
  copies: number;
  /** Largest shift in pixels along each axis. */
  pixels: number;
  /** Seed of the set (the split seed: one split, one set). */
  seed: number;
}

/** `copies` shifted copies of `train`'s images [h, w, c], unlabelled; copy k of row i at k·count + i. */
export function jitterCopies(
  train: Split,
  inputShape: number[],
  options: JitterCopiesOptions,
): Split {
  const { copies, pixels } = options;
  if (!Number.isInteger(copies) || copies < 1)
    throw dataError(`jitterCopies must be a whole number >= 1, got ${copies}`);
  if (!Number.isInteger(pixels) || pixels < 1)
    throw dataError(`jitterPixels must be a whole number >= 1, got ${pixels}`);
  if (inputShape.length !== 3)
    throw dataError(
      `jitterCopies needs image inputs [h, w, c], got [${inputShape.join(', ')}]: it shifts pixels`,
    );
  if (train.x instanceof Int32Array)
    throw dataError('jitterCopies needs image pixels, not token ids');
  const per = exampleSize(inputShape);
  const count = train.count * copies;
  const x =
    train.x instanceof Uint8Array ? new Uint8Array(count * per) : new Float32Array(count * per);
  const source = train.x.subarray(0, train.count * per);
  const rng = createRng(deriveSeed(options.seed, 'image-jitter-copies'));
  for (let k = 0; k < copies; k++) {
    const copy = x.subarray(k * train.count * per, (k + 1) * train.count * per);
    copy.set(source);
    randomShift(copy, train.count, inputShape, pixels, rng);
  }
  return { x, xScale: train.xScale, y: new Int32Array(count).fill(-1), count };
}

/** The line a loader adds to its dataset notes (printed when a run opens). */
export function jitterCopiesNote(train: Split, options: JitterCopiesOptions): string {
  return `transfer set: ${options.copies} copies of each training image shifted by up to ±${options.pixels} px (${train.count * options.copies} unlabelled, fixed by split seed ${options.seed}; distilled student only)`;
}
