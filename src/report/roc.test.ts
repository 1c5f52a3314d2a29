// ROC curves: the trapezoid area over every threshold equals the rank statistic of
// eval/classification.ts (ties counted half) on random scores with many ties; a worked example;
// one-sided labels give NaN (never drawn); thinning keeps the ends.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rocAuc } from '../eval/classification.ts';
import { createRng } from '../random.ts';
import { modelRoc, rocCurve, thin } from './roc.ts';

test('a worked example: points at each distinct threshold, ties as one diagonal step', () => {
  // scores 0.9 (+), 0.8 (−), 0.8 (+), 0.1 (−)
  const { points, auc } = rocCurve([0.9, 0.8, 0.8, 0.1], [true, false, true, false]);
  assert.deepEqual(points, [
    { fpr: 0, tpr: 0 },
    { fpr: 0, tpr: 0.5 },
    { fpr: 0.5, tpr: 1 },
    { fpr: 1, tpr: 1 },
  ]);
  assert.equal(auc, 0.875);
});

test('the area equals the rank statistic on random scores with ties', () => {
  const rng = createRng(7);
  for (let trial = 0; trial < 20; trial++) {
    const n = 50 + Math.floor(rng() * 200);
    const scores = Array.from({ length: n }, () => Math.round(rng() * 20) / 20); // many ties
    const labels = scores.map((s) => rng() < 0.3 + 0.4 * s);
    const { auc, points } = rocCurve(scores, labels);
    assert.ok(Math.abs(auc - rocAuc(scores, labels)) < 1e-12, `trial ${trial}`);
    assert.deepEqual(points.at(-1), { fpr: 1, tpr: 1 });
  }
});

test('binary logits are scored by the log-odds; more classes one-vs-rest with a mean', () => {
  const logits = Float32Array.from([2, 0, 0, 1, 1, 3, 0.5, 0.2]); // [4, 2]
  const labels = Int32Array.from([0, 1, 1, 0]);
  const binary = modelRoc('m', logits, labels, 2);
  assert.equal(binary.curves.length, 1);
  assert.equal(binary.auc, rocAuc([-2, 1, 2, -0.3], [false, true, true, false]));
  const three = modelRoc(
    'm',
    Float32Array.from([3, 0, 0, 0, 3, 0, 0, 0, 3]),
    Int32Array.from([0, 1, 2]),
    3,
  );
  assert.deepEqual(
    three.curves.map((c) => c.curve.auc),
    [1, 1, 1],
  );
  assert.equal(three.auc, 1);
});

test('one-sided labels: NaN area and no points; thinning keeps both ends', () => {
  const { auc, points } = rocCurve([0.1, 0.2], [true, true]);
  assert.ok(Number.isNaN(auc));
  assert.deepEqual(points, []);
  const many = Array.from({ length: 1000 }, (_, i) => ({ fpr: i / 999, tpr: i / 999 }));
  const few = thin(many, 50);
  assert.equal(few.length, 50);
  assert.deepEqual([few[0], few.at(-1)], [many[0], many.at(-1)]);
});
