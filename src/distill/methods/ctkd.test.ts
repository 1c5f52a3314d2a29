// CTKD: the curriculum, the reversed gradient to the temperature, the temperature's range, the
// KD terms against kd's at the same temperature, and learning through a Distiller.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../../tf.ts';
import { loadMnist } from '../../data/index.ts';
import { createMlp } from '../../models/index.ts';
import { Distiller } from '../distiller.ts';
import { ctkd, gradientReversal, learnedTemperature, reversalStrength } from './ctkd.ts';
import { kd } from './kd.ts';
import { NO_FEATURES } from './testing.ts';

await tf.setBackend('cpu');
const p = ctkd.definition.defaults;

test('reversal strength rises by a cosine from 0 to its maximum over the curriculum', () => {
  assert.equal(reversalStrength(1, p), 0);
  assert.ok(Math.abs(reversalStrength(6, p) - 0.5) < 1e-12);
  assert.equal(reversalStrength(11, p), 1);
  assert.equal(reversalStrength(50, p), 1);
  assert.ok(reversalStrength(3, p) < reversalStrength(4, p));
});

test('gradient reversal: identity forward, gradient × −λ backward', () => {
  const x = tf.tensor1d([1, -2, 3]);
  assert.deepEqual(Array.from(gradientReversal(x, 0.7).dataSync()), [1, -2, 3]);
  const g = tf.grad((v: tf.Tensor) =>
    tf.sum(tf.mul(gradientReversal(v, 0.7), tf.tensor1d([1, 2, 3]))),
  )(x);
  const got = Array.from(g.dataSync());
  [-0.7, -1.4, -2.1].forEach((want, i) => assert.ok(Math.abs(got[i] - want) < 1e-6));
});

test('the temperature stays within [tStart, tStart + tRange] and starts at the middle', () => {
  for (const theta of [-50, -1, 0, 1, 50]) {
    const t = learnedTemperature(tf.scalar(theta), 1, p).dataSync()[0];
    assert.ok(t >= p.tStart && t <= p.tStart + p.tRange, `${theta} → ${t}`);
  }
  assert.equal(learnedTemperature(tf.scalar(0), 1, p).dataSync()[0], 11);
});

test('terms equal kd’s at the current temperature; the temperature ascends the loss', () => {
  const teacherLogits = tf.randomNormal([6, 10], 0, 3);
  const studentLogits = tf.randomNormal([6, 10], 0, 3);
  const labels = tf.tensor1d([0, 1, 2, 3, 4, 5], 'int32');
  const theta = tf.variable(tf.scalar(0.3));
  const step = {
    ...NO_FEATURES,
    teacherLogits,
    studentLogits,
    labels,
    variables: { temperatureLogit: theta },
  };
  const T = 1 + 20 / (1 + Math.exp(-0.3));
  const mine = ctkd().losses({ ...step, context: { ...NO_FEATURES.context, epoch: 20 } });
  const reference = kd({ temperature: T, hardWeight: 0.1, softWeight: 0.9 }).losses(step);
  for (const k of ['hard', 'soft']) {
    const a = mine[k].dataSync()[0];
    const b = reference[k].dataSync()[0];
    assert.ok(Math.abs(a - b) <= 1e-4 * Math.abs(b), `${k}: ${a} vs ${b}`);
  }
  // d loss/dθ through the reversal has the opposite sign of the plain derivative.
  const lossAt = (epoch: number) => () =>
    tf.addN(
      Object.values(ctkd().losses({ ...step, context: { ...NO_FEATURES.context, epoch } })),
    ) as tf.Scalar;
  const reversed = tf.variableGrads(lossAt(20), [theta]).grads[theta.name].dataSync()[0];
  const plain = tf
    .grad((th: tf.Tensor) => {
      const Tt = tf.add(1, tf.mul(20, tf.sigmoid(th)));
      const logP = tf.logSoftmax(tf.div(teacherLogits, Tt));
      const logQ = tf.logSoftmax(tf.div(studentLogits, Tt));
      return tf.mul(
        tf.mul(0.9, tf.square(Tt)),
        tf.div(tf.sum(tf.mul(tf.exp(logP), tf.sub(logP, logQ))), 6),
      );
    })(tf.scalar(0.3))
    .dataSync()[0];
  assert.ok(Math.abs(reversed + plain) <= 1e-4 * Math.abs(plain), `${reversed} vs −${plain}`);
  const atStart = tf.variableGrads(lossAt(1), [theta]).grads[theta.name].dataSync()[0];
  assert.equal(atStart, -0, 'λ = 0 in the first epoch: the temperature does not move');
});

test('through a Distiller the temperature variable is trained with the student', async () => {
  const data = await loadMnist({ trainLimit: 300, testLimit: 10, validationSize: 100 });
  const teacher = createMlp({ inputShape: [28, 28, 1], hidden: [16], classes: 10, seed: 1 });
  const student = createMlp({ inputShape: [28, 28, 1], hidden: [8], classes: 10, seed: 2 });
  const distiller = new Distiller({ teacher, student, method: ctkd({ curriculumEpochs: 1 }) });
  const result = await distiller.fit(data.train, { epochs: 3, batchSize: 50 });
  assert.ok(result.history.every((r) => Number.isFinite(r.loss)));
  assert.notEqual(distiller.variables.temperatureLogit.dataSync()[0], 0);
  distiller.dispose();
});

test('the learned temperature is logged per epoch as a metric, never summed into the loss', async () => {
  const data = await loadMnist({ trainLimit: 300, testLimit: 10, validationSize: 100 });
  const teacher = createMlp({ inputShape: [28, 28, 1], hidden: [16], classes: 10, seed: 1 });
  const student = createMlp({ inputShape: [28, 28, 1], hidden: [8], classes: 10, seed: 2 });
  const distiller = new Distiller({ teacher, student, method: ctkd({ curriculumEpochs: 1 }) });
  const { history } = await distiller.fit(data.train, { epochs: 2, batchSize: 50 });
  for (const r of history) {
    const t = r.metrics?.temperature;
    assert.ok(t !== undefined && t > 1 && t < 21, `temperature ${t} within [1, 21]`);
    assert.deepEqual(Object.keys(r.terms).sort(), ['hard', 'soft']);
    assert.ok(Math.abs(r.loss - (r.terms.hard + r.terms.soft)) < 1e-9);
  }
  assert.notEqual(history[0].metrics!.temperature, history[1].metrics!.temperature);
  // The last epoch's mean is near the final value of the variable.
  const final = 1 + 20 / (1 + Math.exp(-distiller.variables.temperatureLogit.dataSync()[0]));
  assert.ok(Math.abs(history[1].metrics!.temperature - final) < 0.5);
  distiller.dispose();
});
