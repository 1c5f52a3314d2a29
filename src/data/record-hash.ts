// The content identity of text rows: a SHA-256 per record (its text and label), combined in split
// order. Unlike a hash of the encoded features it does not depend on the tokenizer, so a logit
// store labelled from the texts (an LLM teacher) or from token ids (a text model) is recognised by
// a `distill` that encodes the same records differently. Text sources set it on every split.
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
