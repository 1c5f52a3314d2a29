// Calibration of a classifier's top-1 confidence: the bins of a reliability diagram and the
// expected calibration error, ECE = Σ_b |B_b|/n · |acc(B_b) − conf(B_b)| over equal-width bins
// (Guo et al. 2017, On Calibration of Modern Neural Networks; Naeini et al. 2015). Plain JS arrays.

export const DEFAULT_CALIBRATION_BINS = 15;

export interface CalibrationBin {
  /** The bin holds confidences in (lower, upper]; the first bin also holds 0. */
  lower: number;
  upper: number;
  count: number;
  /** Fraction of the bin's examples whose top-1 prediction is right (0 if empty). */
  accuracy: number;
  /** Mean top-1 confidence of the bin's examples (0 if empty). */
  confidence: number;
}

export interface Calibration {
  /** Expected calibration error in [0, 1]. */
  ece: number;
  bins: CalibrationBin[];
  examples: number;
  accuracy: number;
  meanConfidence: number;
}

/** Row-wise softmax of row-major logits [n, classes] (max-subtracted, so large logits are safe). */
export function softmaxRows(logits: Float32Array, classes: number): Float32Array {
  const out = new Float32Array(logits.length);
  for (let row = 0; row < logits.length; row += classes) {
    let max = -Infinity;
    for (let c = 0; c < classes; c++) max = Math.max(max, logits[row + c]);
    let sum = 0;
    for (let c = 0; c < classes; c++) sum += out[row + c] = Math.exp(logits[row + c] - max);
    for (let c = 0; c < classes; c++) out[row + c] /= sum;
  }
  return out;
}

/** Top-1 class and its probability per row of row-major probabilities [n, classes]. */
export function topPredictions(
  probabilities: Float32Array,
  classes: number,
): { predicted: Int32Array; confidence: Float32Array } {
  const n = probabilities.length / classes;
  const predicted = new Int32Array(n);
  const confidence = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 1; c < classes; c++)
      if (probabilities[i * classes + c] > probabilities[i * classes + best]) best = c;
    predicted[i] = best;
    confidence[i] = probabilities[i * classes + best];
  }
  return { predicted, confidence };
}

/** Reliability bins and ECE of top-1 confidences against whether each prediction was right. */
export function calibrationOf(
  confidence: ArrayLike<number>,
  correct: ArrayLike<boolean | number>,
  bins = DEFAULT_CALIBRATION_BINS,
): Calibration {
  const n = confidence.length;
  if (correct.length !== n)
    throw new RangeError(`${n} confidences but ${correct.length} correctness flags`);
  const count = new Array<number>(bins).fill(0);
  const right = new Array<number>(bins).fill(0);
  const sumConfidence = new Array<number>(bins).fill(0);
  let totalRight = 0;
  let totalConfidence = 0;
  for (let i = 0; i < n; i++) {
    const p = confidence[i];
    // (b/B, (b+1)/B] → b; 0 joins the first bin.
    const b = Math.min(bins - 1, Math.max(0, Math.ceil(p * bins) - 1));
    count[b]++;
    sumConfidence[b] += p;
    if (correct[i]) right[b]++;
    totalConfidence += p;
    if (correct[i]) totalRight++;
  }
  let ece = 0;
  const out: CalibrationBin[] = [];
  for (let b = 0; b < bins; b++) {
    const accuracy = count[b] ? right[b] / count[b] : 0;
    const meanConfidence = count[b] ? sumConfidence[b] / count[b] : 0;
    if (n) ece += (count[b] / n) * Math.abs(accuracy - meanConfidence);
    out.push({
      lower: b / bins,
      upper: (b + 1) / bins,
      count: count[b],
      accuracy,
      confidence: meanConfidence,
    });
  }
  return {
    ece,
    bins: out,
    examples: n,
    accuracy: n ? totalRight / n : 0,
    meanConfidence: n ? totalConfidence / n : 0,
  };
}
