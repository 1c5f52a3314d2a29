// dist: golden values from PyTorch (scripts/golden/methods.py, the official formula; tolerances in
// testing.ts), then the invariants of a correlation loss: each relation term lies in
// [0, 2·weight·T²]; at student = teacher it is 0 up to the official ε (exactly ε/(‖a‖² + ε) per
// slice, checked in float64); a batch of one makes intra-class a constant with a zero gradient.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf, type Tensor } from '../../tf.ts';
import { dist } from './dist.ts';
import {
  assertClose,
  checkDefaultsAndPresets,
  checkGolden,
  checkGradientReachesStudent,
  checkNoLeak,
  randomStep,
  read,
  softmaxRows,
  stepTensors,
  type Matrix,
} from './testing.ts';

await tf.setBackend('cpu');

test('matches the PyTorch golden values: terms and gradient', () => {
  checkGolden('dist', dist);
});

test("defaults are the paper's ImageNet setting; the cifar100 preset its CIFAR config", () => {
  checkDefaultsAndPresets('dist', dist);
});

/** 1 − mean Pearson(a_i, a_i) over rows, with the official ε: mean of ε / (‖a_i − mean‖² + ε). */
function selfRelation(rows: Matrix): number {
  const values = rows.map((row) => {
    const mean = row.reduce((a, b) => a + b, 0) / row.length;
    const squared = row.reduce((a, b) => a + (b - mean) ** 2, 0);
    return 1e-8 / (squared + 1e-8);
  });
  return values.reduce((a, b) => a + b, 0) / values.length;
}

test('student = teacher: each relation is 0 up to the official ε (float64 reference)', () => {
  for (let seed = 1; seed <= 8; seed++) {
    const t = randomStep(seed, [1, 3][seed % 2]);
    const same = stepTensors(t.raw.teacher, t.raw.teacher, t.raw.labels);
    for (const temperature of [1, 4]) {
      const terms = read(dist({ temperature }).losses(same));
      const y = softmaxRows(t.raw.teacher, temperature);
      const columns = y[0].map((_, j) => y.map((row) => row[j]));
      const scale = 2 * temperature ** 2;
      const at = `seed ${seed}, T=${temperature}`;
      assertClose(
        terms.interClassRelation,
        scale * selfRelation(y),
        `${at}: inter`,
        0,
        1e-6 * scale,
      );
      assertClose(
        terms.intraClassRelation,
        scale * selfRelation(columns),
        `${at}: intra`,
        0,
        1e-6 * scale,
      );
    }
    t.dispose();
    same.dispose();
  }
});

test('each relation term lies in [0, 2·weight·T²] on random inputs', () => {
  for (let seed = 1; seed <= 16; seed++) {
    const t = randomStep(seed * 3, [0.1, 1, 5, 30][seed % 4]);
    const temperature = [1, 2, 4, 8][seed % 4];
    const terms = read(dist({ temperature, interWeight: 1, intraWeight: 1 }).losses(t));
    const top = 2 * temperature ** 2 * (1 + 1e-6);
    for (const term of ['interClassRelation', 'intraClassRelation']) {
      assert.ok(
        terms[term] >= -1e-6 * top && terms[term] <= top,
        `seed ${seed}: ${term} ${terms[term]}`,
      );
    }
    t.dispose();
  }
});

test('batch of one: intra-class is intraWeight·T², a constant with zero (not NaN) gradient', () => {
  const t = stepTensors([[1, 2, 0.5, -1]], [[0.3, -0.2, 2, 1]], [2]);
  const method = dist({ temperature: 2 });
  assert.equal(read(method.losses(t)).intraClassRelation, 2 * 4);
  const gradOf = (term: string) => {
    const g = tf.grad((s: Tensor) => method.losses({ ...t, studentLogits: s })[term])(
      t.studentLogits,
    );
    const data = Array.from(g.dataSync());
    g.dispose();
    return data;
  };
  assert.deepEqual(gradOf('intraClassRelation'), [0, 0, 0, 0]);
  const inter = gradOf('interClassRelation');
  assert.ok(inter.every(Number.isFinite) && inter.some((v) => v !== 0), `inter gradient ${inter}`);
  t.dispose();
});

test('the gradient of each term reaches the student logits (finite, non-zero)', () => {
  checkGradientReachesStudent(dist, {}, ['hard', 'interClassRelation', 'intraClassRelation']);
});

test('no tensor leak, inside or outside tf.tidy', () => {
  checkNoLeak(dist);
});
