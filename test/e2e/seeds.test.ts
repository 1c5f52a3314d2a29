// `--seeds` end to end on a tiny real-MNIST slice (1 epoch): one parent folder with per-seed run
// folders, the teacher trained once and reused, aggregate numbers (accuracy, macro-F1, gap closed)
// equal to the per-seed ones, the paired verdict printed, and an interrupted multi-seed job resumed from its parent folder.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunResults } from '../../src/run/record.ts';
import { parseSeeds, repeatSeeds, type SeedsResults } from '../../src/pipeline/seeds.ts';
import { pairedDifference, summarize } from '../../src/eval/seed-stats.ts';

const BIN = join(import.meta.dirname, '../../bin/distillery.mjs');
const out = mkdtempSync(join(tmpdir(), 'distillery-seeds-'));
const TINY = [
  ...['--train-limit', '600', '--validation-size', '200', '--test-limit', '300'],
  ...['--backend', 'wasm', '--teacher-arch', 'mlp:64', '--teacher-epochs', '1'],
  ...['--student-arch', 'mlp:16', '--student-epochs', '1', '--out', out],
];

function cli(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 300_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
const readJson = <T>(path: string): T => JSON.parse(readFileSync(path, 'utf8')) as T;

const first = cli(['run', ...TINY, '--seeds', '3,4']);
const dir = /aggregate\.json: (.+)$/m.exec(first.stdout)?.[1] ?? '';

test('run --seeds 3,4: per-seed folders, the teacher trained once, aggregate = per-seed numbers', () => {
  assert.equal(first.code, 0, first.stderr);
  const aggregate = readJson<SeedsResults>(join(dir, 'aggregate.json'));
  assert.deepEqual(aggregate.seeds, [3, 4]);
  const runs = [3, 4].map((s) => readJson<RunResults>(join(dir, `seed-${s}`, 'results.json')));
  assert.deepEqual(
    runs.map((r) => r.config.seed),
    [3, 4],
  );
  assert.equal(runs[0].stages.teacher!.source, 'trained');
  assert.equal(runs[1].stages.teacher!.source, 'loaded');
  assert.equal(runs[1].stages.teacher!.modelDir, join(dir, 'seed-3', 'models', 'teacher'));
  // Before each distilled stage, the teacher was measured against the scratch student.
  for (const r of runs) {
    assert.equal(r.teacherCheck!.examples, 200);
    assert.equal(
      r.teacherCheck!.teacherNotAbove,
      r.teacherCheck!.teacherValidationAccuracy <= r.teacherCheck!.scratchValidationAccuracy,
    );
    // The margin is weighed against the paired error of teacher and scratch model.
    assert.ok(r.teacherCheck!.pairedError! > 0 && r.teacherCheck!.pairedError! < 0.1);
    const margin =
      r.teacherCheck!.teacherValidationAccuracy - r.teacherCheck!.scratchValidationAccuracy;
    assert.equal(
      r.teacherCheck!.marginWithinNoise,
      margin > 0 && margin <= 2 * r.teacherCheck!.pairedError!,
    );
  }
  assert.match(
    first.stderr,
    /teacher (on validation: |is not above the scratch student|is above the scratch student on validation by only)/,
  );
  // Same teacher: identical teacher accuracy, so its std is 0.
  const teacher = aggregate.rows.find((r) => r.name === 'teacher')!;
  assert.equal(teacher.accuracy.std, 0);
  for (const name of ['scratch', 'distilled']) {
    const values = runs.map((r) => r.evaluation.rows.find((row) => row.name === name)!.accuracy);
    const row = aggregate.rows.find((r) => r.name === name)!;
    assert.deepEqual(row.accuracy, summarize(values));
  }
  const expected = pairedDifference(
    runs.map((r) => r.summary.scratchAccuracy!),
    runs.map((r) => r.summary.distilledAccuracy!),
  );
  assert.equal(aggregate.gain!.mean, expected.mean);
  assert.equal(aggregate.gain!.n, 2);
  // Macro-F1 beside accuracy: the same aggregation, its own paired gain, and the gap closed.
  const f1Of = (name: string) =>
    runs.map((r) => r.evaluation.rows.find((row) => row.name === name)!.macroF1!);
  for (const name of ['teacher', 'scratch', 'distilled'])
    assert.deepEqual(aggregate.rows.find((r) => r.name === name)!.macroF1, summarize(f1Of(name)));
  assert.equal(
    aggregate.macroF1Gain!.mean,
    pairedDifference(f1Of('scratch'), f1Of('distilled')).mean,
  );
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const [t, s, d] = ['teacher', 'scratch', 'distilled'].map((n) => mean(f1Of(n)));
  assert.equal(aggregate.gapClosed!.macroF1, t > s ? (d - s) / (t - s) : undefined);
  assert.match(first.stdout, /macro-F1 \(mean ± std\)/);
  // The printed share names the gap's size (teacher − scratch means, in points).
  const acc = (n: string) => aggregate.rows.find((r) => r.name === n)!.accuracy.mean;
  const share = aggregate.gapClosed!.accuracy;
  assert.ok(
    first.stdout.includes(
      share === undefined
        ? 'accuracy no gap (the teacher is not above scratch)'
        : `accuracy ${(100 * share).toFixed(0)}% of a ${(100 * (acc('teacher') - acc('scratch'))).toFixed(2)}-point gap`,
    ),
    first.stdout,
  );
  assert.ok(existsSync(join(dir, 'report.html')));
  const page = readFileSync(join(dir, 'report.html'), 'utf8');
  assert.ok(page.includes(aggregate.gain!.sentence), 'verdict in the report');
  assert.match(first.stdout, /test acc \(mean ± std\)\s+macro-F1 \(mean ± std\)\s+seed 3\s+seed 4/);
  assert.match(first.stdout, /2 seeds\): (within|beyond) seed noise/);
  assert.match(first.stdout, /teacher is trained once \(seed 3\) and reused for seed 4/);
});

test('an interrupted multi-seed job resumes from its parent folder', () => {
  const before = readJson<SeedsResults>(join(dir, 'aggregate.json'));
  rmSync(join(dir, 'aggregate.json'));
  rmSync(join(dir, 'seed-4', 'results.json'));
  const again = cli(['run', '--resume', dir]);
  assert.equal(again.code, 0, again.stderr);
  const after = readJson<SeedsResults>(join(dir, 'aggregate.json'));
  assert.deepEqual(after.rows, before.rows);
  assert.deepEqual(after.gain, before.gain);
  assert.match(again.stderr, /seed 3: already finished/);
});

test('--seeds and --repeats: parsing and one-line errors', () => {
  assert.deepEqual(parseSeeds('1, 2,3'), [1, 2, 3]);
  assert.deepEqual(repeatSeeds(5, 3), [5, 6, 7]);
  assert.throws(() => parseSeeds('1,x'), /non-negative integers/);
  assert.throws(() => parseSeeds('1,1'), /a seed repeats/);
  const both = cli(['run', ...TINY, '--seeds', '1,2', '--repeats', '2']);
  assert.equal(both.code, 2);
  assert.match(both.stderr, /--seeds or --repeats, not both/);
});
