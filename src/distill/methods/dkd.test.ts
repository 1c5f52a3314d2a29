// dkd: golden values from PyTorch (scripts/golden/methods.py, which cross-checks mdistiller's own
// form; tolerances in testing.ts), then the paper's invariants: both terms are KLs (≥ 0, zero when
// student = teacher) and they recompose KD: KL = TCKD + (1 − p_target)·NCKD for each sample.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf, type Tensor } from '../../tf.ts';
import { klDiv } from '../../losses/index.ts';
import { dkd } from './dkd.ts';
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
} from './testing.ts';

await tf.setBackend('cpu');

test('matches the PyTorch golden values: terms and gradient', () => {
  checkGolden('dkd', dkd);
});

test("defaults are mdistiller's CIFAR-100 ones; the imagenet preset its ImageNet config", () => {
  checkDefaultsAndPresets('dkd', dkd);
});

test('both KD terms are zero when student = teacher and non-negative otherwise', () => {
  for (let seed = 1; seed <= 12; seed++) {
    const t = randomStep(seed, [0.1, 1, 5, 30][seed % 4]);
    const same = stepTensors(t.raw.teacher, t.raw.teacher, t.raw.labels);
    for (const temperature of [1, 4]) {
      const method = dkd({ temperature });
      const atMatch = read(method.losses(same));
      const apart = read(method.losses(t));
      const scale = 8 * temperature ** 2; // the largest weight times T²
      for (const term of ['targetClassKd', 'nonTargetClassKd']) {
        assert.ok(
          Math.abs(atMatch[term]) <= 1e-6 * scale,
          `seed ${seed}: ${term} ${atMatch[term]}`,
        );
        assert.ok(apart[term] >= -1e-6 * scale, `seed ${seed}: ${term} ${apart[term]} < 0`);
      }
    }
    t.dispose();
    same.dispose();
  }
});

test('recomposes KD per sample: KL = TCKD + (1 − p_target)·NCKD (paper, §3.1)', () => {
  for (let seed = 1; seed <= 6; seed++) {
    const t = randomStep(seed * 31);
    const temperature = [1, 2, 4][seed % 3];
    const method = dkd({ temperature, hardWeight: 0, targetWeight: 1, nonTargetWeight: 1 });
    t.raw.teacher.forEach((teacherRow, i) => {
      const label = t.raw.labels[i];
      const one = stepTensors([teacherRow], [t.raw.student[i]], [label]);
      const terms = read(method.losses(one));
      const kl = klDiv(one.teacherLogits, one.studentLogits, { temperature });
      const klValue = kl.dataSync()[0] * temperature ** 2;
      kl.dispose();
      const pTarget = softmaxRows([teacherRow], temperature)[0][label];
      const recomposed = terms.targetClassKd + (1 - pTarget) * terms.nonTargetClassKd;
      assertClose(recomposed, klValue, `seed ${seed} row ${i}`, 1e-5, 1e-6 * temperature ** 2);
      one.dispose();
    });
    t.dispose();
  }
});

test('finite terms and gradients for huge logits (±1e4) and for 2 classes (NCKD is 0)', () => {
  const huge = randomStep(5, 1e4);
  const twoClasses = stepTensors(
    [
      [3, -1],
      [0.5, 2],
    ],
    [
      [1, 1],
      [-2, 4],
    ],
    [0, 1],
  );
  for (const t of [huge, twoClasses]) {
    const method = dkd({ temperature: 1 });
    const terms = read(method.losses(t));
    assert.ok(Object.values(terms).every(Number.isFinite), JSON.stringify(terms));
    const grad = tf.grad((s: Tensor) =>
      tf.addN(Object.values(method.losses({ ...t, studentLogits: s }))),
    )(t.studentLogits);
    assert.ok(grad.dataSync().every(Number.isFinite), 'gradient finite');
    grad.dispose();
    if (t === twoClasses) assert.equal(terms.nonTargetClassKd, 0);
    t.dispose();
  }
});

test('the gradient of each term reaches the student logits (finite, non-zero)', () => {
  checkGradientReachesStudent(dkd, {}, ['hard', 'targetClassKd', 'nonTargetClassKd']);
});

test('no tensor leak, inside or outside tf.tidy', () => {
  checkNoLeak(dkd);
});

test("warm-up: the KD terms scale by min(epoch / warmupEpochs, 1), mdistiller's factor; hard does not", () => {
  const step = randomStep(7);
  const at = (epoch: number) =>
    read(dkd({ warmupEpochs: 4 }).losses({ ...step, context: { ...step.context, epoch } }));
  const [e2, e4, e9] = [at(2), at(4), at(9)];
  assert.ok(Math.abs(e2.targetClassKd - e4.targetClassKd / 2) < 1e-6);
  assert.ok(Math.abs(e2.nonTargetClassKd - e4.nonTargetClassKd / 2) < 1e-6);
  assert.equal(e2.hard, e4.hard);
  assert.deepEqual(e9, e4, 'full weight after the warm-up');
  const metric = dkd({ warmupEpochs: 4 }).metrics!({
    variables: {},
    context: { ...step.context, epoch: 3 },
  });
  assert.equal(metric.warmup.dataSync()[0], 0.75);
  tf.dispose(Object.values(metric));
});
