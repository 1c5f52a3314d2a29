// The distillation step on a real MNIST slice: teacher frozen, student updated, named terms
// reported, no tensor leak, incompatible models rejected before training.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../tf.ts';
import { loadMnist } from '../data/index.ts';
import { batches } from '../data/batches.ts';
import { createMlp } from '../models/index.ts';
import { fit } from '../train/loop.ts';
import { createOptimizer } from '../train/optimizers.ts';
import { Distiller } from './distiller.ts';
import { kd } from './methods/index.ts';

await tf.setBackend('cpu');
const data = await loadMnist({ trainLimit: 600, testLimit: 10, validationSize: 100 });
const shape = [28, 28, 1];

function models() {
  const teacher = createMlp({ inputShape: shape, hidden: [64], classes: 10, seed: 1 });
  const student = createMlp({ inputShape: shape, hidden: [16], classes: 10, seed: 2 });
  return { teacher, student };
}

const snapshot = (m: tf.LayersModel) => m.getWeights().map((w) => w.dataSync().slice());

test('a distillation step leaves the teacher unchanged and updates every student weight', async () => {
  const { teacher, student } = models();
  const t0 = snapshot(teacher);
  const s0 = snapshot(student);
  const distiller = new Distiller({ teacher, student, method: kd({ temperature: 4 }) });
  await distiller.fit(data.train, { epochs: 1, batchSize: 100, seed: 3 });
  snapshot(teacher).forEach((w, i) => assert.deepEqual(w, t0[i], `teacher weight ${i} changed`));
  snapshot(student).forEach((w, i) =>
    assert.ok(
      w.some((v, j) => v !== s0[i][j]),
      `student weight ${i} did not change`,
    ),
  );
});

test('reports the method’s named terms, and their sum is the loss', async () => {
  const { teacher, student } = models();
  const distiller = new Distiller({
    teacher,
    student,
    method: kd({ hardWeight: 0.3, softWeight: 0.7 }),
  });
  const seen: Record<string, number>[] = [];
  const result = await distiller.fit(data.train, {
    epochs: 1,
    batchSize: 100,
    onBatchEnd: (info) => seen.push(info.terms),
  });
  assert.deepEqual(Object.keys(seen[0]).sort(), ['hard', 'soft']);
  const record = result.history[0];
  assert.deepEqual(Object.keys(record.terms).sort(), ['hard', 'soft']);
  assert.ok(Math.abs(record.loss - (record.terms.hard + record.terms.soft)) < 1e-9);
  assert.ok(record.terms.hard > 0 && record.terms.soft > 0);
});

test('no tensor leak: numTensors is flat across training steps', async () => {
  const { teacher, student } = models();
  const distiller = new Distiller({ teacher, student, method: kd() });
  const optimizer = createOptimizer({ name: 'adam', learningRate: 1e-3 });
  // First epoch creates the optimizer's slots; afterwards every step must be leak-free.
  const counts: number[] = [];
  await fit({
    model: student,
    step: distiller.trainStep(),
    optimizer,
    train: data.train,
    inputShape: shape,
    epochs: 3,
    batchSize: 50,
    seed: 1,
    onBatchEnd: () => counts.push(tf.memory().numTensors),
  });
  const steady = counts.slice(counts.length / 3);
  assert.equal(Math.max(...steady), Math.min(...steady), `numTensors varied: ${steady.join(',')}`);
  optimizer.dispose();
});

test('distillation moves the student towards the teacher on held-out data', async () => {
  const { teacher, student } = models();
  const distiller = new Distiller({
    teacher,
    student,
    method: kd({ hardWeight: 0, softWeight: 1 }),
  });
  const klOnValidation = () =>
    tf.tidy(() => {
      const b = batches(data.validation, { batchSize: 100, inputShape: shape }).next().value!;
      const p = tf.softmax(teacher.predict(b.x) as tf.Tensor);
      const logQ = tf.logSoftmax(student.predict(b.x) as tf.Tensor);
      return tf.sum(tf.mul(p, tf.sub(tf.log(tf.add(p, 1e-12)), logQ))).dataSync()[0];
    });
  const before = klOnValidation();
  await distiller.fit(data.train, { epochs: 3, batchSize: 50 });
  assert.ok(klOnValidation() < before * 0.7, 'KL(teacher ‖ student) did not drop by 30%');
});

test('a loss that turns NaN after the first epoch says which checkpoints are kept', async () => {
  const { teacher, student } = models();
  let calls = 0;
  // 500 training examples at batch 100: 5 steps per epoch, NaN from the first step of epoch 2.
  const late = {
    name: 'late-nan',
    params: {},
    withParams: () => late,
    losses: () => {
      const w = tf.sum(tf.square(student.trainableWeights[0].read()));
      return { broken: (++calls > 5 ? tf.mul(w, NaN) : tf.mul(w, 1e-3)) as tf.Scalar };
    },
  };
  const distiller = new Distiller({ teacher, student, method: late });
  await assert.rejects(
    distiller.fit(data.train, { epochs: 3, batchSize: 100 }),
    /loss became NaN at epoch 2, batch 1 .*checkpoints written after epochs up to 1 are kept/,
  );
});

test('a teacher and student with different class counts are rejected before training', () => {
  const teacher = createMlp({ inputShape: shape, hidden: [8], classes: 10 });
  const student = createMlp({ inputShape: shape, hidden: [8], classes: 5 });
  assert.throws(
    () => new Distiller({ teacher, student, method: kd() }),
    /teacher outputs 10 classes but student outputs 5/,
  );
});

test('a NaN loss stops training with a clear error', async () => {
  const { teacher, student } = models();
  const bad = {
    name: 'nan',
    params: {},
    withParams: () => bad,
    losses: () => ({
      broken: tf.scalar(NaN).mul(tf.sum(student.trainableWeights[0].read())) as tf.Scalar,
    }),
  };
  const distiller = new Distiller({ teacher, student, method: bad });
  await assert.rejects(
    distiller.fit(data.train, { epochs: 1, batchSize: 100 }),
    /loss became NaN at epoch 1, batch 1 .*no epoch had finished, so there is no checkpoint/,
  );
});
