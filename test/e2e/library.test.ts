// The README's library example, on a real MNIST slice: the public API reads like the paper and
// the whole flow works through `src/index.ts` alone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  Distiller,
  createMlp,
  evaluate,
  kd,
  loadMnist,
  loadModel,
  saveModel,
  selectBackend,
  tf,
  trainModel,
} from '../../src/index.ts';

test('README flow: teacher → distilled student → evaluate → save → load', async () => {
  await selectBackend('wasm');
  const data = await loadMnist({ trainLimit: 3000, testLimit: 1000, validationSize: 500 });
  const teacher = createMlp({ inputShape: [28, 28, 1], hidden: [256], classes: 10, dropout: 0.2 });
  const trained = await trainModel({
    model: teacher,
    data: data.train,
    validation: data.validation,
    epochs: 3,
    shiftPixels: 1,
  });
  assert.equal(trained.history.length, 3);

  const student = createMlp({ inputShape: [28, 28, 1], hidden: [32], classes: 10, seed: 2 });
  const distiller = new Distiller({ teacher, student, method: kd({ temperature: 4 }) });
  const epochs: number[] = [];
  await distiller.fit(data.train, {
    epochs: 4,
    validation: data.validation,
    onEpochEnd: (e) => void epochs.push(e.epoch),
  });
  assert.deepEqual(epochs, [1, 2, 3, 4]);

  const report = await evaluate({ models: { teacher, student }, data: data.test });
  const [t, s] = report.rows;
  assert.ok(t.accuracy > 0.85, `teacher accuracy ${t.accuracy}`);
  assert.ok(s.accuracy > 0.8, `student accuracy ${s.accuracy}`);
  assert.ok(s.agreement! > 0.8);
  assert.ok(t.parameters / s.parameters > 7);

  const dir = join(mkdtempSync(join(tmpdir(), 'distillery-lib-')), 'student');
  await saveModel(student, dir);
  const loaded = await loadModel(dir);
  const x = tf.randomUniform([5, 28, 28, 1]);
  const diff = tf.max(
    tf.abs(tf.sub(student.predict(x) as tf.Tensor, loaded.predict(x) as tf.Tensor)),
  );
  assert.equal(diff.dataSync()[0], 0);
});
