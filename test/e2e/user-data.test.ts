// End-to-end on a user's own data, as a user runs it: a folder of real MNIST PNG files (class
// folders) distilled with an unlabelled transfer set, and a real CSV table; bad input gives one
// line on stderr and the data / usage exit code. Tiny budgets: this checks the path, not accuracy.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadMnist } from '../../src/data/index.ts';
import { writeImageFolder } from '../../src/data/sources/testing.ts';
import type { RunResults } from '../../src/run/record.ts';

const BIN = join(import.meta.dirname, '../../bin/distillery.mjs');
const CSV = join(import.meta.dirname, '../fixtures/mnist-features.csv');
const tmp = mkdtempSync(join(tmpdir(), 'distillery-userdata-'));
const out = join(tmp, 'runs');
const photos = join(tmp, 'photos');
const unlabelled = join(tmp, 'unlabelled');

function cli(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 300_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

before(async () => {
  const mnist = await loadMnist({ trainLimit: 600, validationSize: 0, splits: ['train'] });
  await writeImageFolder(mnist, photos, { count: 300 });
  await writeImageFolder(mnist, unlabelled, { count: 300, offset: 300, layout: 'flat' });
});

const SMALL = ['--backend', 'wasm', '--teacher-epochs', '1', '--student-epochs', '1', '--out', out];

test('run --data <image folder> --transfer-set <folder>: class names, metrics, transfer set, report', () => {
  const r = cli([
    'run',
    '--data',
    photos,
    '--image-size',
    '16',
    '--channels',
    '1',
    '--teacher-arch',
    'cnn:8:16',
    '--student-arch',
    'cnn:4:8',
    '--transfer-set',
    unlabelled,
    ...SMALL,
  ]);
  assert.equal(r.code, 0, r.stderr);
  const runDir = /Results, config, metrics and models: (.*)/.exec(r.stdout)?.[1]?.trim();
  assert.ok(runDir, r.stdout);
  const results = JSON.parse(readFileSync(join(runDir, 'results.json'), 'utf8')) as RunResults;
  assert.deepEqual(results.dataset.classNames, [...'0123456789']);
  assert.equal(results.dataset.transferSet, 300);
  assert.equal(results.dataset.train + results.dataset.validation + results.dataset.test, 300);
  const output = r.stdout + r.stderr;
  assert.match(
    output,
    new RegExp(`transfer set: ${results.dataset.train} labelled \\+ 300 unlabelled`),
  );
  assert.match(output, /macro-F1/);
  for (const row of results.evaluation.rows) {
    assert.equal(row.perClass?.length, 10, row.name);
    assert.ok(row.macroF1! >= 0 && row.macroF1! <= 1);
  }
  assert.ok(existsSync(join(runDir, 'report.html')), 'report written');
  assert.match(readFileSync(join(runDir, 'report.html'), 'utf8'), /id="per-class"/);
  // Decoded once into the cache: a second load of the same folder is a hit.
  assert.ok(readdirSync(join(out, '.cache', 'image-folder')).some((f) => f.endsWith('.u8')));
  const again = cli([
    'train-teacher',
    '--data',
    photos,
    '--image-size',
    '16',
    '--channels',
    '1',
    '--teacher-arch',
    'mlp:8',
    ...SMALL.filter((a, i, all) => a !== '--student-epochs' && all[i - 1] !== '--student-epochs'),
  ]);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout + again.stderr, /300 decoded images read from the cache/);
});

test('run --data <csv> --label-column: a real table, classes from the label column', () => {
  const r = cli([
    'run',
    '--data',
    CSV,
    '--label-column',
    'digit',
    '--teacher-arch',
    'mlp:64',
    '--student-arch',
    'mlp:8',
    '--json',
    ...SMALL,
    '--teacher-epochs',
    '10', // 1,400 rows: 11 steps an epoch
  ]);
  assert.equal(r.code, 0, r.stderr);
  const results = JSON.parse(r.stdout) as RunResults;
  assert.equal(results.dataset.classNames?.length, 10);
  assert.ok(results.dataset.classNames?.includes('seven'));
  assert.equal(results.dataset.test, 400);
  assert.ok(results.summary.teacherAccuracy! > 0.3, `teacher ${results.summary.teacherAccuracy}`);
});

test('bad input on the command line: one line, the right exit code', () => {
  const noLabel = cli(['run', '--data', CSV, ...SMALL]);
  assert.equal(noLabel.code, 2, noLabel.stderr);
  assert.match(noLabel.stderr, /--label-column <name> \(columns: g00/);
  const broken = join(tmp, 'broken');
  const bad = join(broken, 'a');
  const good = join(broken, 'b');
  for (const dir of [bad, good]) spawnSync('mkdir', ['-p', dir]);
  writeFileSync(join(bad, 'x.png'), 'not a png');
  writeFileSync(
    join(good, 'y.png'),
    readFileSync(
      readdirSync(photos).map((c) => join(photos, c, readdirSync(join(photos, c))[0]))[0],
    ),
  );
  const r = cli(['run', '--data', broken, '--teacher-arch', 'mlp:8', ...SMALL]);
  assert.equal(r.code, 3, r.stderr);
  assert.match(r.stderr, /x\.png: not a readable image/);
  const errors = r.stderr.split('\n').filter((l) => l.startsWith('distillery:'));
  assert.equal(errors.length, 1, r.stderr);
});
