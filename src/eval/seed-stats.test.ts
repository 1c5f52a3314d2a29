// Seed statistics against values computed with numpy / scipy (std with ddof=1,
// scipy.stats.t.ppf(0.975, n − 1)), the three verdict sentences and the gap closed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  gainVerdict,
  gapClosed,
  pairedDifference,
  signedPoints,
  summarize,
  tQuantile95,
} from './seed-stats.ts';

const close = (actual: number, expected: number, tol: number, what: string) =>
  assert.ok(Math.abs(actual - expected) <= tol, `${what}: ${actual} vs ${expected} (±${tol})`);

test('summarize: mean and sample standard deviation as numpy (ddof=1)', () => {
  const s = summarize([0.1, 0.2, 0.4]);
  close(s.mean, 0.23333333333333336, 1e-12, 'mean');
  close(s.std, 0.1527525231651947, 1e-12, 'std');
  assert.equal(s.n, 3);
  assert.deepEqual(summarize([0.5]), { mean: 0.5, std: 0, n: 1, values: [0.5] });
  assert.throws(() => summarize([]), /no values/);
});

test('tQuantile95 matches scipy.stats.t.ppf(0.975, df) to 3 decimals', () => {
  close(tQuantile95(1), 12.706204736174694, 1e-3, 'df 1');
  close(tQuantile95(2), 4.302652729749462, 1e-3, 'df 2');
  close(tQuantile95(100), 1.984, 0.03, 'df 100 (normal limit)');
  assert.throws(() => tQuantile95(0), /df must be/);
});

test('pairedDifference: a clear gain over 3 seeds is beyond noise (scipy interval)', () => {
  const d = pairedDifference([0.97, 0.975, 0.972], [0.975, 0.979, 0.978]);
  close(d.mean, 0.005, 1e-12, 'mean');
  close(d.std, 0.001, 1e-12, 'std');
  close(d.interval![0], 0.002515862288249672, 1e-6, 'low');
  close(d.interval![1], 0.007484137711750337, 1e-6, 'high');
  assert.equal(d.verdict, 'beyond-noise');
});

test('pairedDifference: a small gain with a large spread is within noise', () => {
  const d = pairedDifference([0.9, 0.91, 0.905], [0.902, 0.905, 0.911]);
  close(d.mean, 0.001, 1e-12, 'mean');
  close(d.std, 0.005567764362830027, 1e-12, 'std');
  close(d.interval![0], -0.012831093423845615, 1e-5, 'low');
  close(d.interval![1], 0.014831093423845617, 1e-5, 'high');
  assert.equal(d.verdict, 'within-noise');
  assert.throws(() => pairedDifference([1, 2], [1]), /same non-zero number/);
});

test('verdict sentence: one seed says it cannot tell', () => {
  const v = gainVerdict([0.8958], [0.8931]);
  assert.equal(v.verdict, 'one-seed');
  assert.equal(
    v.sentence,
    'gain -0.27 points (1 seed): one seed cannot tell a gain from seed noise; run --seeds 1,2,3 to know',
  );
});

test('verdict sentence: within seed noise asks for more seeds or tuning', () => {
  const v = gainVerdict([0.9, 0.91, 0.905], [0.902, 0.905, 0.911]);
  assert.equal(
    v.sentence,
    'gain +0.10 ± 0.56 points (95% CI [-1.28, +1.48], 3 seeds): within seed noise: run more seeds or tune',
  );
});

test('verdict sentence: beyond seed noise, for a gain and for a loss', () => {
  const up = gainVerdict([0.97, 0.975, 0.972], [0.975, 0.979, 0.978]);
  assert.equal(
    up.sentence,
    'gain +0.50 ± 0.10 points (95% CI [+0.25, +0.75], 3 seeds): beyond seed noise',
  );
  const down = gainVerdict([0.975, 0.979, 0.978], [0.97, 0.975, 0.972]);
  assert.equal(down.verdict, 'beyond-noise');
  assert.match(
    down.sentence,
    /^gain -0\.50 ± 0\.10 points .*beyond seed noise \(distillation hurt\)$/,
  );
});

test('signedPoints never prints -0.00', () => {
  assert.equal(signedPoints(-0.00001), '+0.00');
  assert.equal(signedPoints(0.0123), '+1.23');
  assert.equal(signedPoints(-0.0123), '-1.23');
});

test('gapClosed: the share of the baseline–teacher gap, none when the teacher is not above', () => {
  // Spam-like macro-F1: teacher 0.9635, scratch 0.9584, distilled 0.9622 → 0.0038 / 0.0051.
  assert.ok(Math.abs(gapClosed(0.9635, 0.9584, 0.9622)! - 0.0038 / 0.0051) < 1e-9);
  assert.equal(gapClosed(0.97, 0.96, 0.97), 1);
  assert.ok(gapClosed(0.97, 0.96, 0.955)! < 0, 'a distilled student below scratch: negative');
  assert.equal(gapClosed(0.96, 0.96, 0.97), undefined);
  assert.equal(gapClosed(0.95, 0.96, 0.97), undefined);
});
