// Side-by-side evaluation of trained models on one split: accuracy, errors, size, inference
// latency (median wall time, batch 1 and batch 256), top-1 agreement with a reference model,
// per-class precision / recall / F1, macro-F1, and top-5 accuracy when there are > 10 classes.
import { tf, type LayersModel } from '../tf.ts';
import type { Split } from '../data/dataset.ts';
import { inputShapeOf, parameterCount, weightBytes } from '../models/index.ts';
import {
  argmaxRows,
  macroF1,
  perClassMetrics,
  predictLogits,
  topKAccuracy,
  type ClassMetrics,
} from './metrics.ts';

export interface EvaluateOptions {
  models: Record<string, LayersModel>;
  data: Split;
  /** Model whose top-1 predictions the others are compared with (default 'teacher' if present). */
  reference?: string;
  /** Measure latency (default true). */
  latency?: boolean;
  /** Class index → name, for the per-class metrics (default the indices). */
  classNames?: string[];
}

export interface ModelEvaluation {
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
  const { models, data } = options;
  const reference = options.reference ?? ('teacher' in models ? 'teacher' : undefined);
  const predictions: Record<string, Int32Array> = {};
  const rows: ModelEvaluation[] = [];
  for (const [name, model] of Object.entries(models)) {
    const logits = predictLogits(model, data, inputShapeOf(model));
    const predicted = argmaxRows(logits, logits.length / data.count);
    predictions[name] = predicted;
    let correct = 0;
    for (let i = 0; i < data.count; i++) if (predicted[i] === data.y[i]) correct++;
    const classes = logits.length / data.count;
    const classNames = options.classNames ?? Array.from({ length: classes }, (_, c) => String(c));
    const perClass = perClassMetrics(predicted, data.y, classNames);
    const row: ModelEvaluation = {
      name,
      accuracy: correct / data.count,
      errors: data.count - correct,
      examples: data.count,
      parameters: parameterCount(model),
      weightBytes: weightBytes(model),
      macroF1: macroF1(perClass, predicted),
      ...(classes > 10 ? { top5Accuracy: topKAccuracy(logits, data.y, classes, 5) } : {}),
      perClass,
    };
    if (options.latency ?? true) {
      row.latencyBatch1Ms = measureLatency(model, 1, 30);
      row.latencyBatch256MsPerExample = measureLatency(model, 256, 7) / 256;
    }
    rows.push(row);
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
