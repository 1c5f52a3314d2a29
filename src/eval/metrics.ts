// Prediction and basic metrics over a Split, in batches (inference mode: no dropout).
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
