// Cached teacher outputs: same targets as the live teacher, keyed by teacher and data, no teacher
// forward passes during distillation, refused under random augmentation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tf } from '../tf.ts';
import { loadMnist, sliceSplit } from '../data/index.ts';
import { createMlp } from '../models/index.ts';
import { Distiller } from './distiller.ts';
import { kd } from './methods/index.ts';
import {
  cachedTeacherLogits,
  checkCacheAllowed,
  computeTeacherLogits,
  lookupLogits,
} from './teacher-cache.ts';
import { clearCacheEntries, listCacheEntries } from './cache-file.ts';

await tf.setBackend('cpu');
const data = await loadMnist({ trainLimit: 400, testLimit: 10, validationSize: 100 });
const shape = [28, 28, 1];
const teacher = createMlp({ inputShape: shape, hidden: [32], classes: 10, seed: 1 });

test('looked-up rows equal the teacher’s own predictions for those examples', async () => {
  const table = await computeTeacherLogits(teacher, data.train);
  const indices = Int32Array.from([5, 0, 299, 17]);
  const rows = sliceSplit(data.train, 0, data.train.count);
  const x = tf.tensor(
    Array.from(indices).flatMap((i) => Array.from(rows.x.subarray(i * 784, (i + 1) * 784))),
    [4, ...shape],
  );
  const direct = teacher.predict(x) as tf.Tensor;
  const looked = lookupLogits(table, indices);
  const diff = tf.max(tf.abs(tf.sub(direct, looked))).dataSync()[0];
  assert.ok(diff < 1e-5, `max diff ${diff}`);
  tf.dispose([x, direct, looked]);
});

test('the cache is written once, then hit; another teacher or other data misses', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'distillery-cache-'));
  const options = { dir, preprocessing: 'mnist /255' };
  const first = await cachedTeacherLogits(teacher, data.train, options);
  const second = await cachedTeacherLogits(teacher, data.train, options);
  assert.equal(first.hit, false);
  assert.equal(second.hit, true);
  assert.deepEqual(second.logits, first.logits);
  const other = createMlp({ inputShape: shape, hidden: [32], classes: 10, seed: 2 });
  assert.equal((await cachedTeacherLogits(other, data.train, options)).hit, false);
  assert.equal(
    (await cachedTeacherLogits(teacher, sliceSplit(data.train, 0, 200), options)).hit,
    false,
  );
  assert.equal(
    (await cachedTeacherLogits(teacher, data.train, { ...options, preprocessing: 'other' })).hit,
    false,
  );
  assert.equal(readdirSync(dir).filter((n) => n.endsWith('.bin')).length, 4);
});

test('distilling from the cache runs no teacher forward pass and trains like the live teacher', async () => {
  const run = async (cached: boolean) => {
    const student = createMlp({ inputShape: shape, hidden: [16], classes: 10, seed: 3 });
    let calls = 0;
    const spy = Object.create(teacher) as tf.LayersModel;
    spy.predict = (...args: Parameters<tf.LayersModel['predict']>) => {
      calls++;
      return teacher.predict(...args);
    };
    const distiller = new Distiller({
      teacher: spy,
      student,
      method: kd(),
      teacherLogits: cached ? await computeTeacherLogits(teacher, data.train) : undefined,
    });
    const result = await distiller.fit(data.train, { epochs: 2, batchSize: 50, seed: 4 });
    return { calls, loss: result.history.at(-1)!.loss };
  };
  const live = await run(false);
  const cached = await run(true);
  assert.equal(cached.calls, 0);
  assert.equal(live.calls, 12); // 300 examples / 50 per batch × 2 epochs
  assert.ok(Math.abs(live.loss - cached.loss) < 1e-4, `${live.loss} vs ${cached.loss}`);
});

test('refused under random augmentation, with the reason and the fix', async () => {
  assert.throws(() => checkCacheAllowed(2), /random ±2 px shifts.*--teacher-cache off/);
  const student = createMlp({ inputShape: shape, hidden: [16], classes: 10 });
  const distiller = new Distiller({
    teacher,
    student,
    method: kd(),
    teacherLogits: await computeTeacherLogits(teacher, data.train),
  });
  await assert.rejects(
    distiller.fit(data.train, { epochs: 1, shiftPixels: 1 }),
    /random ±1 px shifts/,
  );
  await assert.rejects(
    distiller.fit(data.validation, { epochs: 1 }),
    /cover 300 examples but the training split has 100/,
  );
});

test('a zeroed, truncated or checksum-less cache file is recomputed with a note, never trusted', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'distillery-cache-'));
  const options = { dir, preprocessing: 'mnist /255' };
  const first = await cachedTeacherLogits(teacher, data.train, options);
  const file = join(dir, `teacher-logits-${first.key}.bin`);
  const damages: [string, () => void, RegExp][] = [
    [
      'zeroed',
      () => writeFileSync(file, Buffer.alloc(readFileSync(file).byteLength)),
      /checksum does not match/,
    ],
    [
      'truncated',
      () => writeFileSync(file, readFileSync(file).subarray(0, 100)),
      /holds 100 bytes/,
    ],
    ['no sidecar', () => rmSync(`${file}.json`), /no checksum file/],
    ['damaged sidecar', () => writeFileSync(`${file}.json`, '{"vers'), /checksum file is damaged/],
  ];
  for (const [name, damage, reason] of damages) {
    damage();
    assert.match(listCacheEntries(dir)[0].status, /^corrupt: /, name);
    const again = await cachedTeacherLogits(teacher, data.train, options);
    assert.equal(again.hit, false, name);
    assert.match(again.note ?? '', reason, name);
    assert.deepEqual(again.logits, first.logits, name);
    // Rewritten: the next read is a hit again.
    assert.equal((await cachedTeacherLogits(teacher, data.train, options)).hit, true, name);
    assert.equal(listCacheEntries(dir)[0].status, 'ok', name);
  }
  assert.match(listCacheEntries(dir)[0].description ?? '', /teacher logits 300 × 10/);
  assert.deepEqual(clearCacheEntries(dir).files, 2);
  assert.deepEqual(listCacheEntries(dir), []);
});
