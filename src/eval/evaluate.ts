// Side-by-side evaluation of trained models on one split: accuracy, errors, size, inference
// latency (median wall time, batch 1 and batch 256, with the interquartile range) and top-1
// agreement with a reference model, per-class precision / recall / F1, macro-F1, and top-5
// accuracy when there are > 10 classes. Latency reps of the models are interleaved (model A, B, C,
// then B, C, A, …) so a drift of the machine's load hits every model alike: the same
// architecture then shows the same latency within the spread. Any Teacher (ONNX, graph model,
// function) is evaluated through its async logits(), its latency measured on its own.
import { tf, type LayersModel } from '../tf.ts';
import type { Split } from '../data/dataset.ts';
import { inputShapeOf, parameterCount, weightBytes } from '../models/index.ts';
import {
  argmaxRows,
  perClassMetrics,
  predictLogits,
  topKAccuracy,
  type ClassMetrics,
} from './metrics.ts';
import { classificationMetrics, type ClassificationMetrics } from './classification.ts';
import { dataError, usageError } from '../errors.ts';
import { isTeacher, type Teacher } from '../teachers/teacher.ts';
import { computeTeacherLogits } from '../distill/teacher-cache.ts';

export interface EvaluateOptions {
  /** LayersModels, or Teachers of any kind (those with a Layers `model` are evaluated as it). */
  models: Record<string, LayersModel | Teacher>;
  data: Split;
  /** One example's shape, for teachers that do not declare theirs. */
  inputShape?: number[];
  /** Model whose top-1 predictions the others are compared with (default 'teacher' if present). */
  reference?: string;
  /** Measure latency (default true). */
  latency?: boolean;
  /** Class index → name, for the per-class metrics (default the indices). */
  classNames?: string[];
}

export interface ModelEvaluation extends Partial<ClassificationMetrics> {
  name: string;
  accuracy: number;
  errors: number;
  examples: number;
  parameters: number;
  weightBytes: number;
  /** Median milliseconds for one example at batch size 1. */
  latencyBatch1Ms?: number;
  /** Median milliseconds per example at batch size 256. */
  latencyBatch256MsPerExample?: number;
  /** Interquartile ranges [25th, 75th percentile] of the same measurements. */
  latencySpread?: { batch1Ms: [number, number]; batch256MsPerExample: [number, number] };
  /** Fraction of examples where top-1 equals the reference model's top-1. */
  agreement?: number;
  /** Unweighted mean of the per-class F1 scores. */
  macroF1?: number;
  /** Label among the 5 largest logits (only when there are more than 10 classes). */
  top5Accuracy?: number;
  /** Precision, recall, F1 and support per class, in class order. */
  perClass?: ClassMetrics[];
}

export interface Evaluation {
  reference?: string;
  rows: ModelEvaluation[];
  /** Top-1 predictions per model (not serialised into results.json). */
  predictions: Record<string, Int32Array>;
}

export async function evaluate(options: EvaluateOptions): Promise<Evaluation> {
  const { data } = options;
  const layersModels: Record<string, LayersModel> = {};
  for (const [name, entry] of Object.entries(options.models))
    if (!isTeacher(entry) || entry.model)
      layersModels[name] = isTeacher(entry) ? entry.model! : entry;
  const models = options.models;
  if (data.count === 0) {
    throw dataError(
      'the split to evaluate is empty: accuracy is undefined; use at least one example',
    );
  }
  const reference = options.reference ?? ('teacher' in models ? 'teacher' : undefined);
  const predictions: Record<string, Int32Array> = {};
  const rows: ModelEvaluation[] = [];
  for (const [name, entry] of Object.entries(models)) {
    if (!layersModels[name]) {
      const { predictions: predicted, ...row } = await evaluateTeacher(
        name,
        entry as Teacher,
        options,
      );
      predictions[name] = predicted;
      rows.push(row);
      continue;
    }
    const model = layersModels[name];
    const logits = predictLogits(model, data, inputShapeOf(model));
    const predicted = argmaxRows(logits, logits.length / data.count);
    predictions[name] = predicted;
    let correct = 0;
    for (let i = 0; i < data.count; i++) if (predicted[i] === data.y[i]) correct++;
    const row: ModelEvaluation = {
      name,
      accuracy: correct / data.count,
      errors: data.count - correct,
      examples: data.count,
      parameters: parameterCount(model),
      weightBytes: weightBytes(model),
      ...qualityMetrics(logits, predicted, options),
    };
    rows.push(row);
  }
  if (options.latency ?? true) {
    const batch1 = measureLatencies(layersModels, 1, 30);
    const batch256 = measureLatencies(layersModels, 256, 7);
    for (const row of rows) {
      if (!layersModels[row.name]) continue; // teachers measured in evaluateTeacher
      const one = batch1[row.name];
      const many = batch256[row.name];
      row.latencyBatch1Ms = one.median;
      row.latencyBatch256MsPerExample = many.median / 256;
      row.latencySpread = {
        batch1Ms: [one.q25, one.q75],
        batch256MsPerExample: [many.q25 / 256, many.q75 / 256],
      };
    }
  }
  if (reference && predictions[reference]) {
    const ref = predictions[reference];
    for (const row of rows) {
      let same = 0;
      for (let i = 0; i < data.count; i++) if (predictions[row.name][i] === ref[i]) same++;
      row.agreement = same / data.count;
    }
  }
  return { reference, rows, predictions };
}

export interface LatencyStats {
  median: number;
  q25: number;
  q75: number;
  /** Every rep's milliseconds, in the order measured. */
  times: number[];
}

/**
 * Wall-clock milliseconds of predict + read-back for a batch of `batchSize`, per model: each
 * model is warmed up, then the reps are interleaved, the starting model rotating each round.
 */
export function measureLatencies(
  models: Record<string, LayersModel>,
  batchSize: number,
  repeats: number,
): Record<string, LatencyStats> {
  const names = Object.keys(models);
  const inputs = Object.fromEntries(
    names.map((n) => [n, tf.randomUniform([batchSize, ...inputShapeOf(models[n])])]),
  );
  const once = (name: string) => {
    const t0 = performance.now();
    const y = models[name].predict(inputs[name]) as tf.Tensor;
    y.dataSync();
    y.dispose();
    return performance.now() - t0;
  };
  for (const n of names) for (let i = 0; i < 3; i++) once(n); // warm-up: kernel setup, caches
  const times: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  for (let r = 0; r < repeats; r++) {
    for (let k = 0; k < names.length; k++) {
      const name = names[(r + k) % names.length];
      times[name].push(once(name));
    }
  }
  tf.dispose(Object.values(inputs));
  return Object.fromEntries(
    names.map((n) => {
      const sorted = [...times[n]].sort((a, b) => a - b);
      const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
      return [n, { median: at(0.5), q25: at(0.25), q75: at(0.75), times: times[n] }];
    }),
  );
}

/** Median wall-clock milliseconds of predict + read-back for a batch of `batchSize`. */
export function measureLatency(model: LayersModel, batchSize: number, repeats: number): number {
  const x = tf.randomUniform([batchSize, ...inputShapeOf(model)]);
  const once = () => {
    const t0 = performance.now();
    const y = model.predict(x) as tf.Tensor;
    y.dataSync();
    y.dispose();
    return performance.now() - t0;
  };
  for (let i = 0; i < 3; i++) once(); // warm-up: kernel setup, caches
  const times = Array.from({ length: repeats }, once).sort((a, b) => a - b);
  x.dispose();
  return times[Math.floor(times.length / 2)];
}

type TeacherRow = ModelEvaluation & { predictions: Int32Array };

/** Per-class P/R/F1, macro-F1, binary metrics, per-group error rates, top-5: any model's logits. */
function qualityMetrics(
  logits: Float32Array, // [count, classes]
  predicted: Int32Array,
  options: EvaluateOptions,
): Partial<ModelEvaluation> {
  const { data } = options;
  const classes = logits.length / data.count;
  const classNames = options.classNames ?? Array.from({ length: classes }, (_, c) => String(c));
  const perClass = perClassMetrics(predicted, data.y, classNames);
  return {
    // Binary metrics (ROC-AUC, spam P/R/F1, ham FPR) and per-group error rates.
    ...classificationMetrics(logits, data.y, classes, data.groups),
    ...(classes > 10 ? { top5Accuracy: topKAccuracy(logits, data.y, classes, 5) } : {}),
    perClass,
  };
}

/** A teacher without a Layers model: accuracy through logits(); size when it can tell. */
async function evaluateTeacher(
  name: string,
  teacher: Teacher,
  options: EvaluateOptions,
): Promise<TeacherRow> {
  const { data } = options;
  const shape = teacher.dataShape ?? options.inputShape;
  if (!shape)
    throw usageError(
      `evaluate: the ${teacher.kind} teacher '${name}' declares no input shape: pass inputShape`,
    );
  const { logits, classes } = await computeTeacherLogits(teacher, data, shape);
  const predicted = argmaxRows(logits, classes);
  let correct = 0;
  for (let i = 0; i < data.count; i++) if (predicted[i] === data.y[i]) correct++;
  const record = teacher.describe();
  const row: TeacherRow = {
    name,
    accuracy: correct / data.count,
    errors: data.count - correct,
    examples: data.count,
    parameters: record.parameters ?? 0,
    weightBytes: record.weightBytes ?? 0,
    ...qualityMetrics(logits, predicted, options),
    predictions: predicted,
  };
  if (options.latency ?? true) {
    // Token-id teachers are probed with int32 ids (padding), as the data feeds them.
    const dtype = data.x instanceof Int32Array ? 'int32' : 'float32';
    row.latencyBatch1Ms = await measureTeacherLatency(teacher, shape, 1, 30, dtype);
    row.latencyBatch256MsPerExample =
      (await measureTeacherLatency(teacher, shape, 256, 7, dtype)) / 256;
  }
  return row;
}

/** Median wall-clock milliseconds of an awaited teacher.logits() + read-back. */
export async function measureTeacherLatency(
  teacher: Teacher,
  shape: number[],
  batchSize: number,
  repeats: number,
  dtype: 'float32' | 'int32' = 'float32',
): Promise<number> {
  const x =
    dtype === 'int32'
      ? tf.zeros([batchSize, ...shape], 'int32')
      : tf.randomUniform([batchSize, ...shape]);
  const once = async () => {
    const t0 = performance.now();
    const y = await teacher.logits(x);
    await y.data();
    y.dispose();
    return performance.now() - t0;
  };
  for (let i = 0; i < 3; i++) await once();
  const times: number[] = [];
  for (let i = 0; i < repeats; i++) times.push(await once());
  x.dispose();
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}
