// Export a saved model for deployment: re-encode its weights with a quantization (quantize.ts),
// write model.json + ≤ 4 MiB shards + a model card (metadata.json), load the files back with the
// stock tfjs loader and measure what the quantization cost on a test split: bytes on disk, test
// accuracy, top-1 agreement and the largest logit change against the float32 model.
import {
  copyFileSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
} from 'node:fs';
import { checkExportTarget } from './target.ts';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { tf, type LayersModel } from '../tf.ts';
import type { Dataset, Split } from '../data/dataset.ts';
import { argmaxRows, predictLogits } from '../eval/metrics.ts';
import { inputShapeOf, outputSize, weightBytes } from '../models/index.ts';
import { DistilleryError, dataError, ioError, modelError, usageError } from '../errors.ts';
import {
  loadModel,
  oneLine,
  readModelArtifacts,
  writeModelFiles,
  type ModelJson,
} from '../models/io.ts';
import { writeAtomic } from '../io/atomic.ts';
import { CHECKSUMS_FILE } from '../io/checksums.ts';
import { quantizations, quantizeWeights, type Quantization } from './quantize.ts';
import { buildModelCard, type ModelCard } from './model-card.ts';
import { findRunInfo } from '../run/folder.ts';
import { loadTokenizerFor, TOKENIZER_FILE } from '../text/tokenizer-file.ts';

export { quantizations, type Quantization };

export interface ExportOptions {
  /** A saved tfjs LayersModel folder (model.json + weight files). */
  modelDir: string;
  /** Folder to write model.json, group1-shard*.bin and metadata.json into. */
  outDir: string;
  /** Weight encoding (default 'none' = float32). */
  quantize?: Quantization;
  /** Test data: when given, the export is loaded back and compared with the float32 model. */
  data?: Dataset;
  /** Name in the model card (default: the model folder's name). */
  name?: string;
  /** The float32 model's evaluation, to share across several exports of one model. */
  reference?: ReferenceEvaluation;
  /** Write into a non-empty outDir (never into the source model's folder). */
  overwrite?: boolean;
}

export interface QuantizationRow {
  /** 'float32 (original)' or the quantization name. */
  name: string;
  quantization: Quantization | 'original';
  dir: string;
  /** model.json + weight files, as on disk (metadata.json not counted). */
  bytes: number;
  /** Weight files only. */
  weightBytes: number;
  files: number;
  accuracy?: number;
  errors?: number;
  examples?: number;
  /** Largest |logit − float32 logit| over the test examples. */
  maxAbsLogitDiff?: number;
  /** Fraction of test examples whose top-1 class equals the float32 model's. */
  agreement?: number;
}

export interface ReferenceEvaluation {
  row: QuantizationRow;
  logits: Float32Array; // [examples, classes]
  predictions: Int32Array;
  /** max − min of the float32 logits: the scale against which to read logit differences. */
  logitRange: number;
}

export interface ExportResult {
  outDir: string;
  modelJson: string;
  cardPath: string;
  quantize: Quantization;
  card: ModelCard;
  row: QuantizationRow;
  /** The float32 model's row (evaluated only when data was given). */
  original: QuantizationRow;
  /** max − min of the float32 logits on the test examples (when data was given). */
  logitRange?: number;
}

/** Exports one model with one quantization; see the file header. */
export async function exportModel(options: ExportOptions): Promise<ExportResult> {
  const quantize = options.quantize ?? 'none';
  if (!quantizations.includes(quantize))
    throw usageError(`unknown quantization '${quantize}': use one of ${quantizations.join(', ')}`);
  const modelDir = resolve(options.modelDir);
  const outDir = resolve(options.outDir);
  checkExportTarget(modelDir, outDir, { overwrite: options.overwrite });

  const artifacts = readModelArtifacts(modelDir);
  const original = await loadModel(modelDir);
  try {
    if (options.data) checkData(original, options.data, modelDir);
    const encoded = quantizeWeights(
      artifacts.weightSpecs ?? [],
      new Uint8Array(artifacts.weightData as ArrayBuffer),
      quantize,
    );
    writeExport(outDir, artifacts.modelTopology as object, encoded.specs, encoded.data);
    // A text model ships with its tokenizer (checked against the model first), so the folder
    // encodes text exactly as training did, in Node and in the browser.
    const tokenizer = existsSync(join(modelDir, TOKENIZER_FILE));
    if (tokenizer) {
      loadTokenizerFor(modelDir, original);
      copyFileSync(join(modelDir, TOKENIZER_FILE), join(outDir, TOKENIZER_FILE));
    } else rmSync(join(outDir, TOKENIZER_FILE), { force: true });
    const files = filesOnDisk(outDir);
    const row = sizeRow(quantize, quantize, outDir, files);
    let reference = options.reference;
    let originalRow = sizeRow('float32 (original)', 'original', modelDir, filesOnDisk(modelDir));
    if (options.data) {
      reference ??= evaluateReference(original, options.data.test, modelDir);
      originalRow = reference.row;
      const exported = await loadExported(outDir);
      try {
        Object.assign(row, measure(exported, options.data.test, reference));
      } finally {
        exported.dispose();
      }
    }
    const card = buildModelCard({
      name: options.name ?? basename(modelDir),
      modelDir,
      quantization: quantize,
      files,
      parameters: original.countParams(),
      float32WeightBytes: weightBytes(original),
      inputShape: inputShapeOf(original),
      classes: outputSize(original, 'the model'),
      run: findRunInfo(modelDir),
      dataset: options.data,
      tokenizer: tokenizer ? TOKENIZER_FILE : undefined,
      evaluation:
        options.data && row.accuracy !== undefined && reference
          ? {
              accuracy: row.accuracy,
              examples: row.examples!,
              float32Accuracy: reference.row.accuracy!,
              maxAbsLogitDiff: row.maxAbsLogitDiff!,
            }
          : undefined,
    });
    const cardPath = join(outDir, 'metadata.json');
    writeAtomic(cardPath, JSON.stringify(card, null, 2) + '\n');
    return {
      outDir,
      modelJson: join(outDir, 'model.json'),
      cardPath,
      quantize,
      card,
      row,
      original: originalRow,
      logitRange: reference?.logitRange,
    };
  } finally {
    original.dispose();
  }
}

export interface CompareOptions {
  modelDir: string;
  data: Dataset;
  /** Default: every quantization. */
  quantizations?: readonly Quantization[];
  /** Keep the exports in outDir/<quantization>/; default: a temporary folder, removed after. */
  outDir?: string;
  /** Write into a non-empty outDir (never into the source model's folder). */
  overwrite?: boolean;
}

export interface QuantizationComparison {
  modelDir: string;
  dataset: string;
  examples: number;
  /** max − min of the float32 model's logits on the test examples. */
  logitRange: number;
  /** The float32 original first, then one row per quantization. */
  rows: QuantizationRow[];
  /** The exports, when outDir was given. */
  exports: ExportResult[];
}

/** Exports one model with each quantization and measures every export against the original. */
export async function compareQuantizations(
  options: CompareOptions,
): Promise<QuantizationComparison> {
  const modelDir = resolve(options.modelDir);
  const list = options.quantizations ?? quantizations;
  const temporary = options.outDir === undefined;
  if (!temporary) checkExportTarget(modelDir, options.outDir!, { overwrite: options.overwrite });
  const outRoot = temporary
    ? mkdtempSync(join(tmpdir(), 'distillery-export-'))
    : resolve(options.outDir!);
  try {
    const original = await loadModel(modelDir);
    let reference: ReferenceEvaluation;
    try {
      checkData(original, options.data, modelDir);
      reference = evaluateReference(original, options.data.test, modelDir);
    } finally {
      original.dispose();
    }
    const exports: ExportResult[] = [];
    for (const quantize of list) {
      exports.push(
        await exportModel({
          modelDir,
          outDir: join(outRoot, quantize),
          quantize,
          data: options.data,
          reference,
          overwrite: options.overwrite,
        }),
      );
    }
    return {
      modelDir,
      dataset: options.data.name,
      examples: options.data.test.count,
      logitRange: reference.logitRange,
      rows: [reference.row, ...exports.map((e) => e.row)],
      exports: temporary ? [] : exports,
    };
  } finally {
    if (temporary) rmSync(outRoot, { recursive: true, force: true });
  }
}

/** Evaluates the float32 model once: its row, logits and top-1 predictions. */
export function evaluateReference(
  model: LayersModel,
  split: Split,
  modelDir: string,
): ReferenceEvaluation {
  const logits = predictLogits(model, split, inputShapeOf(model)); // [count, classes]
  const predictions = argmaxRows(logits, logits.length / split.count);
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of logits) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const row = sizeRow('float32 (original)', 'original', modelDir, filesOnDisk(modelDir));
  Object.assign(row, {
    ...accuracyOf(predictions, split),
    maxAbsLogitDiff: 0,
    agreement: 1,
  });
  return { row, logits, predictions, logitRange: hi - lo };
}

function measure(model: LayersModel, split: Split, reference: ReferenceEvaluation) {
  const logits = predictLogits(model, split, inputShapeOf(model)); // [count, classes]
  if (logits.length !== reference.logits.length)
    throw modelError('the exported model predicts a different number of classes');
  const predictions = argmaxRows(logits, logits.length / split.count);
  let maxAbsLogitDiff = 0;
  for (let i = 0; i < logits.length; i++) {
    const d = Math.abs(logits[i] - reference.logits[i]);
    if (!(d <= maxAbsLogitDiff)) maxAbsLogitDiff = d; // NaN propagates
  }
  let same = 0;
  for (let i = 0; i < split.count; i++) if (predictions[i] === reference.predictions[i]) same++;
  return { ...accuracyOf(predictions, split), maxAbsLogitDiff, agreement: same / split.count };
}

function accuracyOf(predictions: Int32Array, split: Split) {
  let correct = 0;
  for (let i = 0; i < split.count; i++) if (predictions[i] === split.y[i]) correct++;
  return {
    accuracy: correct / split.count,
    errors: split.count - correct,
    examples: split.count,
  };
}

function checkData(model: LayersModel, data: Dataset, modelDir: string): void {
  if (data.test.count === 0) {
    throw dataError(
      `the test split of ${data.name} is empty: nothing to measure the export on; use at least one example`,
    );
  }
  const input = inputShapeOf(model).join('×');
  const classes = outputSize(model, `the model in ${modelDir}`);
  if (input !== data.inputShape.join('×') || classes !== data.classes) {
    throw modelError(
      `the model in ${modelDir} takes ${input} inputs and predicts ${classes} classes, but ${data.name} has ${data.inputShape.join('×')} inputs and ${data.classes} classes: pass the model's --dataset`,
    );
  }
}

/** Loads the written files back with the stock loader, through the file:// router. */
async function loadExported(outDir: string): Promise<LayersModel> {
  const url = pathToFileURL(join(outDir, 'model.json')).href;
  try {
    return await tf.loadLayersModel(url);
  } catch (e) {
    if (e instanceof DistilleryError) throw e;
    throw modelError(
      `the export in ${outDir} does not load back: ${oneLine((e as Error).message)}`,
    );
  }
}

const SHARD_NAME = /^group\d+-shard\d+of\d+\.bin$/;

/** Writes the model files, then removes shards (and checksums) left from what was there. */
function writeExport(
  outDir: string,
  topology: object,
  specs: tf.io.WeightsManifestEntry[],
  data: Uint8Array,
): void {
  try {
    // A sealed folder (a run's stage model, replaced with --force) is no longer what it sealed.
    rmSync(join(outDir, CHECKSUMS_FILE), { force: true });
    writeModelFiles(outDir, topology, specs, data);
    const kept = new Set(readModelJson(outDir).weightsManifest.flatMap((g) => g.paths));
    for (const name of readdirSync(outDir)) {
      if (SHARD_NAME.test(name) && !kept.has(name)) rmSync(join(outDir, name));
    }
  } catch (e) {
    if (e instanceof DistilleryError) throw e;
    const err = e as NodeJS.ErrnoException;
    throw ioError(`cannot write the export to ${outDir}: ${err.code ?? oneLine(err.message)}`);
  }
}

function readModelJson(dir: string): ModelJson {
  return JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
}

/** model.json, the weight files it lists and a text model's tokenizer.json, with their sizes. */
export function filesOnDisk(dir: string): { name: string; bytes: number }[] {
  const json = readModelJson(dir);
  const names = ['model.json', ...json.weightsManifest.flatMap((g) => g.paths)];
  if (existsSync(join(dir, TOKENIZER_FILE))) names.push(TOKENIZER_FILE);
  return names.map((name) => ({ name, bytes: statSync(join(dir, name)).size }));
}

const isWeightFile = (name: string) => SHARD_NAME.test(name) || name.endsWith('.bin');

function sizeRow(
  name: string,
  quantization: QuantizationRow['quantization'],
  dir: string,
  files: { name: string; bytes: number }[],
): QuantizationRow {
  return {
    name,
    quantization,
    dir,
    bytes: files.reduce((a, f) => a + f.bytes, 0),
    weightBytes: files.filter((f) => isWeightFile(f.name)).reduce((a, f) => a + f.bytes, 0),
    files: files.length,
  };
}
