// The teacher-against-student check on a real MNIST slice: the teacher's validation accuracy is
// the one its predictions give, a teacher at or below the scratch student is flagged with a
// one-line note (and one above it is not), a margin within two paired errors of the scratch model
// is flagged too, and what cannot be measured is skipped, not guessed.
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

test('given the scratch model, a margin within two paired errors is flagged; a clear one is not', async () => {
  // The scratch student kept epoch 2 at the teacher's accuracy minus `margin`.
  const check = (margin: number, scratch: typeof model) =>
    checkTeacherAboveStudent({
      teacher,
      data,
      scratchHistory: history(truth - margin),
      scratchBestEpoch: 2,
      scratch,
    });
  // The same predictions as the teacher: no example where they disagree, a paired error of 0.
  const same = await check(0.02, model);
  assert.equal(same!.pairedError, 0);
  assert.equal(same!.marginWithinNoise, false);
  assert.match(same!.note, /^teacher on validation: .*paired error ±0\.00 points\)$/);
  // Another seed of the same student disagrees with the teacher on some examples.
  const other = await buildModel('mlp:32', {
    inputShape: data.inputShape,
    classes: 10,
    seed: 2,
    dropout: 0,
  });
  await trainModel({ model: other, data: data.train, epochs: 2, restoreBest: false, seed: 2 });
  const close = await check(0.005, other); // the teacher 0.5 points above
  const error = close!.pairedError!;
  assert.ok(error > 0.0025, `paired error ${error}: the two students should disagree on some rows`);
  assert.equal(close!.marginWithinNoise, true);
  assert.equal(close!.teacherNotAbove, false);
  assert.match(
    close!.note,
    /^note: the teacher is above the scratch student on validation by only 0\.50 points .*less than two paired errors/,
  );
  assert.ok(!close!.note.includes('\n'), 'one line');
  // A teacher far above: beyond the paired error.
  const far = await check(0.3, other);
  assert.equal(far!.marginWithinNoise, false);
  assert.match(far!.note, /^teacher on validation: /);
  other.dispose();
});
