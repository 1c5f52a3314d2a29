// Classification metrics: a hand-worked example (the values scikit-learn's
// precision_recall_fscore_support / f1_score(average='macro') give for it), the zero-division
// conventions, top-k with ties, and unlabelled rows ignored.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { macroF1, perClassMetrics, topKAccuracy } from './metrics.ts';

const close = (a: number, b: number, what: string) =>
  assert.ok(Math.abs(a - b) < 1e-12, `${what}: ${a} vs ${b}`);

test('per-class precision / recall / F1 and macro-F1 on a worked example', () => {
  const labels = Int32Array.from([0, 0, 1, 1, 2, 2]);
  const predicted = Int32Array.from([0, 1, 1, 1, 2, 0]);
  const m = perClassMetrics(predicted, labels, ['a', 'b', 'c']);
  // a: 1 of 2 predictions right, 1 of 2 found; b: 2 of 3, 2 of 2; c: 1 of 1, 1 of 2.
  const expected = [
    [0.5, 0.5, 0.5, 2],
    [2 / 3, 1, 0.8, 2],
    [1, 0.5, 2 / 3, 2],
  ];
  m.forEach((c, i) => {
    close(c.precision, expected[i][0], `${c.name} precision`);
    close(c.recall, expected[i][1], `${c.name} recall`);
    close(c.f1, expected[i][2], `${c.name} F1`);
    assert.equal(c.support, expected[i][3]);
  });
  close(macroF1(m, predicted), (0.5 + 0.8 + 2 / 3) / 3, 'macro-F1');
});

test('a class never predicted scores 0, a class absent everywhere is left out of macro-F1', () => {
  const labels = Int32Array.from([0, 1, 1, 0]);
  const predicted = Int32Array.from([0, 0, 0, 0]);
  const m = perClassMetrics(predicted, labels, ['x', 'y', 'unused']);
  assert.deepEqual(
    m.map((c) => [c.precision, c.recall, c.f1]),
    [
      [0.5, 1, 2 / 3],
      [0, 0, 0],
      [0, 0, 0],
    ],
  );
  close(macroF1(m, predicted), (2 / 3 + 0) / 2, 'macro over x and y only');
});

test('unlabelled rows (y = -1) are ignored', () => {
  const m = perClassMetrics(Int32Array.from([0, 1, 1]), Int32Array.from([0, -1, 1]), ['a', 'b']);
  assert.deepEqual(
    m.map((c) => [c.precision, c.recall, c.support]),
    [
      [1, 1, 1],
      [1, 1, 1],
    ],
  );
});

test('top-k accuracy: the label among the k largest logits; ties count against', () => {
  // 3 rows × 4 classes; the label ranks 1st, 2nd, and tied with two others for 2nd.
  const logits = Float32Array.from([5, 1, 2, 3, 0, 1, 2, 3, 1, 2, 2, 2]);
  const labels = Int32Array.from([0, 2, 1]);
  assert.equal(topKAccuracy(logits, labels, 4, 1), 1 / 3);
  assert.equal(topKAccuracy(logits, labels, 4, 2), 2 / 3, 'row 2: two logits ≥ the label');
  assert.equal(topKAccuracy(logits, labels, 4, 3), 1);
});
