// The Teacher contract through its simplest kind: an async function. Distilling from a function
// that wraps a LayersModel must train exactly like distilling from the model itself (the
// asynchronous prepare path equals the synchronous one), and bad outputs are refused by shape.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../tf.ts';
import { loadMnist } from '../data/index.ts';
import { createMlp } from '../models/index.ts';
import { Distiller, type DistillerOptions } from '../distill/distiller.ts';
import { kd } from '../distill/methods/index.ts';
import { ensembleTeacher } from '../distill/ensemble.ts';
import { functionTeacher } from './function.ts';
import { layersTeacher } from './layers.ts';

await tf.setBackend('cpu');
const data = await loadMnist({ trainLimit: 300, testLimit: 10, validationSize: 100 });
const shape = [28, 28, 1];
const teacher = createMlp({ inputShape: shape, hidden: [32], classes: 10, seed: 1 });

const distil = async (t: DistillerOptions['teacher']) => {
  const student = createMlp({ inputShape: shape, hidden: [16], classes: 10, seed: 3 });
  const result = await new Distiller({ teacher: t, student, method: kd() }).fit(data.train, {
    epochs: 1,
    batchSize: 50,
    seed: 4,
  });
  const weights = student.getWeights().map((w) => Array.from(w.dataSync()));
  student.dispose();
  return { loss: result.history[0].loss, weights };
};

test('an async function teacher trains exactly like the Layers model it wraps', async () => {
  const direct = await distil(teacher);
  const wrapped = await distil(
    functionTeacher(async (x) => teacher.predict(x) as tf.Tensor, { classes: 10, id: 'mlp' }),
  );
  assert.equal(wrapped.loss, direct.loss);
  assert.deepEqual(wrapped.weights, direct.weights);
});

test('wrong output shapes and non-finite logits are refused with the shapes named', async () => {
  const x = tf.zeros([4, ...shape]);
  const narrow = functionTeacher(() => tf.zeros([4, 9]), { classes: 10 });
  await assert.rejects(narrow.logits(x), /shape 4×9 for a batch of 4: expected 4×10/);
  const nan = functionTeacher(() => tf.fill([4, 10], NaN), { classes: 10 });
  await assert.rejects(nan.logits(x), /non-finite logit \(NaN\) at row 0/);
  const anonymous = functionTeacher(() => tf.zeros([4, 10]), { classes: 10 });
  await assert.rejects(anonymous.identity(), /pass \{ id \}/);
  x.dispose();
});

test('an ensemble of teachers of different kinds averages their logits without leaking', async () => {
  const other = createMlp({ inputShape: shape, hidden: [8], classes: 10, seed: 2 });
  const ensemble = ensembleTeacher(
    [
      layersTeacher(teacher),
      functionTeacher((x) => other.predict(x) as tf.Tensor, { classes: 10 }),
    ],
    { combine: 'mean-logits' },
  );
  const x = tf.randomUniform([5, ...shape], 0, 1, 'float32', 7);
  const before = tf.memory().numTensors;
  const z = await ensemble.logits(x);
  assert.equal(tf.memory().numTensors, before + 1);
  const expected = tf.tidy(() =>
    tf.div(tf.add(teacher.predict(x) as tf.Tensor, other.predict(x) as tf.Tensor), 2),
  );
  const diff = tf.max(tf.abs(tf.sub(z, expected))).dataSync()[0];
  assert.ok(diff < 1e-6, `max diff ${diff}`);
  tf.dispose([x, z, expected]);
  other.dispose();
});
