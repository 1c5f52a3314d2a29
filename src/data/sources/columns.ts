// The column encoder shared by the tabular kinds (table, jsonl): numeric columns standardised
// with TRAIN-split statistics, categorical columns one-hot with a TRAIN-split vocabulary (an
// unknown value → all zeros), missing values → the train mean (0 after standardising) or all
// zeros. The fitted encoding is a TablePreprocessing in the data spec, so export and the model
// card can apply it to new rows. Also `loadRecordsDataset`: Records + options → a Dataset.
import { z } from 'zod';
import { dataError, usageError } from '../../errors.ts';
import type { Dataset, Split, SplitName } from '../dataset.ts';
import { emptySplit } from '../dataset.ts';
import type { CommonDataOptions } from '../source.ts';
import type { CategoricalColumn, DataSpec, NumericColumn, TablePreprocessing } from '../spec.ts';
import type { Cell, Records } from './records.ts';
import { checkClassCount, sortedClassNames, stratifiedSplit, validationShare } from './split.ts';

const MISSING = new Set(['', 'na', 'n/a', 'nan', 'null', 'none', '?']);
const isMissing = (v: Cell) =>
  v === null || (typeof v === 'string' && MISSING.has(v.toLowerCase()));
const asNumber = (v: Cell): number | undefined => {
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return undefined;
  const n = Number(v);
  return typeof v === 'string' && v.trim() !== '' && Number.isFinite(n) ? n : undefined;
};

const columnList = z.union([
  z.array(z.string().min(1)),
  z.string().transform((s) => s.split(',').filter(Boolean)),
]);

/** Options shared by every tabular kind. */
export const recordOptionsShape = {
  /** The column holding the class (required for labelled data; the error lists the columns). */
  labelColumn: z.string().min(1).optional(),
  /** Columns forced numeric / categorical (otherwise inferred from the training rows). */
  numericColumns: columnList.optional(),
  categoricalColumns: columnList.optional(),
  /** Columns left out of the features (ids, free text). */
  ignoreColumns: columnList.optional(),
  /** A column whose values (train | validation | val | test) give the split. */
  splitColumn: z.string().min(1).optional(),
  validationFraction: z.number().min(0).max(0.9).default(0.1),
  testFraction: z.number().min(0).max(0.9).default(0.2),
  /** A categorical column with more distinct training values than this is an error. */
  maxCategories: z.number().int().min(2).default(100),
};
export const recordOptionsSchema = z.object(recordOptionsShape).strict();
export type RecordOptions = z.output<typeof recordOptionsSchema>;

/** Fits the encoding of `features` on the training rows. */
export function fitColumns(
  records: Records,
  features: string[],
  trainRows: number[],
  o: Pick<RecordOptions, 'numericColumns' | 'categoricalColumns' | 'maxCategories'>,
): TablePreprocessing {
  const columns = features.map((name): NumericColumn | CategoricalColumn => {
    const j = records.columns.indexOf(name);
    const values = trainRows.map((r) => records.rows[r][j]).filter((v) => !isMissing(v));
    const forcedNumeric = o.numericColumns?.includes(name);
    const forcedCategorical = o.categoricalColumns?.includes(name);
    const numbers = values.map(asNumber);
    const numericShare = numbers.filter((n) => n !== undefined).length / Math.max(values.length, 1);
    // Numeric when (almost) every training value is a number: a stray word is then an error
    // naming its row, not a silent switch of the whole column to one-hot.
    if (!forcedCategorical && (forcedNumeric || (values.length > 0 && numericShare >= 0.9))) {
      const nums = numbers.filter((n): n is number => n !== undefined);
      const mean = nums.reduce((a, b) => a + b, 0) / Math.max(nums.length, 1);
      const variance = nums.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(nums.length, 1);
      return { name, type: 'numeric', mean, std: Math.sqrt(variance) || 1 };
    }
    const vocabulary = sortedClassNames(values.map(String));
    if (vocabulary.length > o.maxCategories)
      throw dataError(
        `${records.path}: column '${name}' has ${vocabulary.length} distinct values, too many to one-hot (max ${o.maxCategories}): leave it out with ignoreColumns, or raise maxCategories`,
      );
    return { name, type: 'categorical', vocabulary };
  });
  return { kind: 'table', columns };
}

/** Width of the encoded feature vector. */
export const encodedWidth = (p: TablePreprocessing) =>
  p.columns.reduce((n, c) => n + (c.type === 'numeric' ? 1 : c.vocabulary.length), 0);

/** Encodes rows with a fitted TablePreprocessing: [rows.length, encodedWidth] float32. */
export function encodeRows(records: Records, rows: number[], p: TablePreprocessing): Float32Array {
  const width = encodedWidth(p);
  const out = new Float32Array(rows.length * width);
  const index = p.columns.map((c) => {
    const j = records.columns.indexOf(c.name);
    if (j < 0)
      throw dataError(
        `${records.path}: column '${c.name}' is missing (the model was fitted with columns ${p.columns.map((x) => x.name).join(', ')})`,
      );
    return j;
  });
  const vocab = p.columns.map((c) =>
    c.type === 'categorical' ? new Map(c.vocabulary.map((v, k) => [v, k])) : undefined,
  );
  rows.forEach((r, i) => {
    let offset = i * width;
    p.columns.forEach((c, k) => {
      const v = records.rows[r][index[k]];
      if (c.type === 'numeric') {
        if (!isMissing(v)) {
          const n = asNumber(v);
          if (n === undefined)
            throw dataError(
              `${records.path}: line ${records.lines[r]}, column '${c.name}': '${v}' is not a number (the column is numeric): fix the value, or pass it in categoricalColumns`,
            );
          out[offset] = (n - c.mean) / c.std;
        } // missing → the train mean → 0
        offset += 1;
      } else {
        const hot = isMissing(v) ? undefined : vocab[k]!.get(String(v));
        if (hot !== undefined) out[offset + hot] = 1; // unknown / missing → zeros
        offset += c.vocabulary.length;
      }
    });
  });
  return out;
}

const SPLIT_VALUES: Record<string, SplitName> = {
  train: 'train',
  training: 'train',
  validation: 'validation',
  val: 'validation',
  valid: 'validation',
  dev: 'validation',
  test: 'test',
};

/** Records + options → a Dataset of float features (labelled, or unlabelled with a given spec). */
export function loadRecordsDataset(
  records: Records,
  o: RecordOptions & CommonDataOptions,
  name: string,
): Dataset {
  const col = (c: string, what: string) => {
    const j = records.columns.indexOf(c);
    if (j < 0)
      throw usageError(
        `${what} '${c}' is not a column of ${records.path} (columns: ${records.columns.join(', ')})`,
      );
    return j;
  };
  for (const c of [
    ...(o.ignoreColumns ?? []),
    ...(o.numericColumns ?? []),
    ...(o.categoricalColumns ?? []),
  ])
    col(c, 'column');
  const all = records.rows.map((_, i) => i);
  if (o.unlabelled) {
    const input = o.spec?.inputs[0];
    if (!input || input.preprocessing.kind !== 'table')
      throw usageError(
        `${records.path}: a table transfer set needs labelled table data (--data) to take its column encoding from`,
      );
    const p = input.preprocessing as TablePreprocessing;
    const rows = o.trainLimit !== undefined ? all.slice(0, o.trainLimit) : all;
    const train: Split = {
      x: encodeRows(records, rows, p),
      y: new Int32Array(rows.length).fill(-1),
      count: rows.length,
    };
    return {
      name,
      spec: o.spec!,
      inputShape: input.shape,
      classes: o.spec!.classNames.length,
      classNames: o.spec!.classNames,
      train,
      validation: emptySplit(),
      test: emptySplit(),
      preprocessing: input.description ?? 'table',
      source: records.path,
    };
  }
  if (o.labelColumn === undefined)
    throw usageError(
      `${records.path}: name the label column with --label-column <name> (columns: ${records.columns.join(', ')})`,
    );
  const labelIndex = col(o.labelColumn, '--label-column');
  const labelText = records.rows.map((r, i) => {
    const v = r[labelIndex];
    if (isMissing(v))
      throw dataError(
        `${records.path}: line ${records.lines[i]} has no value in the label column '${o.labelColumn}': fill it in or drop the row`,
      );
    return String(v);
  });
  const classNames = sortedClassNames(labelText);
  checkClassCount(classNames, `${records.path} label column '${o.labelColumn}'`);
  const classIndex = new Map(classNames.map((c, k) => [c, k]));
  const labels = labelText.map((t) => classIndex.get(t)!);

  let rows: Record<SplitName, number[]>;
  if (o.splitColumn !== undefined) {
    validationShare(o, labels.length, records.path, `column '${o.splitColumn}'`); // refuses a size
    const j = col(o.splitColumn, 'splitColumn');
    rows = { train: [], validation: [], test: [] };
    records.rows.forEach((r, i) => {
      const split = SPLIT_VALUES[String(r[j]).toLowerCase()];
      if (!split)
        throw dataError(
          `${records.path}: line ${records.lines[i]}, column '${o.splitColumn}': '${r[j]}' is not a split (train, validation, test)`,
        );
      rows[split].push(i);
    });
  } else {
    rows = stratifiedSplit(labels, classNames, {
      validationFraction: validationShare(o, labels.length, records.path),
      testFraction: o.testFraction,
      seed: o.splitSeed ?? 1,
    });
  }
  if (o.trainLimit !== undefined) rows.train = rows.train.slice(0, o.trainLimit);
  if (o.testLimit !== undefined) rows.test = rows.test.slice(0, o.testLimit);
  if (rows.train.length === 0) throw dataError(`${records.path}: no training rows`);

  const excluded = new Set([o.labelColumn, o.splitColumn, ...(o.ignoreColumns ?? [])]);
  const features = records.columns.filter((c) => !excluded.has(c));
  if (features.length === 0)
    throw dataError(`${records.path}: no feature columns besides the label`);
  const p = fitColumns(records, features, rows.train, o);
  const width = encodedWidth(p);
  const wanted = o.splits ?? ['train', 'validation', 'test'];
  const split = (name: SplitName): Split => {
    if (!wanted.includes(name)) return emptySplit();
    const r = rows[name];
    return {
      x: encodeRows(records, r, p),
      y: Int32Array.from(r, (i) => labels[i]),
      count: r.length,
    };
  };
  const numeric = p.columns.filter((c) => c.type === 'numeric').length;
  const description = `${numeric} numeric column(s) standardised with training-split mean/std, ${p.columns.length - numeric} categorical one-hot (training vocabulary; unknown → zeros) → float32 [${width}]`;
  const spec: DataSpec = {
    inputs: [{ name: 'features', shape: [width], dtype: 'float32', preprocessing: p, description }],
    classNames,
  };
  return {
    name,
    spec,
    inputShape: [width],
    classes: classNames.length,
    classNames,
    train: split('train'),
    validation: split('validation'),
    test: split('test'),
    preprocessing: description,
    source: records.path,
  };
}
