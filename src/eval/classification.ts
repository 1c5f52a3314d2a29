// Metrics beyond accuracy from logits: macro-F1 over classes and, for two classes, the positive
// class's precision / recall / F1, ROC-AUC and the false-positive rate on the negative class at
// the argmax threshold (p(positive) > 0.5) — for spam, the costly error is ham flagged as spam.
// Per-group error rates when a split carries groups (e.g. SpamAssassin's hard-ham folder).
import { argmaxRows, macroF1, perClassMetrics } from './metrics.ts';

export interface BinaryMetrics {
  /** Index of the positive class (1: 'spam'). */
  positive: number;
  precision: number;
  recall: number;
  f1: number;
  rocAuc: number;
  /** Negatives predicted positive / negatives. */
  falsePositiveRate: number;
  /** p(positive) above which an example is called positive. */
  threshold: number;
}

export interface ClassificationMetrics {
  macroF1: number;
  binary?: BinaryMetrics;
  /** Error rate per group, when the split has groups: { 'hard-ham-1': 0.12, … }. */
  groupErrorRates?: Record<string, number>;
}

const safe = (num: number, den: number) => (den === 0 ? 0 : num / den);

/** ROC-AUC = P(score of a random positive > score of a random negative), ties counted half. */
export function rocAuc(scores: ArrayLike<number>, positive: ArrayLike<boolean>): number {
  const order = Array.from({ length: scores.length }, (_, i) => i).sort(
    (a, b) => scores[a] - scores[b],
  );
  let rankSum = 0;
  let nPos = 0;
  for (let i = 0; i < order.length;) {
    let j = i;
    while (j + 1 < order.length && scores[order[j + 1]] === scores[order[i]]) j++;
    const rank = (i + j) / 2 + 1; // average rank of the tie block (1-based)
    for (let k = i; k <= j; k++) if (positive[order[k]]) ((rankSum += rank), nPos++);
    i = j + 1;
  }
  const nNeg = order.length - nPos;
  if (nPos === 0 || nNeg === 0) return NaN;
  return (rankSum - (nPos * (nPos + 1)) / 2) / (nPos * nNeg);
}

export function classificationMetrics(
  logits: Float32Array,
  labels: Int32Array,
  classes: number,
  groups?: string[],
): ClassificationMetrics {
  const n = labels.length;
  // One definition of per-class metrics and macro-F1 (metrics.ts), shared with evaluate.
  const predicted = argmaxRows(logits, classes);
  const names = Array.from({ length: classes }, (_, c) => String(c));
  const perClass = perClassMetrics(predicted, labels, names);
  const out: ClassificationMetrics = { macroF1: macroF1(perClass, predicted) };
  if (classes === 2) {
    const score = new Float64Array(n); // logit difference = log-odds of the positive class
    for (let i = 0; i < n; i++) score[i] = logits[i * 2 + 1] - logits[i * 2];
    let negatives = 0;
    let falsePositives = 0;
    for (let i = 0; i < n; i++)
      if (labels[i] === 0) {
        negatives++;
        if (predicted[i] === 1) falsePositives++;
      }
    out.binary = {
      positive: 1,
      precision: perClass[1].precision,
      recall: perClass[1].recall,
      f1: perClass[1].f1,
      rocAuc: rocAuc(
        score,
        Array.from(labels, (l) => l === 1),
      ),
      falsePositiveRate: safe(falsePositives, negatives),
      threshold: 0.5,
    };
  }
  if (groups) {
    const errors: Record<string, [number, number]> = {};
    groups.forEach((g, i) => {
      const e = (errors[g] ??= [0, 0]);
      e[1]++;
      if (predicted[i] !== labels[i]) e[0]++;
    });
    out.groupErrorRates = Object.fromEntries(
      Object.keys(errors)
        .sort()
        .map((g) => [g, errors[g][0] / errors[g][1]]),
    );
  }
  return out;
}
