// at: golden values from PyTorch (scripts/golden/feature-methods.py, the official code's formula;
// tolerances in testing.ts), the attention map's invariants (zero when the maps agree whatever the
// channel counts, blind to a positive scale of the activations), gradients, leaks, parameters, and
// one distillation through a Distiller of real CNNs on MNIST.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf, type Tensor } from '../../tf.ts';
import { loadMnist, sliceSplit } from '../../data/index.ts';
import { createCnn } from '../../models/index.ts';
import { createRng } from '../../random.ts';
import { Distiller } from '../distiller.ts';
import type { StepTensors } from '../method.ts';
import { at } from './at.ts';
import {
  checkFeatureGolden,
  featureCaseStep,
  featureGolden,
  featureGradients,
  NO_FEATURES,
  assertClose,
  read,
} from './testing.ts';

await tf.setBackend('cpu');

const golden = featureGolden('at');

type Step = StepTensors & { dispose(): void };

function step(student: Tensor[], teacher: Tensor[], batch = student[0].shape[0]): Step {
  const t = {
    ...NO_FEATURES,
    studentFeatures: student,
    teacherFeatures: teacher,
    studentLogits: tf.randomNormal([batch, 10], 0, 1, 'float32', 7),
    teacherLogits: tf.randomNormal([batch, 10], 0, 1, 'float32', 8),
    labels: tf.tensor1d(
      Array.from({ length: batch }, (_, i) => i % 10),
      'int32',
    ),
  };
  return {
    ...t,
    dispose: () => tf.dispose([...student, ...teacher, t.studentLogits, t.teacherLogits, t.labels]),
  };
}

/** NHWC activations, normal, rounded to float32. */
function activations(seed: number, shape: number[], scale = 1): Tensor {
  const rng = createRng(seed);
  const size = shape.reduce((a, b) => a * b, 1);
  const normal = () => Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
  return tf.tensor(
    Array.from({ length: size }, () => Math.fround(scale * normal())),
    shape,
  );
}

test('matches the PyTorch golden values: terms and gradients (features and logits)', () => {
  checkFeatureGolden('at', at, 18);
});

test("defaults are the official code's: p 2, beta 1000, CE weight 1, no KD, both conv blocks", () => {
  const defaults = golden.entries.find((e) => e.label === 'defaults')!.params;
  assert.deepEqual(at.definition.defaults, defaults);
  assert.deepEqual(at().taps, { student: ['conv1', 'conv2'], teacher: ['conv1', 'conv2'] });
});

test('zero when the maps agree, whatever the channel counts and the teacher’s scale', () => {
  for (let seed = 1; seed <= 4; seed++) {
    const a = activations(seed, [3, 5, 5, 2]);
    const b = activations(seed + 50, [3, 3, 3, 4]);
    // Teacher channels [A, A]·3: the same mean of squares up to the factor 9.
    const t = step(
      [a, b],
      tf.tidy(() => [tf.mul(3, tf.concat([a, a], 3)), tf.mul(0.1, tf.concat([b, b, b], 3))]),
    );
    const terms = read(at({ p: [2, 4][seed % 2] }).losses(t));
    assert.ok(Math.abs(terms.attention) <= 1e-6, `seed ${seed}: ${terms.attention}`);
    t.dispose();
  }
});

test('invariant to scaling the activations by a positive constant (and non-negative)', () => {
  for (const p of [2, 3]) {
    const method = at({ p });
    const s = [activations(1, [4, 6, 6, 3]), activations(2, [4, 3, 3, 2])];
    const tt = [activations(3, [4, 6, 6, 5]), activations(4, [4, 3, 3, 6])];
    const base = step(s, tt);
    const reference = read(method.losses(base)).attention;
    assert.ok(reference > 0, `p ${p}: ${reference}`);
    for (const c of [1e-3, 0.5, 7, 1e3]) {
      const scaled = { ...base, studentFeatures: s.map((x) => tf.mul(c, x)) };
      assertClose(
        read(method.losses(scaled)).attention,
        reference,
        `p ${p}, student ×${c}`,
        1e-5,
        0,
      );
      const teacherScaled = { ...base, teacherFeatures: tt.map((x) => tf.mul(c, x)) };
      assertClose(
        read(method.losses(teacherScaled)).attention,
        reference,
        `p ${p}, teacher ×${c}`,
        1e-5,
        0,
      );
      tf.dispose([...scaled.studentFeatures, ...teacherScaled.teacherFeatures]);
    }
    base.dispose();
  }
});

test('the gradient reaches every student feature map (finite, non-zero), and CE/KD the logits', () => {
  const method = at({ softWeight: 0.5 });
  const t = step(
    [tf.relu(activations(5, [3, 4, 4, 2])), tf.relu(activations(6, [3, 2, 2, 3]))],
    [tf.relu(activations(7, [3, 4, 4, 6])), tf.relu(activations(8, [3, 2, 2, 5]))],
  );
  const features = tf.grads(
    (...xs: Tensor[]) => method.losses({ ...t, studentFeatures: xs }).attention,
  )(t.studentFeatures);
  features.forEach((g, i) => {
    const v = g.dataSync();
    assert.ok(v.every(Number.isFinite) && v.some((x) => x !== 0), `attention: feature map ${i}`);
  });
  tf.dispose(features);
  for (const term of ['hard', 'soft']) {
    const g = tf.grad((s: Tensor) => method.losses({ ...t, studentLogits: s })[term])(
      t.studentLogits,
    );
    const v = g.dataSync();
    assert.ok(v.every(Number.isFinite) && v.some((x) => x !== 0), `${term}: logits`);
    g.dispose();
  }
  t.dispose();
});

test('no tensor leak, inside or outside tf.tidy, nor from a gradient', () => {
  const method = at({ softWeight: 0.5 });
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

test('parameters: layers pair up, p ≥ 1, a comma list from the CLI, unknown keys named', () => {
  assert.throws(() => at({ studentLayers: ['conv1'] }), /teacherLayers: .*pair up/);
  assert.throws(() => at({ p: 0.5 }), /at: p:/);
  assert.throws(() => at({ studentLayers: [] }), /studentLayers/);
  assert.throws(() => at({ gamma: 1 } as never), /gamma/);
  const fromCli = at({
    studentLayers: 'conv1, conv2' as never,
    teacherLayers: 'conv2,conv1' as never,
  });
  assert.deepEqual(fromCli.taps, { student: ['conv1', 'conv2'], teacher: ['conv2', 'conv1'] });
});

test('through a Distiller: CNNs on MNIST, terms reported, teacher unchanged, loss finite', async () => {
  const data = await loadMnist({ trainLimit: 300, testLimit: 10, validationSize: 100 });
  const shape = [28, 28, 1];
  const teacher = createCnn({
    inputShape: shape,
    filters: [4, 4],
    dense: [8],
    classes: 10,
    seed: 1,
  });
  const student = createCnn({
    inputShape: shape,
    filters: [2, 2],
    dense: [8],
    classes: 10,
    seed: 2,
  });
  const distiller = new Distiller({ teacher, student, method: at() });
  assert.deepEqual(distiller.variables, {});
  const teacherBefore = teacher.getWeights().map((w) => w.dataSync().slice());
  const conv1Before = student.getLayer('conv1').getWeights()[0].dataSync().slice();
  // Two steps of 50 real digits: the cpu backend's conv gradients are slow (~0.5 s a step).
  const result = await distiller.fit(sliceSplit(data.train, 0, 100), { epochs: 1, batchSize: 50 });
  const [epoch] = result.history;
  assert.deepEqual(Object.keys(epoch.terms).sort(), ['attention', 'hard']);
  assert.ok(Number.isFinite(epoch.loss) && epoch.terms.attention > 0, JSON.stringify(epoch));
  teacher.getWeights().forEach((w, i) => assert.deepEqual(w.dataSync(), teacherBefore[i]));
  assert.notDeepEqual(student.getLayer('conv1').getWeights()[0].dataSync(), conv1Before);
  distiller.dispose();
});

test('unequal spatial sizes and non-conv layers are refused when the Distiller is built', () => {
  const shape = [28, 28, 1];
  const teacher = createCnn({ inputShape: shape, filters: [4, 4], dense: [8], classes: 10 });
  const student = createCnn({ inputShape: shape, filters: [2, 2], dense: [8], classes: 10 });
  assert.throws(
    () =>
      new Distiller({
        teacher,
        student,
        method: at({ studentLayers: ['conv1', 'conv1'], teacherLayers: ['conv1', 'conv2'] }),
      }),
    /student layer 'conv1' is 28×28 but teacher layer 'conv2' is 14×14/,
  );
  assert.throws(
    () =>
      new Distiller({
        teacher,
        student,
        method: at({ studentLayers: ['fc1'], teacherLayers: ['pool2'] }),
      }),
    /student layer 'fc1' \[8\] and teacher layer 'pool2' \[7,7,4\] must both be conv outputs/,
  );
  // Channels may differ; pooled maps pair with conv maps of the same size.
  const ok = new Distiller({
    teacher,
    student,
    method: at({ studentLayers: ['pool1', 'conv2'], teacherLayers: ['conv2', 'pool1'] }),
  });
  ok.dispose();
});
