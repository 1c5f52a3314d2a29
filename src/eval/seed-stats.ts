// Statistics over seeds: mean ± sample standard deviation, and the paired difference of two
// arms run with the same seeds (e.g. distilled − scratch) with a Student-t confidence interval.
// Also the share of the baseline–teacher gap a candidate closes.
// Leaves out: multiple-comparison corrections and non-parametric tests (few seeds make them moot).

export interface Summary {
  mean: number;
  /** Sample standard deviation (n − 1); 0 for a single value. */
  std: number;
  n: number;
  values: number[];
}

export function summarize(values: number[]): Summary {
  const n = values.length;
  if (n === 0) throw new Error('summarize: no values');
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const variance = n > 1 ? values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1) : 0;
  return { mean, std: Math.sqrt(variance), n, values: [...values] };
}

/** Two-sided 95% quantile of Student's t with `df` degrees of freedom (df ≥ 1). */
export function tQuantile95(df: number): number {
  // Exact table for small df (where it matters), normal limit beyond.
  const table = [
    12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16,
    2.145, 2.131, 2.12, 2.11, 2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052,
    2.048, 2.045, 2.042,
  ];
  if (!(df >= 1)) throw new Error(`tQuantile95: df must be ≥ 1, got ${df}`);
  return df <= table.length ? table[Math.floor(df) - 1] : 1.96;
}

export interface PairedDifference {
  /** Mean of b − a over seeds. */
  mean: number;
  std: number;
  n: number;
  /** 95% confidence interval of the mean difference; undefined with one seed. */
  interval?: [number, number];
  /** 'beyond-noise' when the interval excludes 0, 'within-noise' when it contains it. */
  verdict: 'beyond-noise' | 'within-noise' | 'one-seed';
}

/** Paired difference b − a of two arms measured on the same seeds, with a t interval. */
export function pairedDifference(a: number[], b: number[]): PairedDifference {
  if (a.length !== b.length || a.length === 0)
    throw new Error(
      `pairedDifference: need the same non-zero number of values, got ${a.length} and ${b.length}`,
    );
  const d = summarize(b.map((v, i) => v - a[i]));
  if (d.n === 1) return { mean: d.mean, std: 0, n: 1, verdict: 'one-seed' };
  const half = (tQuantile95(d.n - 1) * d.std) / Math.sqrt(d.n);
  const interval: [number, number] = [d.mean - half, d.mean + half];
  const beyond = interval[0] > 0 || interval[1] < 0;
  return {
    mean: d.mean,
    std: d.std,
    n: d.n,
    interval,
    verdict: beyond ? 'beyond-noise' : 'within-noise',
  };
}

export interface GainVerdict extends PairedDifference {
  /** One plain sentence for the table, results.json and the report. */
  sentence: string;
}

/** Signed points of accuracy: 0.0052 → "+0.52". */
export function signedPoints(fraction: number): string {
  const points = 100 * fraction;
  const text = Math.abs(points).toFixed(2);
  return `${points < 0 && text !== '0.00' ? '-' : '+'}${text}`;
}

/**
 * The verdict on candidate − baseline accuracies paired by seed (fractions in [0, 1]): the mean
 * gain in points, its spread, the 95% interval and whether seed noise can explain it.
 */
export function gainVerdict(baseline: number[], candidate: number[]): GainVerdict {
  const d = pairedDifference(baseline, candidate);
  const gain = `gain ${signedPoints(d.mean)}`;
  let sentence: string;
  if (d.verdict === 'one-seed') {
    sentence = `${gain} points (1 seed): one seed cannot tell a gain from seed noise; run --seeds 1,2,3 to know`;
  } else {
    const [lo, hi] = d.interval!;
    const stats = `${gain} ± ${(100 * d.std).toFixed(2)} points (95% CI [${signedPoints(lo)}, ${signedPoints(hi)}], ${d.n} seeds)`;
    sentence =
      d.verdict === 'within-noise'
        ? `${stats}: within seed noise: run more seeds or tune`
        : `${stats}: beyond seed noise${d.mean < 0 ? ' (distillation hurt)' : ''}`;
  }
  return { ...d, sentence };
}

/**
 * (candidate − baseline) / (teacher − baseline) for a higher-is-better metric (1 = the candidate
 * reached the teacher); undefined when the teacher is not above the baseline: no gap to close.
 */
export function gapClosed(
  teacher: number,
  baseline: number,
  candidate: number,
): number | undefined {
  return teacher > baseline ? (candidate - baseline) / (teacher - baseline) : undefined;
}

/**
 * Standard error of the mean paired difference a − b of two 0/1 correctness vectors on the same
 * examples: sqrt(var(d) / n) with d ∈ {−1, 0, 1}; only the examples where they disagree count.
 */
export function pairedStandardError(a: Uint8Array, b: Uint8Array): number {
  const n = a.length;
  let sum = 0;
  let disagree = 0;
  for (let i = 0; i < n; i++) {
    const d = a[i] - b[i];
    sum += d;
    disagree += d * d;
  }
  const m = sum / n;
  return Math.sqrt(Math.max(0, disagree / n - m * m) / n);
}
