// Cached teacher outputs (offline distillation): when the transfer set is fixed, the teacher's
// logits are computed once and looked up by row, so distillation epochs cost no teacher forward
// passes. Stored on disk keyed by a hash of the teacher (topology + weights) and of the data
// (dataset, split sizes, preprocessing, the examples themselves). Refused under random
// augmentation: a cache would silently teach the targets of the un-augmented images. Each entry
// carries a checksum (cache-file.ts): a damaged file is recomputed, never trusted.
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { tf, type LayersModel } from '../tf.ts';
import type { Split } from '../data/dataset.ts';
import { batches } from '../data/batches.ts';
import { readCacheEntry, writeCacheEntry } from './cache-file.ts';
import { usageError } from '../errors.ts';
import { asTeacher, modelHash } from '../teachers/layers.ts';
import type { Teacher } from '../teachers/teacher.ts';

export { modelHash };

export interface TeacherLogits {
  /** Row-major [count, classes], row i = teacher logits of split example i. */
  logits: Float32Array;
  count: number;
  classes: number;
  /** Cache key (hex) this table was stored under, if any. */
  key?: string;
}

/** Hash of a split's contents (features and labels). */
export function splitHash(split: Split): string {
  const hash = createHash('sha256');
  hash.update(new Uint8Array(split.x.buffer, split.x.byteOffset, split.x.byteLength));
  hash.update(new Uint8Array(split.y.buffer, split.y.byteOffset, split.y.byteLength));
  return hash.digest('hex');
}

/**
 * Computes the teacher's logits for every example of `split` (inference mode), in batches of the
 * teacher's preferred size (default 1000), in split order.
 */
export async function computeTeacherLogits(
  teacherOrModel: Teacher | LayersModel,
  split: Split,
  inputShape?: number[],
): Promise<TeacherLogits> {
  const teacher = asTeacher(teacherOrModel);
  const { classes } = teacher;
  const shape = inputShape ?? teacher.dataShape;
  if (!shape)
    throw usageError(
      `the ${teacher.kind} teacher declares no input shape: pass the data's input shape`,
    );
  const logits = new Float32Array(split.count * classes);
  let offset = 0;
  for (const batch of batches(split, { batchSize: teacher.batchSize ?? 1000, inputShape: shape })) {
    try {
      const out = await teacher.logits(batch.x); // [b, classes]
      const values = out.dataSync();
      out.dispose();
      logits.set(values, offset);
      offset += values.length;
    } finally {
      tf.dispose([batch.x, batch.labels]);
    }
  }
  return { logits, count: split.count, classes };
}

export interface CacheOptions {
  /** Folder for cache files (e.g. runs/.cache). */
  dir: string;
  /** Describes preprocessing/augmentation of the transfer set; part of the key. */
  preprocessing: string;
}

/**
 * Loads the teacher's logits for `split` from the cache, computing and storing them if absent or
 * unusable (checksum, size; see cache-file.ts): `note` then says why the entry was not used.
 */
export async function cachedTeacherLogits(
  teacherOrModel: Teacher | LayersModel,
  split: Split,
  options: CacheOptions & { inputShape?: number[] },
): Promise<TeacherLogits & { hit: boolean; note?: string }> {
  const teacher = asTeacher(teacherOrModel);
  const key = createHash('sha256')
    .update([await teacher.identity(), splitHash(split), options.preprocessing].join('\n'))
    .digest('hex')
    .slice(0, 32);
  const file = join(options.dir, `teacher-logits-${key}.bin`);
  const classes = teacher.classes;
  const read = readCacheEntry(file, split.count * classes * 4);
  if ('data' in read) {
    const bytes = read.data;
    const logits = new Float32Array(
      bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength),
    );
    return { logits, count: split.count, classes, key, hit: true };
  }
  const computed = await computeTeacherLogits(teacher, split, options.inputShape);
  writeCacheEntry(
    file,
    new Uint8Array(computed.logits.buffer),
    `teacher logits ${split.count} × ${classes} (${options.preprocessing})`,
  );
  const note =
    read.problem && `cached teacher logits ${file} not used: ${read.problem}; recomputed`;
  return { ...computed, key, hit: false, note };
}

/** Refuses a cache whenever the student's training inputs are randomly augmented. */
export function checkCacheAllowed(shiftPixels: number): void {
  if (shiftPixels > 0) {
    throw usageError(
      `cached teacher outputs need a fixed transfer set, but student training uses random ±${shiftPixels} px shifts: a cache would teach the targets of un-shifted images; use --teacher-cache off or --student-shift-pixels 0`,
    );
  }
}

/** Teacher logits of the batch's rows: [batch, classes]. */
export function lookupLogits(table: TeacherLogits, indices: Int32Array): tf.Tensor {
  const { classes } = table;
  const out = new Float32Array(indices.length * classes);
  for (let i = 0; i < indices.length; i++) {
    out.set(table.logits.subarray(indices[i] * classes, (indices[i] + 1) * classes), i * classes);
  }
  return tf.tensor2d(out, [indices.length, classes]);
}
