// rkd: golden values from PyTorch (scripts/golden/feature-methods.py, the official code's form;
// tolerances in testing.ts), the relations' invariants (zero when the embeddings agree up to a
// similarity transform and zero padding, blind to the student's scale, non-negative), gradients,
// leaks, and one distillation through a Distiller of real MLPs on MNIST.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf, type Tensor } from '../../tf.ts';
import { loadMnist } from '../../data/index.ts';
import { createMlp } from '../../models/index.ts';
import { createRng } from '../../random.ts';
import { Distiller } from '../distiller.ts';
import type { StepTensors } from '../method.ts';
import { rkd } from './rkd.ts';
import {
  checkFeatureGolden,
  featureCaseStep,
  featureGolden,
  featureGradients,
  NO_FEATURES,
  assertClose,
  randomLogits,
  read,
  type Matrix,
} from './testing.ts';

await tf.setBackend('cpu');

const golden = featureGolden('rkd');

type Step = StepTensors & { dispose(): void };

function step(student: Tensor, teacher: Tensor, logits?: Matrix[], labels?: number[]): Step {
  const batch = student.shape[0];
  const t = {
    ...NO_FEATURES,
    studentFeatures: [student],
    teacherFeatures: [teacher],
    studentLogits: tf.tensor2d(logits?.[0] ?? randomLogits(11, batch, 10)),
    teacherLogits: tf.tensor2d(logits?.[1] ?? randomLogits(12, batch, 10)),
    labels: tf.tensor1d(labels ?? Array.from({ length: batch }, (_, i) => i % 10), 'int32'),
  };
  return {
    ...t,
    dispose: () => tf.dispose([student, teacher, t.studentLogits, t.teacherLogits, t.labels]),
  };
}

/** Normal embeddings [rows, cols], rounded to float32. */
const embeddings = (seed: number, rows: number, cols: number, scale = 1) =>
  tf.tensor2d(randomLogits(seed, rows, cols, scale));

test('matches the PyTorch golden values: terms and gradients (embedding and logits)', () => {
  checkFeatureGolden('rkd', rkd, 14);
});

test("defaults are mdistiller's: distance 25, angle 50, CE 1, the layer before the logits", () => {
  const defaults = golden.entries.find((e) => e.label === 'defaults')!.params;
  assert.deepEqual(rkd.definition.defaults, defaults);
  assert.deepEqual(rkd().taps, { student: ['-2'], teacher: ['-2'] });
});

test('zero when the student is the teacher up to scale, translation and zero padding', () => {
  for (let seed = 1; seed <= 4; seed++) {
    const teacher = embeddings(seed, 3 + seed, 5);
    // Wider student: c·teacher + b, then zeros. Distances scale by c, angles do not change.
    const student = tf.tidy(() =>
      tf.concat([tf.add(tf.mul(0.3 * seed, teacher), 2), tf.zeros([3 + seed, seed])], 1),
    );
    const t = step(student, teacher);
    const terms = read(rkd().losses(t));
    assert.ok(Math.abs(terms.distance) <= 1e-5, `seed ${seed}: distance ${terms.distance}`);
    assert.ok(Math.abs(terms.angle) <= 1e-5, `seed ${seed}: angle ${terms.angle}`);
    const same = step(teacher.clone(), teacher.clone());
    const exact = read(rkd().losses(same));
    assert.equal(exact.distance, 0);
    assert.equal(exact.angle, 0);
    same.dispose();
    t.dispose();
  }
});

test('invariant to scaling the student embedding (both terms), and non-negative', () => {
  const method = rkd({ hardWeight: 0 });
  for (let seed = 1; seed <= 6; seed++) {
    const rng = createRng(seed);
    const batch = 2 + Math.floor(rng() * 7);
    const base = step(embeddings(seed, batch, 6), embeddings(seed + 100, batch, 9, 3));
    const reference = read(method.losses(base));
    assert.ok(reference.distance >= 0 && reference.angle >= 0, JSON.stringify(reference));
    for (const c of [1e-3, 0.5, 7, 1e3]) {
      const scaled = { ...base, studentFeatures: [tf.mul(c, base.studentFeatures[0])] };
      const terms = read(method.losses(scaled));
      assertClose(terms.distance, reference.distance, `seed ${seed} ×${c}: distance`, 1e-4, 1e-6);
      assertClose(terms.angle, reference.angle, `seed ${seed} ×${c}: angle`, 1e-4, 1e-6);
      tf.dispose(scaled.studentFeatures);
    }
    base.dispose();
  }
});

test('the gradient of each term reaches the student (finite, non-zero), with equal rows too', () => {
  const method = rkd();
  for (const duplicate of [false, true]) {
    const student = tf.tidy(() => {
      const e = embeddings(7, 6, 4);
      return duplicate ? tf.concat([e.slice(0, 1), e.slice(0, 5)]) : e; // rows 0 and 1 equal
    });
    const t = step(student, embeddings(8, 6, 10));
    for (const term of ['distance', 'angle', 'hard']) {
      const onLogits = term === 'hard';
      const g = tf.grad((x: Tensor) =>
        onLogits
          ? method.losses({ ...t, studentLogits: x })[term]
          : method.losses({ ...t, studentFeatures: [x] })[term],
      )(onLogits ? t.studentLogits : student);
      const v = g.dataSync();
      g.dispose();
      assert.ok(v.every(Number.isFinite), `${term} (equal rows ${duplicate}): not finite`);
      assert.ok(
        v.some((x) => x !== 0),
        `${term} (equal rows ${duplicate}): zero`,
      );
    }
    t.dispose();
  }
});

test('no tensor leak, inside or outside tf.tidy, nor from a gradient', () => {
  const method = rkd();
  const t = featureCaseStep(golden.cases[0]);
  const before = tf.memory().numTensors;
  tf.tidy(() => {
    method.losses(t);
  });
  assert.equal(tf.memory().numTensors, before, 'inside tf.tidy');
  const terms = method.losses(t);
  assert.equal(tf.memory().numTensors, before + 3, 'outside tf.tidy: only the terms remain');
  tf.dispose(Object.values(terms));
  featureGradients(method, t);
  assert.equal(tf.memory().numTensors, before, 'after a gradient');
  t.dispose();
});

test('through a Distiller: MLPs on MNIST, terms reported, teacher unchanged, loss finite', async () => {
  const data = await loadMnist({ trainLimit: 300, testLimit: 10, validationSize: 100 });
  const shape = [28, 28, 1];
  // '-2' taps fc2 [16] of the teacher and fc1 [8] of the student: different embedding sizes.
  const teacher = createMlp({ inputShape: shape, hidden: [32, 16], classes: 10, seed: 1 });
  const student = createMlp({ inputShape: shape, hidden: [8], classes: 10, seed: 2 });
  const distiller = new Distiller({ teacher, student, method: rkd() });
  assert.deepEqual(distiller.variables, {});
  const teacherBefore = teacher.getWeights().map((w) => w.dataSync().slice());
  const fc1Before = student.getLayer('fc1').getWeights()[0].dataSync().slice();
  const result = await distiller.fit(data.train, { epochs: 1, batchSize: 50 });
  const [epoch] = result.history;
  assert.deepEqual(Object.keys(epoch.terms).sort(), ['angle', 'distance', 'hard']);
  assert.ok(Number.isFinite(epoch.loss), JSON.stringify(epoch));
  assert.ok(epoch.terms.distance > 0 && epoch.terms.angle > 0, JSON.stringify(epoch.terms));
  teacher.getWeights().forEach((w, i) => assert.deepEqual(w.dataSync(), teacherBefore[i]));
  assert.notDeepEqual(student.getLayer('fc1').getWeights()[0].dataSync(), fc1Before);
  distiller.dispose();
});
