// The dataset interface every loader returns (image or not): flat float features plus integer
// labels, split into train / validation / test. Validation is held out of the training file for
// model selection and tuning; the test split is only for the final table.
import type { DataSpec } from './spec.ts';

export interface Split {
  /**
   * Features, row-major [count, ...inputShape]: float32 already preprocessed, or uint8 raw bytes
   * (images) that batches convert as `x * xScale` per batch, so memory is the uint8 size, or
   * int32 ids (token inputs, dtype 'int32') that batches yield as int32 tensors unchanged.
   */
  x: Float32Array | Uint8Array | Int32Array;
  /** For uint8 `x`: the multiplier to float (e.g. 1/255). Ignored for float32 `x`. */
  xScale?: number;
  /** Class index per example, [count]; -1 = unlabelled (transfer-set examples: soft term only). */
  y: Int32Array;
  count: number;
  /** Optional per-example raw text (text sources), for reports of misclassified examples. */
  texts?: string[];
  /**
   * Content hash of the records (text sources: each text and label, in order; see record-hash.ts):
   * the rows' identity independent of their encoding. Copies of a split (slices) drop it.
   */
  recordsHash?: string;
  /** Optional per-example subgroup (e.g. 'hard-ham-1'), for per-group error rates. */
  groups?: string[];
}

export interface Dataset {
  name: string;
  /** Inputs (shape, dtype, preprocessing as data) and class names; see spec.ts. */
  spec: DataSpec;
  inputShape: number[];
  classes: number;
  classNames: string[];
  train: Split;
  validation: Split;
  test: Split;
  /** Human-readable description of the preprocessing applied to raw inputs. */
  preprocessing: string;
  /** Where the data came from (package or directory). */
  source: string;
  /**
   * Unlabelled examples (y = -1) the source made for the distilled student only, e.g. augmented
   * copies of the training texts (src/text/augment.ts); they join any --transfer-set.
   */
  transfer?: Split;
  /** What the loader wants the user to know (files skipped, cache hits), one line each. */
  notes?: string[];
}

export interface SplitOptions {
  /** Use only the first N examples of the training file (validation is held out of these). */
  trainLimit?: number;
  /** Use only the first N examples of the test file. */
  testLimit?: number;
  /** Examples held out of the end of the training data for validation (default 5000). */
  validationSize?: number;
  /**
   * Splits the caller needs (default all). A source may skip reading files of the others and
   * return them empty (evaluate, export and serve need only 'test').
   */
  splits?: SplitName[];
}

export type SplitName = 'train' | 'validation' | 'test';

/** Rows [start, end) of a split (copies). */
export function sliceSplit(split: Split, start: number, end: number): Split {
  const per = split.x.length / Math.max(split.count, 1);
  return {
    x: split.x.slice(start * per, end * per),
    xScale: split.xScale,
    y: split.y.slice(start, end),
    count: end - start,
    texts: split.texts?.slice(start, end),
    groups: split.groups?.slice(start, end),
  };
}

/** An empty split (e.g. the training splits when only the test split was asked for). */
export const emptySplit = (): Split => ({ x: new Float32Array(0), y: new Int32Array(0), count: 0 });

/** Feature size of one example. */
export const exampleSize = (inputShape: number[]) => inputShape.reduce((a, b) => a * b, 1);

/** Rows [start, end) of a split's features as float32 (converting uint8 storage by `xScale`). */
export function featuresAsFloat(split: Split, start = 0, end = split.count): Float32Array {
  const per = split.x.length / Math.max(split.count, 1);
  const raw = split.x.subarray(start * per, end * per);
  if (raw instanceof Float32Array) return raw;
  if (raw instanceof Int32Array) return Float32Array.from(raw); // token ids as numbers
  const scale = split.xScale ?? 1;
  const out = new Float32Array(raw.length);
  for (let i = 0; i < raw.length; i++) out[i] = raw[i] * scale;
  return out;
}
