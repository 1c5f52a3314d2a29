// Up-front validation: settings that would fail (or waste) a run after stages trained are refused
// before the first step, with one line naming the setting.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tf } from '../tf.ts';
import { resolveConfig } from '../config.ts';
import { loadMnist } from '../data/index.ts';
import { createMlp } from '../models/index.ts';
import { saveModel } from '../models/io.ts';
import { checkBeforeStart, checkModels, checkMethodLoss } from './preflight.ts';

await tf.setBackend('cpu');
const data = await loadMnist({ trainLimit: 60, testLimit: 20, validationSize: 10 });
const root = mkdtempSync(join(tmpdir(), 'distillery-preflight-'));
const oneLine = (kind: string, pattern: RegExp) => (e: Error & { kind?: string }) =>
  e.kind === kind && pattern.test(e.message) && !e.message.includes('\n');

test('a schedule that leaves the parameter range at any epoch is refused before training', () => {
  const config = resolveConfig({
    student: { epochs: 3 },
    schedules: { temperature: { shape: 'linear', from: 2, to: -5 } },
  });
  assert.throws(
    () => checkBeforeStart({ config, command: 'run' }),
    oneLine('usage', /epoch 2 of 3: temperature=linear:2:-5 gives -1\.5/),
  );
  // Born-again generations train for the teacher's epochs: the budget is checked there.
  const ok = resolveConfig({
    student: { epochs: 1 },
    teacher: { epochs: 3 },
    schedules: { temperature: { shape: 'linear', from: 2, to: -5 } },
  });
  checkBeforeStart({ config: ok, command: 'run' });
  assert.throws(() => checkBeforeStart({ config: ok, command: 'born-again' }), /epoch 2 of 3/);
  checkBeforeStart({ config: ok, command: 'train-teacher' });
});

test('a temperature that makes the loss non-finite, or all-zero loss weights, are refused', () => {
  assert.throws(
    () => checkMethodLoss(resolveConfig({ method: { temperature: 1e308 } }), 'run', 10),
    oneLine('usage', /NaN 'soft' loss .*temperature 1e\+308/),
  );
  assert.throws(
    () => checkMethodLoss(resolveConfig({ method: { hardWeight: 0, softWeight: 0 } }), 'run', 10),
    oneLine('usage', /every loss term of method kd is zero/),
  );
  checkMethodLoss(resolveConfig({}), 'run', 10);
  checkMethodLoss(resolveConfig({ method: { hardWeight: 0 } }), 'run', 10);
});

test('an empty test split is refused', async () => {
  const empty = { ...data, test: { ...data.test, count: 0, x: new Float32Array(0) } };
  await assert.rejects(
    checkModels({ config: resolveConfig({}), command: 'run', data: empty as never }),
    oneLine('data', /test split of mnist is empty/),
  );
});

test('a saved student with the wrong class count is refused before the teacher trains', async () => {
  const dir = join(root, 'five-classes');
  await saveModel(createMlp({ inputShape: data.inputShape, hidden: [4], classes: 5 }), dir);
  const config = resolveConfig({ student: { arch: dir } });
  await assert.rejects(
    checkModels({ config, command: 'run', data }),
    oneLine('model', /student architecture .* outputs 5 classes but mnist has 10/),
  );
  // train-teacher never builds the student.
  await checkModels({ config, command: 'train-teacher', data });
});

test('a teacher ending in a softmax is accepted with a warning', async () => {
  const dir = join(root, 'softmax-teacher');
  const model = tf.sequential({
    layers: [
      tf.layers.flatten({ inputShape: data.inputShape }),
      tf.layers.dense({ units: 10, activation: 'softmax' }),
    ],
  });
  await saveModel(model, dir);
  const warnings = await checkModels({
    config: resolveConfig({}),
    command: 'distill',
    data,
    teacherDirs: [dir],
  });
  assert.equal(warnings.length, 1);
  assert.match(warnings[0], /ends in a softmax/);
  const wrong = join(root, 'wrong-input');
  await saveModel(createMlp({ inputShape: [14, 14, 1], hidden: [], classes: 10 }), wrong);
  await assert.rejects(
    checkModels({ config: resolveConfig({}), command: 'distill', data, teacherDirs: [wrong] }),
    oneLine('model', /takes inputs of 14×14×1 but mnist has 28×28×1/),
  );
});
