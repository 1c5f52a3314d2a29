// Run folders: race-free creation across processes, a lock against two processes in one folder
// (a dead owner's lock is taken over), removal of a failed run's folder that holds nothing worth
// resuming, and one-line errors for a damaged config.json.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  LOCK_FILE,
  createRunDir,
  lockRunDir,
  openRunDir,
  readRunRecord,
  removeIfTrivial,
  runFolderHint,
  runStamp,
} from './run-dir.ts';

const root = mkdtempSync(join(tmpdir(), 'distillery-rundir-'));

test('a name taken between the check and the mkdir (a race) moves on to the next suffix', () => {
  // A dangling symlink is what a racing process looks like to a check-then-mkdir: the name
  // seems free (existsSync is false) but mkdir fails with EEXIST.
  const out = join(root, 'race');
  mkdirSync(out);
  const now = Date.now();
  for (let s = 0; s < 3; s++)
    symlinkSync(join(root, 'nowhere'), join(out, runStamp(new Date(now + s * 1000))));
  const dir = createRunDir(out);
  assert.match(dir, /-1$/);
  assert.ok(statSync(dir).isDirectory());
});

test('a locked folder is refused to a second user; the lock is released on close', () => {
  const dir = createRunDir(join(root, 'lock'));
  const release = lockRunDir(dir);
  assert.throws(
    () => lockRunDir(dir),
    (e: Error & { kind?: string }) => e.kind === 'usage' && /in use by process \d+/.test(e.message),
  );
  release();
  assert.equal(existsSync(join(dir, LOCK_FILE)), false);
  lockRunDir(dir)();
});

test("a dead process's lock is taken over", () => {
  const dir = createRunDir(join(root, 'stale'));
  const dead = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], {
    encoding: 'utf8',
  });
  writeFileSync(join(dir, LOCK_FILE), dead.stdout.trim());
  lockRunDir(dir)();
});

test('a failed run leaves no folder holding only its config; one with checkpoints is kept', () => {
  const record = { command: 'run' as const, config: { seed: 1 } as never };
  const a = openRunDir({ outDir: join(root, 'fail'), record });
  assert.ok(existsSync(join(a.dir, 'config.json')));
  assert.deepEqual(a.close(true), { removed: true });
  assert.equal(existsSync(a.dir), false);

  const b = openRunDir({ outDir: join(root, 'fail'), record });
  mkdirSync(join(b.dir, 'checkpoints', 'teacher'), { recursive: true });
  assert.deepEqual(b.close(true), { removed: false });
  assert.ok(existsSync(join(b.dir, 'config.json')));
  assert.equal(removeIfTrivial(b.dir), false);
  // Resumed folders are never removed, and finished ones are refused.
  const c = openRunDir({ outDir: root, resumeDir: b.dir, record });
  assert.deepEqual(c.close(true), { removed: false });
  writeFileSync(join(b.dir, 'results.json'), '{}');
  assert.throws(() => openRunDir({ outDir: root, resumeDir: b.dir, record }), /already finished/);
});

test('a truncated or foreign config.json is a one-line io error', () => {
  const dir = createRunDir(join(root, 'config'));
  writeFileSync(join(dir, 'config.json'), '{"command": "run", "con');
  assert.throws(
    () => readRunRecord(dir),
    (e: Error & { kind?: string }) =>
      e.kind === 'io' && /config\.json is unreadable/.test(e.message) && !e.message.includes('\n'),
  );
  writeFileSync(join(dir, 'config.json'), '[1, 2]');
  assert.throws(() => readRunRecord(dir), /not a run record/);
});

test("a run's own config.json works as a --config file", async () => {
  const { readConfigFile, resolveConfig } = await import('../config.ts');
  const config = resolveConfig({ seed: 42, student: { epochs: 7 }, method: { temperature: 6 } });
  const run = openRunDir({ outDir: join(root, 'reuse'), record: { command: 'run', config } });
  run.close(false);
  assert.deepEqual(resolveConfig(readConfigFile(join(run.dir, 'config.json'))), config);
});

test('a run folder moved elsewhere resumes with its new parent as --out (where its cache goes)', async () => {
  const { readRunConfig } = await import('./folder.ts');
  const { resolveConfig } = await import('../config.ts');
  const config = resolveConfig({ outDir: join(root, 'gone') });
  const moved = join(root, 'moved-here', 'run');
  mkdirSync(moved, { recursive: true });
  writeFileSync(join(moved, 'config.json'), JSON.stringify({ command: 'run', config }));
  assert.equal(readRunConfig(moved).config.outDir, join(root, 'moved-here'));
  // Not moved (here a seed's folder two levels below --out): the saved --out stands.
  const stays = resolveConfig({ outDir: join(root, 'stays') });
  const dir = join(stays.outDir, 'seeds', 'seed-2');
  const run = openRunDir({ outDir: stays.outDir, dir, record: { command: 'run', config: stays } });
  run.close(false);
  assert.equal(readRunConfig(run.dir).config.outDir, join(root, 'stays'));
});

test('--out naming a file says so (not "it already exists")', () => {
  const file = join(root, 'a-file');
  writeFileSync(file, 'x');
  assert.throws(
    () => createRunDir(file),
    (e: Error & { kind?: string }) =>
      e.kind === 'io' &&
      /a-file: it is a file, not a folder; choose another --out$/.test(e.message),
  );
});

test('a run folder given where a model is expected: the error names its models', async () => {
  const { resolveTeacherKind } = await import('../teachers/load.ts');
  const run = join(root, 'given-run');
  for (const stage of ['teacher', 'distilled'])
    mkdirSync(join(run, 'models', stage), { recursive: true });
  for (const f of ['config.json', 'models/teacher/model.json', 'models/distilled/model.json'])
    writeFileSync(join(run, f), '{}');
  const hint =
    /given-run is a run folder, not a model: give one of its models \(distilled, teacher\), e\.g\. .*given-run\/models\/distilled$/;
  assert.match(runFolderHint(run) ?? '', hint);
  assert.equal(runFolderHint(join(run, 'models', 'teacher')), undefined);
  // evaluate and distill --teacher name it too (not "--teacher …: not a recognised teacher").
  await assert.rejects(resolveTeacherKind(run), (e: Error) => hint.test(e.message));
  writeFileSync(join(run, 'notes.txt'), 'x');
  await assert.rejects(
    resolveTeacherKind(join(run, 'notes.txt'), undefined, 'the model'),
    /^DistilleryError: the model .*notes\.txt: not a recognised model /,
  );
});
