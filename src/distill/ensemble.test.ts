// Ensembles of teachers: each combination rule against its formula, different architectures,
// save/load round trip, distillation from an ensemble leaves every teacher unchanged.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../tf.ts';
import { loadMnist } from '../data/index.ts';
import { createCnn, createMlp } from '../models/index.ts';
import { Distiller } from './distiller.ts';
import { kd } from './methods/index.ts';
import { combineLogits, createEnsemble } from './ensemble.ts';

await tf.setBackend('cpu');
const shape = [28, 28, 1];
const close = (a: tf.Tensor, b: tf.Tensor, tol = 1e-5) => {
  const d = tf.max(tf.abs(tf.sub(a, b))).dataSync()[0];
  assert.ok(d < tol, `max diff ${d}`);
};

test('mean-logits is the weighted mean of logits', () => {
  const a = tf.randomNormal([4, 10]);
  const b = tf.randomNormal([4, 10]);
  close(combineLogits([a, b], 'mean-logits', [0.25, 0.75]), a.mul(0.25).add(b.mul(0.75)));
});

test('mean-probs gives the weighted mean of probabilities', () => {
  const a = tf.randomNormal([4, 10]).mul(3);
  const b = tf.randomNormal([4, 10]).mul(3);
  const combined = combineLogits([a, b], 'mean-probs', [0.4, 0.6]);
  close(tf.softmax(combined), tf.softmax(a).mul(0.4).add(tf.softmax(b).mul(0.6)));
  close(tf.sum(tf.exp(combined), -1), tf.ones([4]));
});

test('confidence weights each example towards the more confident teacher', () => {
  const sure = tf.tensor2d([[10, 0, 0]]);
  const unsure = tf.tensor2d([[0, 0.1, 0]]);
  const pSure = tf.max(tf.softmax(sure)).dataSync()[0];
  const pUnsure = tf.max(tf.softmax(unsure)).dataSync()[0];
  const w = pSure / (pSure + pUnsure);
  close(
    combineLogits([sure, unsure], 'confidence', [0.5, 0.5]),
    sure.mul(w).add(unsure.mul(1 - w)),
  );
});

test('identical teachers: every rule predicts the same distribution as one teacher', () => {
  const z = tf.randomNormal([5, 10]);
  for (const rule of ['mean-logits', 'mean-probs', 'confidence'] as const) {
    close(tf.softmax(combineLogits([z, z, z], rule, [1 / 3, 1 / 3, 1 / 3])), tf.softmax(z));
  }
});

test('an ensemble of different architectures is one model computing the combined logits', () => {
  const mlp = createMlp({ inputShape: shape, hidden: [16], classes: 10, seed: 1, name: 'teacher' });
  const cnn = createCnn({
    inputShape: shape,
    filters: [4],
    dense: [8],
    classes: 10,
    seed: 2,
    name: 'teacher',
  });
  const ensemble = createEnsemble([mlp, cnn], { combine: 'mean-probs', weights: [1, 3] });
  const x = tf.randomUniform([3, ...shape]);
  const expected = combineLogits(
    [mlp.predict(x) as tf.Tensor, cnn.predict(x) as tf.Tensor],
    'mean-probs',
    [0.25, 0.75],
  );
  close(ensemble.predict(x) as tf.Tensor, expected);
  assert.equal(ensemble.trainableWeights.length, 0);
});

test('distilling from an ensemble leaves every teacher unchanged', async () => {
  const data = await loadMnist({ trainLimit: 300, testLimit: 10, validationSize: 100 });
  const teachers = [1, 2].map((seed) =>
    createMlp({ inputShape: shape, hidden: [16], classes: 10, seed }),
  );
  const before = teachers.map((t) => t.getWeights().map((w) => w.dataSync().slice()));
  const student = createMlp({ inputShape: shape, hidden: [8], classes: 10, seed: 3 });
  const distiller = new Distiller({ teacher: createEnsemble(teachers), student, method: kd() });
  const result = await distiller.fit(data.train, { epochs: 1, batchSize: 50 });
  assert.ok(Number.isFinite(result.history[0].loss));
  teachers.forEach((t, i) =>
    t.getWeights().forEach((w, j) => assert.deepEqual(w.dataSync(), before[i][j])),
  );
});

test('bad ensembles are rejected with the reason', () => {
  const a = createMlp({ inputShape: shape, hidden: [4], classes: 10 });
  const b = createMlp({ inputShape: shape, hidden: [4], classes: 3 });
  assert.throws(() => createEnsemble([a]), /at least 2 teachers/);
  assert.throws(
    () => createEnsemble([a, b]),
    /10 classes but student outputs 3|outputs 10 classes/,
  );
  const c = createMlp({ inputShape: shape, hidden: [4], classes: 10 });
  assert.throws(() => createEnsemble([a, c], { weights: [1, -1] }), /non-negative/);
  assert.throws(() => createEnsemble([a, c], { weights: [1] }), /must be 2 non-negative numbers/);
});
