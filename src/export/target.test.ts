// Export targets: the source model is never overwritten (also through a symlink to it), and a
// non-empty folder (e.g. a run's teacher) only with overwrite (--force).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tf } from '../tf.ts';
import { createMlp } from '../models/index.ts';
import { loadModel, saveModel } from '../models/io.ts';
import { sealFolder } from '../io/checksums.ts';
import { exportModel } from './export.ts';
import { checkExportTarget } from './target.ts';
import type { Dataset } from '../data/dataset.ts';

await tf.setBackend('cpu');
const root = mkdtempSync(join(tmpdir(), 'distillery-target-'));
const source = join(root, 'student');
const teacher = join(root, 'teacher');
await saveModel(createMlp({ inputShape: [2, 2, 1], hidden: [3], classes: 2, seed: 1 }), source);
await saveModel(createMlp({ inputShape: [2, 2, 1], hidden: [5], classes: 2, seed: 2 }), teacher);
const usage = (pattern: RegExp) => (e: Error & { kind?: string }) =>
  e.kind === 'usage' && pattern.test(e.message);

test('--out as a symlink to the source model is refused, even with overwrite', async () => {
  const link = join(root, 'link-to-student');
  symlinkSync(source, link);
  const before = readFileSync(join(source, 'group1-shard1of1.bin'));
  await assert.rejects(
    exportModel({ modelDir: source, outDir: link, quantize: 'uint8', overwrite: true }),
    usage(/is the model folder itself \(.*, through a symlink\)/),
  );
  assert.ok(readFileSync(join(source, 'group1-shard1of1.bin')).equals(before));
  assert.throws(
    () => checkExportTarget(join(source, 'x', '..'), root),
    usage(/contains the model/),
  );
});

test('--out inside the source model folder is refused before anything is written', async () => {
  const inside = join(source, 'uint8');
  await assert.rejects(
    exportModel({ modelDir: source, outDir: inside, quantize: 'uint8' }),
    usage(/is inside the model folder .*: choose a folder outside it/),
  );
  assert.equal(existsSync(inside), false);
  // Also through a symlink that points into it.
  const link = join(root, 'link-into-student');
  symlinkSync(source, link);
  assert.throws(
    () => checkExportTarget(source, join(link, 'deeper', 'out')),
    usage(/is inside the model folder/),
  );
});

test('a non-empty folder (another model) is refused without overwrite, replaced with it', async () => {
  const before = readFileSync(join(teacher, 'model.json'), 'utf8');
  await assert.rejects(
    exportModel({ modelDir: source, outDir: teacher, quantize: 'uint8' }),
    usage(/is not empty \(it holds a model\).*--force/),
  );
  assert.equal(readFileSync(join(teacher, 'model.json'), 'utf8'), before);
  // A run's stage model is sealed (checksums.json): the replaced folder must load, unsealed.
  sealFolder(teacher);
  await exportModel({ modelDir: source, outDir: teacher, quantize: 'uint8', overwrite: true });
  assert.notEqual(readFileSync(join(teacher, 'model.json'), 'utf8'), before);
  assert.equal(existsSync(join(teacher, 'checksums.json')), false);
  (await loadModel(teacher)).dispose();
});

test('a new or empty folder is fine; a file is not', async () => {
  mkdirSync(join(root, 'empty'));
  checkExportTarget(source, join(root, 'empty'));
  checkExportTarget(source, join(root, 'new', 'deeper'));
  writeFileSync(join(root, 'file'), 'x');
  assert.throws(() => checkExportTarget(source, join(root, 'file')), usage(/is a file/));
});

test('an empty test split is refused before anything is written (no NaN% accuracy)', async () => {
  const empty = { count: 0, x: new Float32Array(0), y: new Int32Array(0) };
  const data = { name: 'tiny', inputShape: [2, 2, 1], classes: 2, test: empty } as Dataset;
  const out = join(root, 'empty-test');
  await assert.rejects(
    exportModel({ modelDir: source, outDir: out, data }),
    (e: Error & { kind?: string }) =>
      e.kind === 'data' && /test split of tiny is empty/.test(e.message),
  );
  assert.equal(existsSync(out), false);
});
