// The teacher-against-student check on a real MNIST slice: the teacher's validation accuracy is
// the one its predictions give, a teacher at or below the scratch student is flagged with a
// one-line note (and one above it is not), and what cannot be measured is skipped, not guessed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../tf.ts';
import { loadDataset } from '../data/index.ts';
import { buildModel } from '../models/index.ts';
import { trainModel } from '../train/train-model.ts';
import { accuracyOf } from '../eval/metrics.ts';
import { layersTeacher } from '../teachers/layers.ts';
import type { EpochRecord } from '../train/loop.ts';
import { checkTeacherAboveStudent } from './teacher-check.ts';

await tf.setBackend('cpu');
const data = await loadDataset({
  dataset: 'mnist',
  trainLimit: 1200,
  testLimit: 10,
  validationSize: 300,
});
const model = await buildModel('mlp:32', {
  inputShape: data.inputShape,
  classes: 10,
  seed: 1,
  dropout: 0,
});
await trainModel({ model, data: data.train, epochs: 2, restoreBest: false });
const teacher = layersTeacher(model);
const truth = accuracyOf(model, data.validation, data.inputShape);
const history = (accuracy: number): EpochRecord[] => [
  { epoch: 1, terms: {}, loss: 1, validationAccuracy: 0.1, seconds: 1, samplesPerSecond: 1 },
  { epoch: 2, terms: {}, loss: 1, validationAccuracy: accuracy, seconds: 1, samplesPerSecond: 1 },
];

test('a teacher below the scratch student is flagged; its accuracy is its predictions', async () => {
  assert.ok(truth > 0.5 && truth < 0.99, `a 2-epoch mlp:32 teacher: ${truth}`);
  const check = await checkTeacherAboveStudent({
    teacher,
    data,
    scratchHistory: history(truth + 0.01),
    scratchBestEpoch: 2,
  });
  assert.ok(check);
  assert.equal(check.teacherValidationAccuracy, truth);
  assert.equal(check.scratchValidationAccuracy, truth + 0.01);
  assert.equal(check.examples, 300);
  assert.equal(check.teacherNotAbove, true);
  assert.match(check.note, /^note: the teacher is not above the scratch student on validation/);
  assert.ok(!check.note.includes('\n'), 'one line');
  // A tie counts as not above: there is nothing the teacher knows better.
  const tie = await checkTeacherAboveStudent({
    teacher,
    data,
    scratchHistory: history(truth),
    scratchBestEpoch: 2,
  });
  assert.equal(tie!.teacherNotAbove, true);
});

test('a teacher above the scratch student is not flagged; the kept epoch is the one compared', async () => {
  const check = await checkTeacherAboveStudent({
    teacher,
    data,
    scratchHistory: history(truth + 0.05),
    scratchBestEpoch: 1, // kept epoch 1 (0.1), not the last one
  });
  assert.equal(check!.scratchValidationAccuracy, 0.1);
  assert.equal(check!.teacherNotAbove, false);
  assert.match(check!.note, /^teacher on validation: /);
});

test('nothing to compare: no scratch history, an empty validation split, a stored-rows-only teacher', async () => {
  assert.equal(await checkTeacherAboveStudent({ teacher, data }), undefined);
  const noValidation = { ...data, validation: { ...data.validation, count: 0 } };
  assert.equal(
    await checkTeacherAboveStudent({
      teacher,
      data: noValidation,
      scratchHistory: history(0.5),
      scratchBestEpoch: 2,
    }),
    undefined,
  );
  const store = { ...teacher, storedRowsOnly: true };
  assert.equal(
    await checkTeacherAboveStudent({
      teacher: store,
      data,
      scratchHistory: history(0.5),
      scratchBestEpoch: 2,
    }),
    undefined,
  );
});
