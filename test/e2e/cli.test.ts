// End-to-end: the `distillery` CLI on a real MNIST slice, as a user runs it. Asserts exit codes,
// the results.json schema, saved models that load back and predict the same, repeatability with
// a seed, resume after a kill, and one-line errors for bad input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { selectBackend } from '../../src/backend/index.ts';
import { loadMnist } from '../../src/data/index.ts';
import { loadModel } from '../../src/models/io.ts';
import { evaluate } from '../../src/eval/evaluate.ts';
import type { RunResults } from '../../src/run/record.ts';

const BIN = join(import.meta.dirname, '../../bin/distillery.mjs');
const out = mkdtempSync(join(tmpdir(), 'distillery-e2e-'));
const SLICE = ['--train-limit', '2000', '--test-limit', '1000', '--validation-size', '500'];
const FAST = [
  ...SLICE,
  '--backend',
  'wasm',
  '--teacher-arch',
  'mlp:256-256',
  '--teacher-epochs',
  '2',
  '--student-arch',
  'mlp:32',
  '--student-epochs',
  '3',
  '--out',
  out,
];

function cli(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 300_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function runJson(args: string[]): RunResults {
  const r = cli(args);
  assert.equal(r.code, 0, `exit ${r.code}: ${r.stderr}`);
  assert.ok(
    !/Hi, looks like|tfjs-node/.test(r.stdout + r.stderr),
    'the tfjs Node banner was printed',
  );
  return JSON.parse(r.stdout); // --json: stdout is exactly one JSON document
}

const first = runJson(['run', ...FAST, '--seed', '7', '--json']);

test('run writes results.json, config, metrics and three loadable models', () => {
  const dir = first.runDir;
  for (const f of ['results.json', 'config.json', 'metrics.json'])
    assert.ok(existsSync(join(dir, f)), f);
  const saved = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as RunResults;
  assert.deepEqual(saved.summary, first.summary);
  assert.equal(saved.config.seed, 7);
  assert.equal(saved.backend.name, 'wasm');
  assert.deepEqual(
    saved.evaluation.rows.map((r) => r.name),
    ['teacher', 'scratch', 'distilled'],
  );
  for (const row of saved.evaluation.rows) {
    assert.equal(row.examples, 1000);
    assert.equal(row.errors, Math.round((1 - row.accuracy) * 1000));
    assert.ok(row.parameters > 0 && row.weightBytes === row.parameters * 4);
    assert.ok(row.latencyBatch1Ms! > 0 && row.latencyBatch256MsPerExample! > 0);
    assert.ok(row.agreement! >= 0 && row.agreement! <= 1);
  }
  assert.ok(saved.summary.compression! > 10, 'student must be >10× smaller');
  assert.ok(
    saved.summary.distilledAccuracy! > 0.6,
    `distilled accuracy ${saved.summary.distilledAccuracy} is near chance`,
  );
  const metrics = JSON.parse(readFileSync(join(dir, 'metrics.json'), 'utf8'));
  assert.equal(metrics.teacher.length, 2);
  assert.equal(metrics.distilled.length, 3);
  assert.ok('soft' in metrics.distilled[0].terms && 'hard' in metrics.distilled[0].terms);
  assert.ok(
    !existsSync(join(dir, 'checkpoints', 'distilled', 'state.json')),
    'checkpoints not cleaned up',
  );
});

test('saved models load back and predict exactly what the run measured', async () => {
  await selectBackend('wasm');
  const data = await loadMnist({ trainLimit: 2000, testLimit: 1000, validationSize: 500 });
  const models = Object.fromEntries(
    await Promise.all(
      ['teacher', 'scratch', 'distilled'].map(
        async (n) => [n, await loadModel(join(first.runDir, 'models', n))] as const,
      ),
    ),
  );
  const again = await evaluate({ models, data: data.test, latency: false });
  for (const row of again.rows) {
    const original = first.evaluation.rows.find((r) => r.name === row.name)!;
    assert.equal(row.errors, original.errors, row.name);
    assert.equal(row.agreement, original.agreement, row.name);
  }
});

test('the same seed repeats the same numbers', () => {
  const second = runJson(['run', ...FAST, '--seed', '7', '--json']);
  assert.deepEqual(
    second.evaluation.rows.map((r) => [r.name, r.errors, r.agreement]),
    first.evaluation.rows.map((r) => [r.name, r.errors, r.agreement]),
  );
});

test('distill --teacher reuses a saved teacher and evaluate reads a saved model', () => {
  const teacherDir = join(first.runDir, 'models', 'teacher');
  const distilled = runJson([
    'distill',
    ...FAST.filter(
      (_, i) => !['--teacher-arch', 'mlp:256-256', '--teacher-epochs', '2'].includes(FAST[i]),
    ),
    '--teacher',
    teacherDir,
    '--seed',
    '7',
    '--json',
  ]);
  assert.equal(distilled.stages.teacher?.source, 'loaded');
  // Same teacher, seed and settings as the first run: the same students.
  assert.equal(distilled.summary.distilledAccuracy, first.summary.distilledAccuracy);
  const ev = cli([
    'evaluate',
    join(first.runDir, 'models', 'distilled'),
    '--test-limit',
    '1000',
    '--backend',
    'wasm',
    '--json',
  ]);
  assert.equal(ev.code, 0, ev.stderr);
  assert.equal(JSON.parse(ev.stdout).rows[0].accuracy, first.summary.distilledAccuracy);
});

test('a run killed mid-training resumes from its checkpoint and finishes with the same numbers', async () => {
  const args = ['run', ...FAST, '--seed', '7', '--json'];
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  // Kill it once the scratch student has checkpointed its first epoch.
  const runDir = await new Promise<string>((resolve, reject) => {
    const timer = setInterval(() => {
      for (const d of listRuns()) {
        if (
          existsSync(join(d, 'checkpoints', 'scratch', 'state.json')) &&
          !existsSync(join(d, 'results.json'))
        ) {
          clearInterval(timer);
          child.kill('SIGKILL');
          resolve(d);
        }
      }
    }, 20);
    child.on('exit', () => {
      clearInterval(timer);
      reject(new Error(`run ended before it could be killed: ${stderr}`));
    });
  });
  await new Promise((r) => child.once('close', r));
  assert.ok(!existsSync(join(runDir, 'results.json')));
  const resumed = runJson(['run', '--resume', runDir, '--json']);
  assert.equal(resumed.stages.teacher?.source, 'loaded');
  assert.equal(resumed.stages.scratch?.source, 'resumed');
  assert.deepEqual(
    resumed.evaluation.rows.map((r) => [r.name, r.errors]),
    first.evaluation.rows.map((r) => [r.name, r.errors]),
  );
  // A finished run is never overwritten.
  const again = cli(['run', '--resume', runDir]);
  assert.equal(again.code, 2);
  assert.match(again.stderr, /already finished/);
});

function listRuns(): string[] {
  return spawnSync('ls', [out], { encoding: 'utf8' })
    .stdout.split('\n')
    .filter(Boolean)
    .map((n) => join(out, n));
}

test('bad input: one-line errors and distinct exit codes', () => {
  const cases: [string[], number, RegExp][] = [
    [['run', '--dataset', 'cifar'], 2, /dataset: got "cifar", allowed: "mnist", "fashion-mnist"/],
    [['run', '--teacher-epochs', 'two'], 2, /expected an integer/],
    [
      ['run', '--param', 'reduction=avg'],
      2,
      /method\.reduction: got "avg", allowed: "batchmean", "mean", "sum"/,
    ],
    [['distill'], 2, /distill needs --teacher/],
    [['run', '--bogus'], 2, /unknown option '--bogus'/],
    // A count of 0 is a usage error in every command, before any data is read.
    [
      ['run', '--test-limit', '0'],
      2,
      /'--test-limit <n>' argument '0' is invalid\. expected a whole number >= 1/,
    ],
    [['evaluate', join(out, 'nope'), '--test-limit', '0'], 2, /expected a whole number >= 1/],
    [['run', '--train-limit', '-5'], 2, /'--train-limit <n>' argument '-5' is invalid/],
    [['run', '--kd.temperature', '0'], 2, /method\.temperature: Too small/],
    [['run', '--dkd.beta', '8'], 2, /sets a parameter of method 'dkd', but the method is 'kd'/],
    [['evaluate', join(out, 'nope')], 4, /no model at .*model\.json is missing/],
    [['run', '--resume', join(out, 'nope')], 2, /no config\.json there/],
  ];
  for (const [args, code, message] of cases) {
    const r = cli(args);
    assert.equal(r.code, code, `${args.join(' ')}: exit ${r.code}, ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.equal(
      r.stderr
        .trim()
        .split('\n')
        .filter((l) => !l.startsWith('(run with')).length,
      1,
      r.stderr,
    );
  }
});

test('--help lists every command and its options', () => {
  const r = cli(['--help']);
  assert.equal(r.code, 0);
  for (const c of ['run', 'train-teacher', 'distill', 'evaluate'])
    assert.match(r.stdout, new RegExp(`\\b${c}\\b`));
  const sub = cli(['run', '--help']);
  assert.match(sub.stdout, /--temperature <x>/);
  assert.match(sub.stdout, /--<method>\.<param> <value>/);
});

test('distill from an ensemble of two saved teachers', () => {
  const teacherOnly = FAST.filter(
    (_, i) => !['--student-arch', 'mlp:32', '--student-epochs', '3'].includes(FAST[i]),
  );
  const other = runJson([
    'train-teacher',
    ...teacherOnly,
    '--teacher-arch',
    'mlp:128',
    '--seed',
    '8',
    '--json',
  ]);
  const teachers = [
    join(first.runDir, 'models', 'teacher'),
    join(other.runDir, 'models', 'teacher'),
  ];
  const student = FAST.filter(
    (_, i) => !['--teacher-arch', 'mlp:256-256', '--teacher-epochs', '2'].includes(FAST[i]),
  );
  const result = runJson([
    'distill',
    ...student,
    '--teacher',
    teachers[0],
    '--teacher',
    teachers[1],
    '--ensemble',
    'mean-probs',
    '--teacher-weights',
    '2,1',
    '--json',
  ]);
  assert.deepEqual(result.config.ensemble, { combine: 'mean-probs', weights: [2, 1] });
  assert.deepEqual(
    result.evaluation.rows.map((r) => r.name),
    ['teacher', 'scratch', 'distilled', 'teacher 1', 'teacher 2'],
  );
  const [ensemble, , , t1] = result.evaluation.rows;
  assert.equal(t1.errors, first.evaluation.rows[0].errors, 'member 1 is the first run’s teacher');
  assert.equal(ensemble.parameters, t1.parameters + result.evaluation.rows[4].parameters);
});

test('born-again: generations of the teacher’s architecture, each distilled from the last', () => {
  const result = runJson([
    'born-again',
    ...SLICE,
    '--backend',
    'wasm',
    '--teacher-arch',
    'mlp:64',
    '--teacher-epochs',
    '2',
    '--generations',
    '2',
    '--out',
    out,
    '--json',
  ]);
  assert.deepEqual(
    result.evaluation.rows.map((r) => r.name),
    ['teacher', 'generation-1', 'generation-2', 'ensemble of generations'],
  );
  const [teacher, g1, g2, ensemble] = result.evaluation.rows;
  assert.equal(g1.parameters, teacher.parameters);
  assert.equal(g2.parameters, teacher.parameters);
  assert.equal(ensemble.parameters, 3 * teacher.parameters);
  assert.deepEqual(result.summary.generationAccuracies, [g1.accuracy, g2.accuracy]);
  assert.equal(result.summary.distillationGain, g2.accuracy - teacher.accuracy);
  for (const g of ['generation-1', 'generation-2']) {
    assert.ok(existsSync(join(result.runDir, 'models', g, 'model.json')), g);
  }
  const metrics = JSON.parse(readFileSync(join(result.runDir, 'metrics.json'), 'utf8'));
  assert.ok('soft' in metrics['generation-2'][0].terms);
});
