// FitNets: the hint term against a float64 reference, the two stages switched by epoch, the
// regressor trained through the distiller, conv taps, and shape errors named.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../../tf.ts';
import { loadMnist } from '../../data/index.ts';
import { createCnn, createMlp } from '../../models/index.ts';
import { Distiller } from '../distiller.ts';
import { fitnets } from './fitnets.ts';
import { NO_FEATURES } from './testing.ts';
import { createRng } from '../../random.ts';

await tf.setBackend('cpu');
const shape = [28, 28, 1];

test('stage 1 returns the hint term: hintWeight · mean((hint − (guided·W + b))²), float64 reference', () => {
  const rng = createRng(5);
  const rand = (n: number) => Array.from({ length: n }, () => Math.fround(rng() * 2 - 1));
  const [b, ds, dt] = [3, 4, 5];
  const guided = rand(b * ds);
  const hint = rand(b * dt);
  const W = rand(ds * dt);
  const bias = rand(dt);
  let sum = 0;
  for (let i = 0; i < b; i++) {
    for (let j = 0; j < dt; j++) {
      let r = bias[j];
      for (let k = 0; k < ds; k++) r += guided[i * ds + k] * W[k * dt + j];
      sum += (hint[i * dt + j] - r) ** 2;
    }
  }
  const expected = (2.5 * sum) / (b * dt);
  const method = fitnets({ hintWeight: 2.5, hintEpochs: 1 });
  const terms = method.losses({
    ...NO_FEATURES,
    studentLogits: tf.zeros([b, 10]),
    teacherLogits: tf.zeros([b, 10]),
    labels: tf.zeros([b], 'int32'),
    studentFeatures: [tf.tensor2d(guided, [b, ds])],
    teacherFeatures: [tf.tensor2d(hint, [b, dt])],
    variables: {
      regressorKernel: tf.variable(tf.tensor2d(W, [ds, dt])),
      regressorBias: tf.variable(tf.tensor1d(bias)),
    },
  });
  assert.deepEqual(Object.keys(terms), ['hint']);
  const got = terms.hint.dataSync()[0];
  assert.ok(Math.abs(got - expected) <= 1e-5 * Math.abs(expected), `${got} vs ${expected}`);
});

test('after the hint epochs the terms are KD’s hard and soft', () => {
  const method = fitnets({ hintEpochs: 1 });
  const terms = method.losses({
    ...NO_FEATURES,
    context: { ...NO_FEATURES.context, epoch: 2 },
    studentLogits: tf.randomNormal([4, 10]),
    teacherLogits: tf.randomNormal([4, 10]),
    labels: tf.tensor1d([0, 1, 2, 3], 'int32'),
  });
  assert.deepEqual(Object.keys(terms).sort(), ['hard', 'soft']);
});

test('through the distiller: stage 1 trains the regressor and the student up to the guided layer only', async () => {
  const data = await loadMnist({ trainLimit: 300, testLimit: 10, validationSize: 100 });
  const teacher = createMlp({ inputShape: shape, hidden: [32, 32], classes: 10, seed: 1 });
  const student = createMlp({ inputShape: shape, hidden: [8], classes: 10, seed: 2 });
  const distiller = new Distiller({
    teacher,
    student,
    method: fitnets({ teacherLayer: 'fc2', hintEpochs: 1 }),
  });
  const regressor = distiller.variables.regressorKernel.dataSync().slice();
  assert.deepEqual(distiller.variables.regressorKernel.shape, [8, 32]);
  const logitsBefore = student.getLayer('logits').getWeights()[0].dataSync().slice();
  const fc1Before = student.getLayer('fc1').getWeights()[0].dataSync().slice();
  const teacherBefore = teacher.getWeights().map((w) => w.dataSync().slice());
  const stage1 = await distiller.fit(data.train, { epochs: 1, batchSize: 50 });
  assert.deepEqual(Object.keys(stage1.history[0].terms), ['hint']);
  assert.notDeepEqual(
    distiller.variables.regressorKernel.dataSync(),
    regressor,
    'regressor did not train',
  );
  assert.notDeepEqual(
    student.getLayer('fc1').getWeights()[0].dataSync(),
    fc1Before,
    'guided layer did not train',
  );
  assert.deepEqual(
    student.getLayer('logits').getWeights()[0].dataSync(),
    logitsBefore,
    'stage 1 must not train past the guided layer',
  );
  teacher.getWeights().forEach((w, i) => assert.deepEqual(w.dataSync(), teacherBefore[i]));
  const all = await distiller.fit(data.train, {
    epochs: 2,
    batchSize: 50,
    startEpoch: 1,
    history: stage1.history,
  });
  assert.deepEqual(Object.keys(all.history[1].terms).sort(), ['hard', 'soft']);
  distiller.dispose();
});

test('conv taps regress through a 1×1 convolution; mismatched shapes are named', () => {
  const teacher = createCnn({ inputShape: shape, filters: [8, 16], dense: [16], classes: 10 });
  const student = createCnn({ inputShape: shape, filters: [4, 4], dense: [8], classes: 10 });
  const d = new Distiller({
    teacher,
    student,
    method: fitnets({ studentLayer: 'conv2', teacherLayer: 'conv2' }),
  });
  assert.deepEqual(d.variables.regressorKernel.shape, [4, 16]);
  d.dispose();
  assert.throws(
    () =>
      new Distiller({
        teacher,
        student,
        method: fitnets({ studentLayer: 'conv1', teacherLayer: 'conv2' }),
      }),
    /same spatial size/,
  );
  assert.throws(
    () =>
      new Distiller({
        teacher,
        student,
        method: fitnets({ studentLayer: 'fc1', teacherLayer: 'conv2' }),
      }),
    /must both be dense/,
  );
  assert.throws(
    () => new Distiller({ teacher, student, method: fitnets({ studentLayer: 'nope' }) }),
    /has no layer 'nope' \(its layers: conv1, pool1/,
  );
});
