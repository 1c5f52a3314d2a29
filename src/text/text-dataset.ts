// Labelled texts → a Dataset of int32 token ids: a stratified seeded split, a tokenizer fitted on
// the training split only, every split encoded to a fixed length. Shared by the embedded
// SpamAssassin corpus and users' CSV/TSV/JSONL text.
import type { Dataset, Split, SplitOptions } from '../data/dataset.ts';
import type { DataSpec, TokensPreprocessing } from '../data/spec.ts';
import { createRng, deriveSeed, permutation } from '../random.ts';
import { augmentTokens, TANG_DEFAULTS } from './augment.ts';
import { dataError } from '../errors.ts';
import {
  createTokenizer,
  decodeWords,
  fitTokenizer,
  type FitTokenizerOptions,
  type TokenizerSpec,
} from './tokenizer.ts';

export interface LabelledTexts {
  texts: string[];
  /** Class index per text. */
  labels: Int32Array;
  /** Stratum per text (defaults to the label): splits keep each stratum's share. */
  strata?: string[];
  /** Kept on the splits for per-group error rates (e.g. 'hard-ham-1'). */
  groups?: string[];
}

export interface TextSplitOptions {
  seed: number;
  /** Share of each stratum that goes to test (default 0.2); a function can vary it per stratum. */
  testShare?: number | ((stratum: string) => number);
  /** Examples held out of the rest for validation, spread over strata (default 10 % of the rest). */
  validationSize?: number;
}

/** Indices of train / validation / test, each stratum shuffled with the seed then cut by share. */
export function stratifiedSplit(
  strata: string[],
  options: TextSplitOptions,
): { train: number[]; validation: number[]; test: number[] } {
  const byStratum = new Map<string, number[]>();
  strata.forEach((s, i) => byStratum.set(s, [...(byStratum.get(s) ?? []), i]));
  const names = [...byStratum.keys()].sort();
  const rng = createRng(options.seed);
  const train: number[] = [];
  const validation: number[] = [];
  const test: number[] = [];
  const rest: number[][] = [];
  for (const name of names) {
    const members = byStratum.get(name)!;
    const order = permutation(members.length, rng);
    const share =
      typeof options.testShare === 'function'
        ? options.testShare(name)
        : (options.testShare ?? 0.2);
    const nTest = Math.round(members.length * share);
    const shuffled = Array.from(order, (k) => members[k]);
    test.push(...shuffled.slice(0, nTest));
    rest.push(shuffled.slice(nTest));
  }
  const restTotal = rest.reduce((a, r) => a + r.length, 0);
  // At most a fifth of the rest, so a small file still trains on most of its rows.
  const wanted = Math.min(
    options.validationSize ?? Math.round(restTotal * 0.1),
    Math.round(restTotal * 0.2),
  );
  for (const r of rest) {
    const nVal = restTotal === 0 ? 0 : Math.round((r.length / restTotal) * wanted);
    validation.push(...r.slice(0, nVal));
    train.push(...r.slice(nVal));
  }
  // Interleave strata so that a train limit or a batch is not one class.
  const shuffle = (ix: number[]) => Array.from(permutation(ix.length, rng), (k) => ix[k]);
  return { train: shuffle(train), validation: shuffle(validation), test: shuffle(test) };
}

export interface TextDatasetOptions extends SplitOptions, TextSplitOptions {
  name: string;
  source: string;
  classNames: string[];
  /** Tokens per example (padded / truncated). */
  length: number;
  tokenizer?: FitTokenizerOptions;
  /** A fitted tokenizer to reuse (e.g. the model's own), instead of fitting one on train. */
  fitted?: TokenizerSpec;
  /** What the text is (e.g. 'subject + body, headers and HTML stripped, ≤ 4,000 chars'). */
  textDescription: string;
  /**
   * Augmented copies per training example for the distilled student's transfer set (Tang et al.
   * 2019; 0 = none), seeded by the split seed: one split, one fixed set (its teacher logits cache).
   */
  augmentCopies?: number;
  /** Counted skips and other notes the loader made, appended to the preprocessing line. */
  notes?: string[];
}

/** Splits, fits the tokenizer on train, encodes. */
export function buildTextDataset(data: LabelledTexts, options: TextDatasetOptions): Dataset {
  const classes = options.classNames.length;
  if (classes < 2) {
    throw dataError(
      `${options.name}: only one class (${options.classNames.join(', ') || 'none'}) in the labels: a classifier needs at least two`,
    );
  }
  const strata = data.strata ?? Array.from(data.labels, (l) => String(l));
  const ix = stratifiedSplit(strata, options);
  const limit = (a: number[], n?: number) => (n === undefined ? a : a.slice(0, n));
  let train = limit(ix.train, options.trainLimit);
  const validation = ix.validation;
  const test = limit(ix.test, options.testLimit);
  const wanted = new Set(options.splits ?? ['train', 'validation', 'test']);
  if (!wanted.has('train')) train = options.fitted ? [] : train; // fitting needs the train texts
  if (train.length === 0 && !options.fitted)
    throw dataError(
      `${options.name}: no training examples after the split: add data or lower the test share`,
    );
  const spec =
    options.fitted ??
    fitTokenizer(
      train.map((i) => data.texts[i]),
      options.tokenizer,
    );
  const tokenizer = createTokenizer(spec);
  const encode = (rows: number[], name: string): Split => {
    if (!wanted.has(name as 'train'))
      return { x: new Int32Array(0), y: new Int32Array(0), count: 0 };
    const x = new Int32Array(rows.length * options.length);
    rows.forEach((r, k) => tokenizer.encode(data.texts[r], options.length, x, k * options.length));
    return {
      x,
      y: Int32Array.from(rows, (r) => data.labels[r]),
      count: rows.length,
      texts: rows.map((r) => data.texts[r]),
      groups: data.groups ? rows.map((r) => data.groups![r]) : undefined,
    };
  };
  const preprocessing: TokensPreprocessing = {
    kind: 'tokens',
    tokenizer: spec as unknown as TokensPreprocessing['tokenizer'],
    length: options.length,
  };
  const tokenizerLine =
    spec.type === 'words'
      ? `word vocabulary of ${spec.vocabulary.length} (fitted on train) + ${spec.oovBuckets} hashed unknown-word buckets`
      : `hashed character ${spec.minN}–${spec.maxN}-grams of words, ${spec.buckets} buckets`;
  const description = `${options.textDescription} → ${tokenizerLine}, ${options.length} tokens (0-padded / truncated)`;
  const dataSpec: DataSpec = {
    inputs: [
      { name: 'tokens', shape: [options.length], dtype: 'int32', preprocessing, description },
    ],
    classNames: options.classNames,
  };
  const trainSplit = encode(train, 'train');
  const copies = options.augmentCopies ?? 0;
  const notes = [...(options.notes ?? [])];
  let transfer: Split | undefined;
  if (copies > 0 && trainSplit.count > 0) {
    const seed = deriveSeed(options.seed, 'text-augment');
    const x = augmentTokens(trainSplit.x as Int32Array, trainSplit.count, options.length, {
      copies,
      seed,
    });
    const count = trainSplit.count * copies;
    transfer = { x, y: new Int32Array(count).fill(-1), count };
    // Word ids decode to a text (unknown words as [UNK]) that a teacher reading texts can label;
    // hashed character n-grams do not, and such copies have no text.
    if (spec.type === 'words')
      transfer.texts = Array.from({ length: count }, (_, r) =>
        decodeWords(spec, x.subarray(r * options.length, (r + 1) * options.length)),
      );
    const t = TANG_DEFAULTS;
    notes.push(
      `transfer set: ${copies} augmented copies of each training text (${count}; Tang et al. 2019: mask ${t.maskProbability}, neighbour swap ${t.swapProbability}, n-gram ≤ ${t.maxNgram} with p ${t.ngramProbability})`,
    );
  }
  return {
    name: options.name,
    spec: dataSpec,
    inputShape: [options.length],
    classes,
    classNames: options.classNames,
    train: trainSplit,
    transfer,
    validation: encode(validation, 'validation'),
    test: encode(test, 'test'),
    preprocessing: [description, ...notes].join('; '),
    source: options.source,
  };
}

/**
 * Unlabelled texts (a --transfer-set) encoded with the labelled data's own tokenizer and length
 * (from its `spec`), every text in `train` with y = -1 and its text kept (an LLM teacher labels
 * it by its text; the digests of the rows are the texts'): no split, no tokenizer fitting.
 */
export function buildUnlabelledTexts(
  texts: string[],
  options: { name: string; source: string; spec: DataSpec; notes?: string[] },
): Dataset {
  const input = options.spec.inputs[0];
  if (!input || input.preprocessing.kind !== 'tokens')
    throw dataError(
      `${options.name}: a text transfer set needs labelled text data (--data, --dataset spam-assassin) to take its tokenizer from`,
    );
  const { tokenizer: spec, length } = input.preprocessing as TokensPreprocessing;
  const tokenizer = createTokenizer(spec as unknown as TokenizerSpec);
  const x = new Int32Array(texts.length * length);
  texts.forEach((t, k) => tokenizer.encode(t, length, x, k * length));
  const empty = (): Split => ({ x: new Int32Array(0), y: new Int32Array(0), count: 0 });
  return {
    name: options.name,
    spec: options.spec,
    inputShape: [length],
    classes: options.spec.classNames.length,
    classNames: options.spec.classNames,
    train: { x, y: new Int32Array(texts.length).fill(-1), count: texts.length, texts },
    validation: empty(),
    test: empty(),
    preprocessing: [
      `${input.description ?? 'tokens'} (the labelled data's tokenizer)`,
      ...(options.notes ?? []),
    ].join('; '),
    source: options.source,
  };
}
