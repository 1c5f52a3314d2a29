// `distillery tune` on a real MNIST slice: successive halving over temperature and weights on the
// validation split, the best config saved, and `distill --config best.json` reproducing it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TuneResults } from '../../src/tune/tune.ts';
import type { RunResults } from '../../src/run/record.ts';
import { grid, rungEpochs } from '../../src/tune/tune.ts';

const BIN = join(import.meta.dirname, '../../bin/distillery.mjs');
const out = mkdtempSync(join(tmpdir(), 'distillery-tune-'));
const DATA = [
  '--backend',
  'wasm',
  '--train-limit',
  '2000',
  '--validation-size',
  '400',
  '--out',
  out,
];

function cli(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 300_000 });
  assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

test('grid and rung schedule', () => {
  assert.equal(grid({ a: [1, 2, 3], b: [true, false] }).length, 6);
  assert.deepEqual(rungEpochs(9, 9, 3), [1, 3, 9]);
  assert.deepEqual(rungEpochs(6, 4, 3), [1, 4]);
  assert.deepEqual(rungEpochs(1, 5, 3), [5]);
});

test('tune finds a config on the validation split and distill --config reproduces it', () => {
  const teacherRun = cli([
    'train-teacher',
    ...DATA,
    '--test-limit',
    '200',
    '--teacher-arch',
    'mlp:128',
    '--teacher-epochs',
    '2',
    '--json',
  ]) as RunResults;
  const teacher = join(teacherRun.runDir, 'models', 'teacher');
  const STUDENT = ['--student-arch', 'mlp:16', '--student-epochs', '3'];
  const results = cli([
    'tune',
    ...DATA,
    ...STUDENT,
    '--teacher',
    teacher,
    '--search',
    'temperature=2,8',
    '--search',
    'hardWeight=0.3,0.7',
    '--json',
  ]) as TuneResults;
  assert.equal(results.rows.length, 4);
  assert.deepEqual(
    results.rungs.map((r) => r.epochs),
    [1, 3],
  );
  assert.equal(
    results.rows.filter((r) => r.rung === 1).length,
    2,
    'best 1/3 of 4 (rounded up) continue',
  );
  for (const row of results.rows)
    assert.equal((row.params.softWeight as number) + (row.params.hardWeight as number), 1);
  assert.ok(
    !JSON.stringify(results).includes('"test'),
    'tuning must not report anything about the test split',
  );
  const best = JSON.parse(readFileSync(results.bestConfigPath, 'utf8'));
  assert.equal(best.method.temperature, results.best.params.temperature);

  const rerun = cli([
    'distill',
    '--teacher',
    teacher,
    '--config',
    results.bestConfigPath,
    '--test-limit',
    '200',
    '--json',
  ]) as RunResults;
  const metrics = JSON.parse(readFileSync(join(rerun.runDir, 'metrics.json'), 'utf8'));
  const reproduced = Math.max(
    ...metrics.distilled.map((e: { validationAccuracy: number }) => e.validationAccuracy),
  );
  assert.equal(reproduced, results.best.validationAccuracy);
  assert.ok(readdirSync(out).some((d) => d.startsWith('tune-')));
});

test('bad search specs fail with one line', () => {
  const r = spawnSync(
    process.execPath,
    [BIN, 'tune', '--teacher', out, '--search', 'tempreature=1,2'],
    { encoding: 'utf8' },
  );
  assert.equal(r.status, 2);
  assert.match(r.stderr, /method 'kd' has no parameter 'tempreature'/);
});
