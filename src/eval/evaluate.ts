// Side-by-side evaluation of trained models on one split: accuracy, errors, size, inference
// latency (median wall time, batch 1 and batch 256) and top-1 agreement with a reference model.
import { tf, type LayersModel } from '../tf.ts';
import type { Split } from '../data/dataset.ts';
import { inputShapeOf, parameterCount, weightBytes } from '../models/index.ts';
import { argmaxRows, predictLogits } from './metrics.ts';
import { dataError } from '../errors.ts';

export interface EvaluateOptions {
  models: Record<string, LayersModel>;
  data: Split;
  /** Model whose top-1 predictions the others are compared with (default 'teacher' if present). */
  reference?: string;
  /** Measure latency (default true). */
  latency?: boolean;
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
}

export interface Evaluation {
  reference?: string;
  rows: ModelEvaluation[];
  /** Top-1 predictions per model (not serialised into results.json). */
  predictions: Record<string, Int32Array>;
}

export async function evaluate(options: EvaluateOptions): Promise<Evaluation> {
  const { models, data } = options;
  if (data.count === 0) {
    throw dataError(
      'the split to evaluate is empty: accuracy is undefined; use at least one example',
    );
  }
  const reference = options.reference ?? ('teacher' in models ? 'teacher' : undefined);
  const predictions: Record<string, Int32Array> = {};
  const rows: ModelEvaluation[] = [];
  for (const [name, model] of Object.entries(models)) {
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
