// logits-mse: golden values from PyTorch (scripts/golden/methods.py; tolerances in testing.ts),
// then the invariants of a squared error: non-negative, zero when student = teacher, and the
// analytic gradient softWeight·2(s − t)/batch under 'batchmean'.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf, type Tensor } from '../../tf.ts';
import { logitsMse } from './logits-mse.ts';
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
  checkGolden('logits-mse', logitsMse);
});

test("defaults are Ba & Caruana's 1/(2N)·Σ‖s − t‖² (logits only); the mse-loss preset", () => {
  checkDefaultsAndPresets('logits-mse', logitsMse);
  assert.equal(logitsMse.definition.defaults.hardWeight, 0);
});

test('zero when student = teacher, non-negative otherwise', () => {
  for (let seed = 1; seed <= 12; seed++) {
    const t = randomStep(seed, [0.1, 1, 5, 30][seed % 4]);
    const same = stepTensors(t.raw.teacher, t.raw.teacher, t.raw.labels);
    for (const reduction of ['batchmean', 'mean', 'sum'] as const) {
      assert.equal(read(logitsMse({ reduction }).losses(same)).logitsMse, 0, `seed ${seed}`);
      assert.ok(read(logitsMse({ reduction }).losses(t)).logitsMse > 0, `seed ${seed}`);
    }
    t.dispose();
    same.dispose();
  }
});

test("gradient is softWeight·2(s − t)/batch under 'batchmean' (float64 reference)", () => {
  for (let seed = 1; seed <= 8; seed++) {
    const t = randomStep(seed * 13);
    const method = logitsMse({ softWeight: 0.5 });
    const grad = tf.grad((s: Tensor) => method.losses({ ...t, studentLogits: s }).logitsMse)(
      t.studentLogits,
    );
    const g = grad.arraySync() as number[][];
    grad.dispose();
    const batch = t.raw.student.length;
    t.raw.student.forEach((row, i) =>
      row.forEach((s, j) =>
        assertClose(
          g[i][j],
          (0.5 * 2 * (s - t.raw.teacher[i][j])) / batch,
          `[${i}][${j}]`,
          1e-6,
          1e-7,
        ),
      ),
    );
    t.dispose();
  }
});

test('the gradient of each term reaches the student logits (finite, non-zero)', () => {
  checkGradientReachesStudent(logitsMse, { hardWeight: 0.5 }, ['hard', 'logitsMse']);
});

test('no tensor leak, inside or outside tf.tidy', () => {
  checkNoLeak(logitsMse, { hardWeight: 0.5 });
});
