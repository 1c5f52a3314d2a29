// ECE and reliability bins on hand-made cases: perfect calibration is 0, a worked example gives
// its known value, bin edges follow (lower, upper], and softmax survives large logits.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { calibrationOf, softmaxRows, topPredictions } from './calibration.ts';

const close = (actual: number, expected: number, tolerance = 1e-12) =>
  assert.ok(Math.abs(actual - expected) <= tolerance, `${actual} ≠ ${expected} ± ${tolerance}`);

test('perfectly calibrated predictions have ECE 0', () => {
  // 10 at confidence 0.7 with 7 right, 4 at 0.25 with 1 right, 5 at 1.0 all right.
  const confidence = [...Array(10).fill(0.7), ...Array(4).fill(0.25), ...Array(5).fill(1)];
  const correct = [...[1, 1, 1, 1, 1, 1, 1, 0, 0, 0], ...[0, 1, 0, 0], ...[1, 1, 1, 1, 1]];
  const c = calibrationOf(confidence, correct);
  close(c.ece, 0);
  assert.equal(c.bins.length, 15);
  assert.equal(c.examples, 19);
  close(c.accuracy, 13 / 19);
});

test('a worked example gives its known ECE', () => {
  // Bin (0.8667, 0.9333]: confidence 0.9, accuracy 1/2 → gap 0.4, weight 2/4.
  // Bin (0.5333, 0.6]:    confidence 0.6, accuracy 2/2 → gap 0.4, weight 2/4.
  close(calibrationOf([0.9, 0.9, 0.6, 0.6], [1, 0, 1, 1]).ece, 0.4);
  // Mixed confidences in one bin: mean confidence (0.95 + 0.97)/2 = 0.96, accuracy 0.
  // The other bin: 0.5 with accuracy 1 → gap 0.5. ECE = (2·0.96 + 1·0.5)/3.
  close(calibrationOf([0.95, 0.97, 0.5], [false, false, true]).ece, (2 * 0.96 + 0.5) / 3);
});

test('bins are (lower, upper]: 1 goes to the last bin, 0 and 1/15 to the first', () => {
  const c = calibrationOf([1, 0, 1 / 15, 2 / 15 + 1e-9], [1, 0, 0, 1], 15);
  assert.equal(c.bins[14].count, 1);
  assert.equal(c.bins[0].count, 2);
  assert.equal(c.bins[2].count, 1);
  close(c.bins[0].lower, 0);
  close(c.bins[14].upper, 1);
  assert.equal(
    c.bins.reduce((a, b) => a + b.count, 0),
    4,
  );
  // Empty bins report zeros and add nothing to the ECE.
  assert.deepEqual([c.bins[5].count, c.bins[5].accuracy, c.bins[5].confidence], [0, 0, 0]);
});

test('ECE weights each bin by its share of the examples', () => {
  // 3 examples at 0.9 all wrong (gap 0.9), 1 at 0.9 right: accuracy 1/4, gap 0.65, weight 1.
  close(calibrationOf([0.9, 0.9, 0.9, 0.9], [0, 0, 0, 1]).ece, 0.65);
  // The number of bins changes the answer only through the grouping.
  close(calibrationOf([0.9, 0.9], [1, 0], 1).ece, 0.4);
});

test('no examples: ECE 0, no NaN', () => {
  const c = calibrationOf([], []);
  assert.equal(c.ece, 0);
  assert.equal(c.accuracy, 0);
});

test('mismatched lengths throw', () => {
  assert.throws(() => calibrationOf([0.5, 0.5], [1]), /2 confidences but 1/);
});

test('softmax rows sum to 1 and survive large logits; top-1 with its probability', () => {
  const logits = new Float32Array([1000, 999, 998, 0, 0, 0, -5, 3, 1]);
  const p = softmaxRows(logits, 3);
  for (let r = 0; r < 3; r++) close(p[3 * r] + p[3 * r + 1] + p[3 * r + 2], 1, 1e-6);
  assert.ok(p.every(Number.isFinite));
  close(p[0], 1 / (1 + Math.exp(-1) + Math.exp(-2)), 1e-6);
  const { predicted, confidence } = topPredictions(p, 3);
  assert.deepEqual([...predicted], [0, 0, 1]); // ties go to the first class
  close(confidence[1], 1 / 3, 1e-6);
});

test('uniform predictions right 1 time in 10 over 10 classes are calibrated', () => {
  const n = 50;
  const logits = new Float32Array(n * 10); // all zeros: confidence 0.1 everywhere
  const { predicted, confidence } = topPredictions(softmaxRows(logits, 10), 10);
  const labels = Array.from({ length: n }, (_, i) => i % 10); // class 0 every tenth example
  const c = calibrationOf(
    confidence,
    labels.map((y, i) => y === predicted[i]),
  );
  close(c.ece, 0, 1e-6);
});
