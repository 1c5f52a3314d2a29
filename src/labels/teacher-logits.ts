// The trainer's side of a logit store: the rows of a split looked up by their digests in the
// store (src/data/record-hash.ts), so a store labelled on a whole file or on any superset serves
// the training split, the validation split or the same rows in another order; a split with rows
// the store lacks is refused in one line (how many, and the fix). Duplicate rows (the same
// digest: the same text and label, or the same feature bytes and label) get the same logits, those
// of the first such row in the store. Plus a Teacher that stands for the store (identity and
// record of the teacher that labelled it; it has no forward pass).
// The result is a dense table in split order rather than a shard-streaming teacher because the
// trainer shuffles rows every epoch: a batch touches rows of every shard. Memory: the table
// (split rows × classes × 4 bytes: 60k × 10 = 2.4 MB; 1M rows × 1,000 classes would be 4 GB),
// the store's digests (16 bytes a row), one decoded shard, and a hash index of the split's rows
// (a Map plus two int32 arrays, ~70 bytes a row measured at 1M rows). The limit: V8 caps a Map at
// 2^24 entries, so a split of at most 16.7M rows.
import type { Split } from '../data/dataset.ts';
import { ROW_HASH_BYTES, splitRowHashes } from '../data/record-hash.ts';
import type { TeacherLogits } from '../distill/teacher-cache.ts';
import { modelError, usageError } from '../errors.ts';
import type { Teacher } from '../teachers/teacher.ts';
import { readFileSync } from 'node:fs';
import {
  decodeShard,
  missingShards,
  readManifest,
  readRowHashes,
  shardPath,
  type StoreManifest,
} from './store.ts';

export interface StoreLogits {
  table: TeacherLogits;
  manifest: StoreManifest;
  /** Stands for the labelling teacher (for the Distiller and the run record). */
  teacher: Teacher;
}

/** What the data being trained on must agree with, besides its rows. */
export interface StoreExpectations {
  classes?: number;
  classNames?: string[];
  /** The dataset's preprocessing line (checked for stores of feature rows). */
  preprocessing?: string;
}

/** What a dataset's store must agree with. */
export const storeExpectations = (data: {
  classes: number;
  classNames: string[];
  preprocessing: string;
}): StoreExpectations => ({
  classes: data.classes,
  classNames: data.classNames,
  preprocessing: data.preprocessing,
});

const MAX_INDEX = 2 ** 24;

/**
 * Where each row of `split` is in the store: `storeRow[i]` = the store row whose digest is row
 * i's (the first one, for duplicates). Refuses, in one line, a split with rows the store lacks.
 */
export function matchStoreRows(
  dir: string,
  manifest: StoreManifest,
  split: Split,
  what = 'the training split',
): Int32Array {
  const wanted = splitRowHashes(split);
  const count = split.count;
  if (count > MAX_INDEX)
    throw usageError(
      `${what} has ${count} rows: a logit store serves at most ${MAX_INDEX} rows per split (its index is a JavaScript Map)`,
    );
  // Index of the split's rows by digest; rows sharing a digest are chained through `next`.
  const key = (bytes: Uint8Array, row: number) =>
    Buffer.from(bytes.buffer, bytes.byteOffset + row * ROW_HASH_BYTES, ROW_HASH_BYTES).toString(
      'latin1',
    );
  const first = new Map<string, number>();
  const next = new Int32Array(count).fill(-1);
  for (let i = count - 1; i >= 0; i--) {
    const k = key(wanted, i);
    const head = first.get(k);
    if (head !== undefined) next[i] = head;
    first.set(k, i);
  }
  const storeRow = new Int32Array(count).fill(-1);
  const have = readRowHashes(dir, manifest);
  for (let r = 0; r < manifest.data.count && first.size > 0; r++) {
    const k = key(have, r);
    const head = first.get(k);
    if (head === undefined) continue;
    for (let i = head; i >= 0; i = next[i]) storeRow[i] = r;
    first.delete(k);
  }
  let missing = 0;
  let example = -1;
  for (let i = 0; i < count; i++)
    if (storeRow[i] < 0) {
      missing++;
      if (example < 0) example = i;
    }
  // None found: other data, or features preprocessed with statistics of another split.
  const none = missing === count ? ', none of them: other data, or other preprocessing' : '';
  if (missing > 0)
    throw usageError(
      `${dir} lacks ${missing} of ${count} rows of ${what} (e.g. row ${example}; the store holds ${manifest.data.count} rows of ${manifest.data.name} ${manifest.data.split}${none}): label this data ('distillery label' with the same --data flags, into a new --out), or pass the data the store was labelled on`,
    );
  return storeRow;
}

/** Refuses a store whose classes or preprocessing are not the data's. */
export function checkStoreExpectations(
  dir: string,
  manifest: StoreManifest,
  expect: StoreExpectations,
): void {
  if (expect.classes !== undefined && manifest.classes !== expect.classes)
    throw usageError(
      `${dir} holds logits over ${manifest.classes} classes, but the data have ${expect.classes}: label this data`,
    );
  const stored = manifest.data.classNames;
  if (stored && expect.classNames && stored.join('\n') !== expect.classNames.join('\n'))
    throw usageError(
      `${dir} was labelled with the classes ${stored.join(', ')} (in that order), but the data's are ${expect.classNames.join(', ')}: label again with --labels ${expect.classNames.join(',')}`,
    );
  if (
    manifest.data.rows === 'tensor' &&
    expect.preprocessing !== undefined &&
    manifest.data.preprocessing !== expect.preprocessing
  )
    throw usageError(
      `${dir} was labelled on rows preprocessed as '${manifest.data.preprocessing}', but the data are '${expect.preprocessing}': label this data`,
    );
}

/**
 * Reads the store at `dir` as the teacher table for `split`, rows in split order (refused when
 * some rows are not in the store). Reads only the shards that hold rows of the split.
 */
export function loadStoreLogits(
  dir: string,
  split: Split,
  what = 'the training split',
  expect: StoreExpectations = {},
): StoreLogits {
  const manifest = readManifest(dir);
  checkStoreExpectations(dir, manifest, expect);
  const storeRow = matchStoreRows(dir, manifest, split, what);
  const { classes, shardSize } = manifest;
  const byShard = new Map<number, number[]>();
  storeRow.forEach((r, i) => {
    const shard = Math.floor(r / shardSize);
    const rows = byShard.get(shard);
    if (rows) rows.push(i);
    else byShard.set(shard, [i]);
  });
  const missing = new Set(missingShards(dir, manifest));
  const needed = [...byShard.keys()].filter((s) => missing.has(s));
  if (needed.length > 0)
    throw usageError(
      `${dir} is incomplete: ${needed.length} shard(s) holding rows of ${what} are missing (e.g. ${needed[0]}); run the same 'distillery label' again to finish it`,
    );
  const logits = new Float32Array(split.count * classes);
  for (const [shard, rows] of byShard) {
    const values = decodeShard(manifest, shard, readFileSync(shardPath(dir, shard))); // verified
    const start = shard * shardSize;
    for (const i of rows) {
      const at = (storeRow[i] - start) * classes;
      logits.set(values.subarray(at, at + classes), i * classes);
    }
  }
  return {
    table: { logits, count: split.count, classes, key: manifest.key },
    manifest,
    teacher: storeTeacher(dir, manifest),
  };
}

/**
 * The store at `dir` as the teacher of a `distill` or `tune` on `split`: refused for another command, other
 * classes or rows the store lacks (reads the manifest and digests only; loadStoreLogits reads the
 * shards).
 */
export function openStoreTeacher(
  dir: string,
  command: string,
  split: Split,
  expect: StoreExpectations = {},
): Teacher {
  // run and born-again train their teacher; distill and tune read a saved one, or its store.
  if (command !== 'distill' && command !== 'tune')
    throw usageError(
      `--teacher-logits (a logit store) serves 'distill' and 'tune' only, not '${command}'`,
    );
  const manifest = readManifest(dir);
  checkStoreExpectations(dir, manifest, expect);
  matchStoreRows(dir, manifest, split);
  return storeTeacher(dir, manifest);
}

/** Which rows a store holds ('text' or 'tensor'), or undefined if `dir` is no store. */
export function storeRowKind(dir: string): 'text' | 'tensor' | undefined {
  try {
    return readManifest(dir).data.rows;
  } catch {
    return undefined;
  }
}

/** The store folder a store's Teacher stands for, or undefined for other teachers. */
export const storeDirOf = (teacher: Teacher): string | undefined =>
  (teacher as { storeDir?: string }).storeDir;

/** A Teacher for a store: identity and record of its teacher; rows come from the table only. */
export function storeTeacher(dir: string, manifest: StoreManifest): Teacher & { storeDir: string } {
  return {
    kind: 'logit-store',
    storeDir: dir,
    classes: manifest.classes,
    storedRowsOnly: true,
    identity: async () => manifest.teacher.identity,
    logits: async () => {
      throw modelError(
        `the logit store ${dir} serves the rows it labelled, by their digests: it cannot label new inputs (use a teacher for augmented or new data)`,
      );
    },
    describe: () => ({
      ...manifest.teacher.record,
      kind: 'logit-store',
      source: dir,
      classes: manifest.classes,
      labelledBy: manifest.teacher.record,
      store: {
        key: manifest.key,
        dtype: manifest.dtype,
        topK: manifest.topK,
        shards: manifest.shards,
      },
    }),
    dispose: () => {},
  };
}
