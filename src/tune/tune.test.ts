// tune() as a library call on a real MNIST slice: a feature method (rkd, which taps a teacher
// layer) with the default teacher cache, the recipe's schedule spanning the full budget across
// rungs, and the budget-aware re-scoring of the top k at the full budget.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tf } from '../tf.ts';
import { resolveConfig } from '../config.ts';
import { createMlp } from '../models/index.ts';
import { saveModel } from '../models/io.ts';
import { rungEpochs, tune } from './tune.ts';

await tf.setBackend('cpu');
const out = mkdtempSync(join(tmpdir(), 'tune-lib-'));
const teacherDir = join(out, 'teacher');
const teacher = createMlp({ inputShape: [28, 28, 1], hidden: [32], classes: 10, seed: 1 });
await saveModel(teacher, teacherDir);
teacher.dispose();

const config = (method: object, epochs = 3, batchSize = 100, trainLimit = 500) =>
  resolveConfig({
    dataset: 'mnist',
    trainLimit,
    validationSize: 100,
    backend: 'cpu',
    batchSize,
    outDir: out,
    student: { arch: 'mlp:8', epochs, lrSchedule: { shape: 'cosine' } },
    method: method as never,
  });

test('rungEpochs: minRungEpochs raises the first rungs (and never exceeds the budget)', () => {
  assert.deepEqual(rungEpochs(9, 9, 3), [1, 3, 9]);
  assert.deepEqual(rungEpochs(9, 9, 3, 3), [3, 9]);
  assert.deepEqual(rungEpochs(9, 4, 3, 10), [4]);
});

test('a method that taps teacher layers tunes with the default teacher cache (auto)', async () => {
  const results = await tune({
    // Small batches: rkd's angle term is cubic in the batch size.
    config: config({ name: 'rkd' }, 1, 25, 300),
    teacherDir,
    space: { distanceWeight: [1, 25] },
    eta: 2,
  });
  assert.equal(results.rows.length, 2);
  assert.ok(results.best.validationAccuracy > 0);
});

test('finalTopK: candidates stopped by halving are re-trained for the full budget', async () => {
  const results = await tune({
    config: config({ name: 'kd' }),
    teacherDir,
    space: { temperature: [1, 4, 8] },
    eta: 3,
    finalTopK: 2,
  });
  const full = results.rows.filter((r) => r.epochs === 3);
  assert.equal(full.length, 2, 'the winner and one re-scored candidate');
  assert.equal(full.filter((r) => r.rescored).length, 1);
  assert.equal(results.best.epochs, 3);
});

test('weightAverage: a candidate continued across rungs scores as one uninterrupted run', async () => {
  // Three identical candidates: halving keeps #0 (1 → 3 epochs through two rungs), and finalTopK
  // re-trains #1 from its initialisation straight to 3 epochs. Both are the same training, so
  // only an average that is carried across the rung boundary (not restarted) gives equal scores.
  const averaged = (decay?: number) =>
    resolveConfig({
      ...config({ name: 'kd' }, 3, 25, 2000),
      validationSize: 400,
      student: { arch: 'mlp:8', epochs: 3, ...(decay ? { weightAverage: { decay } } : {}) },
    });
  const results = await tune({
    config: averaged(0.95),
    teacherDir,
    space: { temperature: [4, 4, 4] },
    eta: 3,
    finalTopK: 2,
  });
  const full = results.rows.filter((r) => r.epochs === 3);
  assert.equal(full.length, 2);
  const [continued, rescored] = [full.find((r) => !r.rescored)!, full.find((r) => r.rescored)!];
  assert.equal(continued.id, 0);
  assert.equal(continued.validationAccuracy, rescored.validationAccuracy);
  assert.ok(continued.validationAccuracy > 0.5, `learned: ${continued.validationAccuracy}`);
  // The average is what is scored: without it the same candidates score differently.
  const plain = await tune({
    config: averaged(),
    teacherDir,
    space: { temperature: [4] },
  });
  assert.notEqual(plain.best.validationAccuracy, continued.validationAccuracy);
});
