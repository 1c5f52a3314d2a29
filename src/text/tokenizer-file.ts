// tokenizer.json next to model.json: the tokenizer a text model was trained with, its sequence
// length and class names, so Node, the browser and an exported folder encode text identically.
// Loading checks that the tokenizer fits the model (embedding rows, sequence length) and says
// which file is wrong instead of failing deep inside tfjs.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LayersModel } from '../tf.ts';
import type { DataSpec } from '../data/spec.ts';
import { primaryInput } from '../data/spec.ts';
import { writeAtomic } from '../io/atomic.ts';
import { modelError } from '../errors.ts';
import {
  checkTokenizerSpec,
  createTokenizer,
  vocabularySize,
  type Tokenizer,
  type TokenizerSpec,
} from './tokenizer.ts';

export const TOKENIZER_FILE = 'tokenizer.json';

export interface TokenizerFile {
  format: 'distillery-tokenizer';
  version: 1;
  /** Tokens per example (padded / truncated). */
  length: number;
  tokenizer: TokenizerSpec;
  classNames: string[];
}

/** Writes tokenizer.json into a model folder when the data's input is tokens; no-op otherwise. */
export function writeTokenizerFile(dir: string, spec: DataSpec): void {
  const input = primaryInput(spec);
  if (input.preprocessing.kind !== 'tokens') return;
  const p = input.preprocessing as { tokenizer: unknown; length: number };
  const file: TokenizerFile = {
    format: 'distillery-tokenizer',
    version: 1,
    length: p.length,
    tokenizer: checkTokenizerSpec(p.tokenizer),
    classNames: spec.classNames,
  };
  writeAtomic(join(dir, TOKENIZER_FILE), JSON.stringify(file));
}

/** Reads and checks a tokenizer.json (a folder or the file itself); undefined when absent. */
export function readTokenizerFile(dirOrFile: string): TokenizerFile | undefined {
  const path = dirOrFile.endsWith('.json') ? dirOrFile : join(dirOrFile, TOKENIZER_FILE);
  if (!existsSync(path)) return undefined;
  let value: Partial<TokenizerFile>;
  try {
    value = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw modelError(`${path} is not JSON (${(e as Error).message}): re-export the model`);
  }
  if (
    value?.format !== 'distillery-tokenizer' ||
    !Number.isInteger(value.length) ||
    !Array.isArray(value.classNames)
  )
    throw modelError(
      `${path} is not a Distillery tokenizer file (format 'distillery-tokenizer', length, classNames)`,
    );
  try {
    return { ...(value as TokenizerFile), tokenizer: checkTokenizerSpec(value.tokenizer) };
  } catch (e) {
    throw modelError(`${path}: ${(e as Error).message}`);
  }
}

/** Throws a one-line error when the tokenizer's ids or length cannot feed this model. */
export function checkTokenizerFitsModel(
  file: TokenizerFile,
  model: LayersModel,
  where: string,
): void {
  const length = model.inputs[0].shape[1];
  if (model.inputs[0].shape.length !== 2 || (length !== null && length !== file.length))
    throw modelError(
      `${where}: tokenizer.json encodes ${file.length} tokens but the model takes input ${JSON.stringify(model.inputs[0].shape.slice(1))}: the tokenizer belongs to another model`,
    );
  const rows = vocabularySize(file.tokenizer);
  const embedding = model.layers.find((l) => l.getClassName() === 'Embedding');
  const inputDim = (embedding?.getConfig() as { inputDim?: number } | undefined)?.inputDim;
  if (inputDim !== undefined && inputDim !== rows)
    throw modelError(
      `${where}: tokenizer.json yields ${rows} distinct ids but the model's embedding has ${inputDim} rows: the tokenizer belongs to another model`,
    );
  const classes = model.outputs[0].shape[1];
  if (classes !== file.classNames.length)
    throw modelError(
      `${where}: tokenizer.json names ${file.classNames.length} classes but the model outputs ${classes}`,
    );
}

/** The tokenizer of a model folder, checked against the model. */
export function loadTokenizerFor(
  dir: string,
  model: LayersModel,
): { file: TokenizerFile; tokenizer: Tokenizer } {
  const file = readTokenizerFile(dir);
  if (!file)
    throw modelError(
      `${dir}: no ${TOKENIZER_FILE}: a text model needs the tokenizer it was trained with`,
    );
  checkTokenizerFitsModel(file, model, dir);
  return { file, tokenizer: createTokenizer(file.tokenizer) };
}

/**
 * Data-source options that make a text source encode with a model folder's own tokenizer.json
 * (checked against the model first), so `evaluate` feeds the ids the model was trained on;
 * undefined for a folder without one (image and table models).
 */
export function tokenizerDataOptions(
  dir: string,
  model: LayersModel,
): { tokenizerFile: string } | undefined {
  const file = readTokenizerFile(dir);
  if (!file) return undefined;
  checkTokenizerFitsModel(file, model, dir);
  return { tokenizerFile: join(dir, TOKENIZER_FILE) };
}

/**
 * Throws a one-line error when a saved model folder's tokenizer.json is not the tokenizer the
 * data was encoded with (e.g. a teacher trained with another --train-limit or split seed: same
 * sizes, other words, so every id would mean another word and nothing in tfjs would fail).
 */
export function checkTokenizerMatchesData(dir: string, role: string, spec: DataSpec): void {
  const input = primaryInput(spec);
  if (input.preprocessing.kind !== 'tokens') return;
  const file = readTokenizerFile(dir);
  if (!file) return;
  const data = input.preprocessing as { tokenizer: unknown; length: number };
  const ours = checkTokenizerSpec(data.tokenizer);
  if (file.length === data.length && canonical(file.tokenizer) === canonical(ours)) return;
  throw modelError(
    `${role} ${dir} was trained on other token ids: its ${TOKENIZER_FILE} (${describeTokenizer(file.tokenizer, file.length)}) is not the one this run fitted on its training split (${describeTokenizer(ours, data.length)}); encode the data with the model's own: --data-option tokenizerFile=${join(dir, TOKENIZER_FILE)}`,
  );
}

function describeTokenizer(t: TokenizerSpec, length: number): string {
  const kind =
    t.type === 'words'
      ? `${t.vocabulary.length} words, first '${t.vocabulary[0] ?? ''}'`
      : `char ${t.minN}–${t.maxN}-grams in ${t.buckets} buckets`;
  return `${kind}, ${length} tokens`;
}

/** JSON with sorted keys: two equal specs compare equal whatever order their keys were set in. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_k, v) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : 1)))
      : v,
  );
}
