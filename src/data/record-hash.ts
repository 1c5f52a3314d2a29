// The content identity of text rows: a SHA-256 per record (its text and label), combined in split
// order. Unlike a hash of the encoded features it does not depend on the tokenizer, so a logit
// store labelled from the texts (an LLM teacher) or from token ids (a text model) is recognised by
// a `distill` that encodes the same records differently. Text sources set it on every split.
// Per-row digests (below) address the rows of a logit store, for text and feature rows alike.
import { createHash } from 'node:crypto';
import type { Dataset, Split } from './dataset.ts';

/** One record's digest: its text and label (-1 = unlabelled). */
export function recordHash(text: string, label: number): Buffer {
  return createHash('sha256').update(`${label}\n${text}`).digest();
}

/** The hash of records in order (texts[i] with labels[i]). */
export function textRecordsHash(texts: readonly string[], labels: ArrayLike<number>): string {
  const hash = createHash('sha256').update('text-records v1\n');
  texts.forEach((text, i) => hash.update(recordHash(text, labels[i])));
  return hash.digest('hex');
}

/** Sets `recordsHash` on the splits of a text dataset (each split's texts and labels). */
export function withRecordsHash(dataset: Dataset): Dataset {
  const mark = (split: Split) => {
    if (split.texts && split.texts.length === split.count)
      split.recordsHash = textRecordsHash(split.texts, split.y);
  };
  mark(dataset.train);
  mark(dataset.validation);
  mark(dataset.test);
  return dataset;
}

// Per-row digests: the address of each row in a logit store (src/labels/store.ts), so a store
// labelled on a superset of a split, or on its rows in another order, serves it. A row is its
// text and label (rows with one text each: text sources), else its feature bytes as the split
// holds them (uint8 pixels, float32 values, int32 ids) and its label. 16 bytes of SHA-256 each:
// collisions are out of reach (2^-64 at 2^32 rows).
export const ROW_HASH_BYTES = 16;

/** One feature row's digest: its bytes as stored and its label (-1 = unlabelled). */
export function featureRowHash(bytes: Uint8Array, label: number): Buffer {
  return createHash('sha256').update(`features v1\n${label}\n`).update(bytes).digest();
}

/** Digests of texts with labels, [count × ROW_HASH_BYTES] (recordHash per row, truncated). */
export function textRowHashes(texts: readonly string[], labels: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(texts.length * ROW_HASH_BYTES);
  texts.forEach((text, i) =>
    out.set(recordHash(text, labels[i]).subarray(0, ROW_HASH_BYTES), i * ROW_HASH_BYTES),
  );
  return out;
}

const memo = new WeakMap<Split, Uint8Array>();

/**
 * The row digests of a split, [count × ROW_HASH_BYTES]: texts when the split has one per row,
 * else feature rows. Computed once per split object (several checks of one run share it).
 */
export function splitRowHashes(split: Split): Uint8Array {
  const known = memo.get(split);
  if (known) return known;
  let out: Uint8Array;
  if (split.texts && split.texts.length === split.count && split.count > 0)
    out = textRowHashes(split.texts, split.y);
  else {
    out = new Uint8Array(split.count * ROW_HASH_BYTES);
    const x = split.x;
    const bytes = new Uint8Array(x.buffer, x.byteOffset, x.byteLength);
    const per = split.count > 0 ? x.byteLength / split.count : 0;
    for (let i = 0; i < split.count; i++)
      out.set(
        featureRowHash(bytes.subarray(i * per, (i + 1) * per), split.y[i]).subarray(
          0,
          ROW_HASH_BYTES,
        ),
        i * ROW_HASH_BYTES,
      );
  }
  memo.set(split, out);
  return out;
}

/** The hash of row digests in order: the data identity of a logit store. */
export function rowsHash(rows: Uint8Array): string {
  return createHash('sha256').update('rows v1\n').update(rows).digest('hex');
}
