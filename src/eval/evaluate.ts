// Side-by-side evaluation of trained models on one split: accuracy, errors, size, inference
// latency (median wall time, batch 1 and batch 256) and top-1 agreement with a reference model.
// Any Teacher (ONNX, graph model, function) is evaluated through its async logits().
import { tf, type LayersModel } from '../tf.ts';
import type { Split } from '../data/dataset.ts';
import { inputShapeOf, parameterCount, weightBytes } from '../models/index.ts';
import { isTeacher, type Teacher } from '../teachers/teacher.ts';
import { computeTeacherLogits } from '../distill/teacher-cache.ts';
import { usageError } from '../errors.ts';
import { argmaxRows, predictLogits } from './metrics.ts';

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
  const reference = options.reference ?? ('teacher' in models ? 'teacher' : undefined);
  const predictions: Record<string, Int32Array> = {};
  const rows: ModelEvaluation[] = [];
  for (const [name, entry] of Object.entries(models)) {
    if (isTeacher(entry) && !entry.model) {
      const { predictions: predicted, ...row } = await evaluateTeacher(name, entry, options);
      predictions[name] = predicted;
      rows.push(row);
      continue;
    }
    const model = isTeacher(entry) ? entry.model! : entry;
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

type TeacherRow = ModelEvaluation & { predictions: Int32Array };

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
    predictions: predicted,
  };
  if (options.latency ?? true) {
    row.latencyBatch1Ms = await measureTeacherLatency(teacher, shape, 1, 30);
    row.latencyBatch256MsPerExample = (await measureTeacherLatency(teacher, shape, 256, 7)) / 256;
  }
  return row;
}

/** Median wall-clock milliseconds of an awaited teacher.logits() + read-back. */
export async function measureTeacherLatency(
  teacher: Teacher,
  shape: number[],
  batchSize: number,
  repeats: number,
): Promise<number> {
  const x = tf.randomUniform([batchSize, ...shape]);
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
