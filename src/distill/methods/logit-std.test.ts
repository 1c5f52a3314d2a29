// logit-std: golden values from PyTorch (scripts/golden/methods.py, the official code's formula;
// tolerances in testing.ts), then the point of the method: the KL term ignores each row's shift
// and scale; plus zero when student = teacher, non-negative, finite for a constant row.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf, type Tensor } from '../../tf.ts';
import { logitStd, standardizeLogits } from './logit-std.ts';
import {
  assertClose,
  checkDefaultsAndPresets,
  checkGolden,
  checkGradientReachesStudent,
  checkNoLeak,
  randomStep,
  read,
  stepTensors,
} from './testing.ts';

await tf.setBackend('cpu');

test('matches the PyTorch golden values: terms and gradient', () => {
  checkGolden('logit-std', logitStd);
});

test("defaults are the official code's (base temperature 2, KD weight 9, CE weight 0.1)", () => {
  checkDefaultsAndPresets('logit-std', logitStd);
});

test('standardized rows have mean 0 and Bessel-corrected standard deviation 1', () => {
  const t = randomStep(3, 30);
  const z = standardizeLogits(t.studentLogits);
  const rows = z.arraySync() as number[][];
  z.dispose();
  for (const row of rows) {
    const mean = row.reduce((a, b) => a + b, 0) / row.length;
    const variance = row.reduce((a, b) => a + (b - mean) ** 2, 0) / (row.length - 1);
    assertClose(mean, 0, 'mean', 0, 1e-6);
    assertClose(Math.sqrt(variance), 1, 'std', 1e-5, 1e-6);
  }
  t.dispose();
});

test("the KL term ignores each row's shift and positive scale, for student and teacher", () => {
  for (let seed = 1; seed <= 6; seed++) {
    const t = randomStep(seed * 17);
    const base = read(logitStd().losses(t)).standardizedKl;
    const affine = (m: number[][], k: number) =>
      m.map((row, i) => row.map((x) => Math.fround((0.5 + k + i) * x + 3 * i - k)));
    const moved = stepTensors(affine(t.raw.teacher, 1), affine(t.raw.student, 2), t.raw.labels);
    const after = read(logitStd().losses(moved)).standardizedKl;
    assertClose(after, base, `seed ${seed}`, 1e-4, 1e-5);
    t.dispose();
    moved.dispose();
  }
});

test('zero when student = teacher (also up to shift and scale), non-negative otherwise', () => {
  for (let seed = 1; seed <= 10; seed++) {
    const t = randomStep(seed, [0.1, 1, 5, 30][seed % 4]);
    const scaled = t.raw.teacher.map((row) => row.map((x) => Math.fround(4 * x + 1)));
    const same = stepTensors(t.raw.teacher, scaled, t.raw.labels);
    const atMatch = read(logitStd().losses(same)).standardizedKl;
    assert.ok(Math.abs(atMatch) <= 1e-6 * 9 * 4, `seed ${seed}: ${atMatch}`);
    assert.ok(read(logitStd().losses(t)).standardizedKl >= 0, `seed ${seed}`);
    t.dispose();
    same.dispose();
  }
});

test('a constant student row (std 0): finite loss and gradient, not NaN', () => {
  const t = stepTensors(
    [
      [1, 2, 3],
      [0, -1, 4],
    ],
    [
      [0, 0, 0],
      [1, 2, 0],
    ],
    [2, 0],
  );
  const method = logitStd();
  const terms = read(method.losses(t));
  assert.ok(Object.values(terms).every(Number.isFinite), JSON.stringify(terms));
  const grad = tf.grad((s: Tensor) =>
    tf.addN(Object.values(method.losses({ ...t, studentLogits: s }))),
  )(t.studentLogits);
  assert.ok(grad.dataSync().every(Number.isFinite));
  grad.dispose();
  t.dispose();
});

test('the gradient of each term reaches the student logits (finite, non-zero)', () => {
  checkGradientReachesStudent(logitStd, {}, ['hard', 'standardizedKl']);
});

test('no tensor leak, inside or outside tf.tidy', () => {
  checkNoLeak(logitStd);
});
