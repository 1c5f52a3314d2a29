// Prediction and metrics over a Split, in batches (inference mode: no dropout): accuracy,
// per-class precision / recall / F1, macro-F1 and top-k accuracy.
import { tf, type LayersModel } from '../tf.ts';
import type { Split } from '../data/dataset.ts';
import { batches } from '../data/batches.ts';

/** Logits for every example, row-major [count, classes]. */
export function predictLogits(
  model: LayersModel,
  split: Split,
  inputShape: number[],
  batchSize = 1000,
): Float32Array {
  const parts: Float32Array[] = [];
  for (const batch of batches(split, { batchSize, inputShape })) {
    const logits = tf.tidy(() => model.predict(batch.x) as tf.Tensor); // [b, classes]
    parts.push(logits.dataSync() as Float32Array);
    tf.dispose([logits, batch.x, batch.labels]);
  }
  const out = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/** Top-1 class per row of row-major logits. */
export function argmaxRows(logits: Float32Array, classes: number): Int32Array {
  const n = logits.length / classes;
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 1; c < classes; c++)
      if (logits[i * classes + c] > logits[i * classes + best]) best = c;
    out[i] = best;
  }
  return out;
}

export function accuracyOf(model: LayersModel, split: Split, inputShape: number[]): number {
  const logits = predictLogits(model, split, inputShape);
  const predictions = argmaxRows(logits, logits.length / split.count);
  let correct = 0;
  for (let i = 0; i < split.count; i++) if (predictions[i] === split.y[i]) correct++;
  return correct / split.count;
}

/** Precision, recall and F1 of one class (one-vs-rest), with its support in the labels. */
export interface ClassMetrics {
  name: string;
  precision: number;
  recall: number;
  f1: number;
  /** Examples of this class in the labels. */
  support: number;
}

/**
 * Per-class precision / recall / F1 from top-1 predictions. A class never predicted has
 * precision 0, one absent from the labels recall 0, and F1 = 0 when both are 0 (scikit-learn's
 * zero_division=0). Rows labelled -1 (unlabelled) are ignored.
 */
export function perClassMetrics(
  predicted: Int32Array,
  labels: Int32Array,
  classNames: string[],
): ClassMetrics[] {
  const k = classNames.length;
  const truePositive = new Float64Array(k);
  const predictedCount = new Float64Array(k);
  const support = new Float64Array(k);
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i];
    if (y < 0) continue;
    support[y]++;
    predictedCount[predicted[i]]++;
    if (predicted[i] === y) truePositive[y]++;
  }
  return classNames.map((name, c) => {
    const precision = predictedCount[c] ? truePositive[c] / predictedCount[c] : 0;
    const recall = support[c] ? truePositive[c] / support[c] : 0;
    const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
    return { name, precision, recall, f1, support: support[c] };
  });
}

/**
 * Unweighted mean F1 over the classes that occur in the labels or the predictions (as
 * scikit-learn's f1_score(average='macro') over the labels present).
 */
export function macroF1(perClass: ClassMetrics[], predicted: Int32Array): number {
  const predictedClasses = new Set(predicted);
  const present = perClass.filter((c, i) => c.support > 0 || predictedClasses.has(i));
  return present.reduce((a, c) => a + c.f1, 0) / Math.max(present.length, 1);
}

/** Fraction of rows whose label is among the k largest logits (ties count against). */
export function topKAccuracy(
  logits: Float32Array,
  labels: Int32Array,
  classes: number,
  k: number,
): number {
  let hits = 0;
  for (let i = 0; i < labels.length; i++) {
    const target = logits[i * classes + labels[i]];
    let above = 0;
    for (let c = 0; c < classes; c++)
      if (c !== labels[i] && logits[i * classes + c] >= target) above++;
    if (above < k) hits++;
  }
  return hits / Math.max(labels.length, 1);
}

/** 1 where the model's top-1 prediction equals the label, per example of `split` ([count]). */
export function correctnessOf(model: LayersModel, split: Split, inputShape: number[]): Uint8Array {
  const logits = predictLogits(model, split, inputShape); // [count × classes]
  const predicted = argmaxRows(logits, logits.length / split.count); // [count]
  return Uint8Array.from(predicted, (c, i) => Number(c === split.y[i]));
}
