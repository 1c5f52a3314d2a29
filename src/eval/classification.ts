// Metrics beyond accuracy from logits: macro-F1 over classes and, for two classes, the positive
// class's precision / recall / F1, ROC-AUC and the false-positive rate on the negative class at
// the argmax threshold (p(positive) > 0.5) — for spam, the costly error is ham flagged as spam.
// Per-group error rates when a split carries groups (e.g. SpamAssassin's hard-ham folder).

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
  const predicted = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 1; c < classes; c++)
      if (logits[i * classes + c] > logits[i * classes + best]) best = c;
    predicted[i] = best;
  }
  let f1Sum = 0;
  const perClass = Array.from({ length: classes }, (_, c) => {
    let tp = 0;
    let fp = 0;
    let fn = 0;
    for (let i = 0; i < n; i++) {
      if (predicted[i] === c && labels[i] === c) tp++;
      else if (predicted[i] === c) fp++;
      else if (labels[i] === c) fn++;
    }
    const precision = safe(tp, tp + fp);
    const recall = safe(tp, tp + fn);
    const f1 = safe(2 * precision * recall, precision + recall);
    f1Sum += f1;
    return { precision, recall, f1 };
  });
  const out: ClassificationMetrics = { macroF1: f1Sum / classes };
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
      ...perClass[1],
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
