// soft-ce: golden values from PyTorch (scripts/golden/methods.py; tolerances in testing.ts), then
// the invariants of a soft cross-entropy: non-negative, minimal (at the teacher's entropy, not 0)
// when student = teacher, and kd's gradient (the two differ by a constant).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf, type Tensor } from '../../tf.ts';
import { softCe } from './soft-ce.ts';
import { kd } from './kd.ts';
import {
  assertClose,
  checkDefaultsAndPresets,
  checkGolden,
  checkGradientReachesStudent,
  checkNoLeak,
  randomLogits,
  randomStep,
  read,
  softmaxRows,
  stepTensors,
} from './testing.ts';

await tf.setBackend('cpu');

/** Teacher entropy −Σ p log p at temperature T, averaged over the batch (float64). */
function entropy(logits: number[][], temperature: number): number {
  const p = softmaxRows(logits, temperature);
  const total = p.flat().reduce((acc, x) => (x > 0 ? acc - x * Math.log(x) : acc), 0);
  return total / logits.length;
}

test('matches the PyTorch golden values: terms and gradient', () => {
  checkGolden('soft-ce', softCe);
});

test("defaults are kd's (the paper fixes none) and validate", () => {
  checkDefaultsAndPresets('soft-ce', softCe);
  const { temperature, hardWeight, softWeight, scaleByTemperatureSquared, reduction } =
    kd.definition.defaults;
  assert.deepEqual(softCe.definition.defaults, {
    temperature,
    hardWeight,
    softWeight,
    scaleByTemperatureSquared,
    reduction,
  });
});

test('student = teacher: the soft term is T²·softWeight·H(teacher), and any move raises it', () => {
  for (const temperature of [1, 4, 8]) {
    const params = { temperature, softWeight: 0.7 };
    const logits = randomLogits(temperature, 5, 12);
    const same = stepTensors(logits, logits, [0, 1, 2, 3, 4]);
    const moved = stepTensors(
      logits,
      logits.map((row) => row.map((x, j) => x + (j === 0 ? 0.5 : 0))),
      [0, 1, 2, 3, 4],
    );
    const atMatch = read(softCe(params).losses(same)).softCrossEntropy;
    const expected = temperature ** 2 * 0.7 * entropy(logits, temperature);
    assertClose(atMatch, expected, `T=${temperature}: value at match`);
    assert.ok(atMatch > 0, 'not zero: the entropy remains');
    const away = read(softCe(params).losses(moved)).softCrossEntropy;
    assert.ok(away > atMatch, `T=${temperature}: ${away} should exceed ${atMatch}`);
    same.dispose();
    moved.dispose();
  }
});

test('non-negative on random inputs, every reduction', () => {
  for (let seed = 1; seed <= 20; seed++) {
    const t = randomStep(seed, [0.1, 1, 5, 30][seed % 4]);
    for (const reduction of ['batchmean', 'mean', 'sum'] as const) {
      const terms = read(softCe({ reduction }).losses(t));
      assert.ok(
        terms.softCrossEntropy >= 0,
        `seed ${seed} ${reduction}: ${terms.softCrossEntropy}`,
      );
      assert.ok(terms.hard >= 0);
    }
    t.dispose();
  }
});

test("same gradient as kd's KL; the values differ by T²·softWeight·H(teacher)", () => {
  for (let seed = 1; seed <= 8; seed++) {
    const t = randomStep(seed * 7);
    const params = { temperature: [1, 2, 4, 8][seed % 4], hardWeight: 0.3, softWeight: 0.7 };
    const viaKl = kd({ ...params, softLoss: 'kl' });
    const viaCe = softCe(params);
    const gradOf = (losses: typeof viaCe.losses) => {
      const g = tf.grad((s: Tensor) => tf.addN(Object.values(losses({ ...t, studentLogits: s }))))(
        t.studentLogits,
      );
      const data = Array.from(g.dataSync());
      g.dispose();
      return data;
    };
    const gKl = gradOf(viaKl.losses);
    const gCe = gradOf(viaCe.losses);
    const max = Math.max(...gKl.map(Math.abs));
    gCe.forEach((g, i) => assertClose(g, gKl[i], `seed ${seed} grad[${i}]`, 0, 1e-6 * max + 1e-9));
    const ce = read(viaCe.losses(t)).softCrossEntropy;
    const kl = read(viaKl.losses(t)).soft;
    const expected = params.temperature ** 2 * 0.7 * entropy(t.raw.teacher, params.temperature);
    assertClose(ce - kl, expected, `seed ${seed}: difference`, 0, 1e-5 * Math.abs(ce) + 1e-6);
    t.dispose();
  }
});

test('the gradient of each term reaches the student logits (finite, non-zero)', () => {
  checkGradientReachesStudent(softCe, {}, ['hard', 'softCrossEntropy']);
});

test('no tensor leak, inside or outside tf.tidy', () => {
  checkNoLeak(softCe);
});
