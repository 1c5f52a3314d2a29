// The dataset interface every loader returns (image or not): flat float features plus integer
// labels, split into train / validation / test. Validation is held out of the training file for
// model selection and tuning; the test split is only for the final table.

export interface Split {
  /** Features, row-major [count, ...inputShape], already preprocessed. */
  x: Float32Array;
  /** Class index per example, [count]. */
  y: Int32Array;
  count: number;
}

export interface Dataset {
  name: string;
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
}

export interface SplitOptions {
  /** Use only the first N examples of the training file (validation is held out of these). */
  trainLimit?: number;
  /** Use only the first N examples of the test file. */
  testLimit?: number;
  /** Examples held out of the end of the training data for validation (default 5000). */
  validationSize?: number;
}

/** Rows [start, end) of a split (copies). */
export function sliceSplit(split: Split, start: number, end: number): Split {
  const per = split.x.length / Math.max(split.count, 1);
  return {
    x: split.x.slice(start * per, end * per),
    y: split.y.slice(start, end),
    count: end - start,
  };
}

/** Feature size of one example. */
export const exampleSize = (inputShape: number[]) => inputShape.reduce((a, b) => a * b, 1);
