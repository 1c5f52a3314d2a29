// End-to-end on SpamAssassin as a user runs it: `evaluate <text model>` encodes with the
// tokenizer.json saved beside the model (not one refitted on the data), inside and outside its run
// folder, and refuses a tokenizer of another model in one line; `distill --teacher <ONNX text
// teacher>` (the PyTorch-made BiGRU fixture) runs through the ONNX teacher kind on token ids.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunResults } from '../../src/run/record.ts';

const fixtures = join(import.meta.dirname, '../fixtures');
const BIN = join(import.meta.dirname, '../../bin/distillery.mjs');
const out = mkdtempSync(join(tmpdir(), 'distillery-text-'));

function cli(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 300_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const accuracyOf = (stdout: string) =>
  (JSON.parse(stdout) as { rows: { accuracy: number; errors: number }[] }).rows[0];

test('evaluate <text model> encodes with the tokenizer.json saved beside it', () => {
  // 400 training mails: a tokenizer refitted on the full training split would not match.
  const trained = cli([
    'train-teacher',
    ...['--dataset', 'spam-assassin', '--train-limit', '400', '--test-limit', '200'],
    ...['--teacher-arch', 'embbag:8', '--teacher-epochs', '3', '--teacher-lr', '0.01'],
    ...['--backend', 'cpu', '--out', out, '--json'],
  ]);
  assert.equal(trained.code, 0, trained.stderr);
  const results = JSON.parse(trained.stdout) as RunResults;
  const teacher = results.evaluation.rows.find((r) => r.name === 'teacher')!;
  assert.ok(teacher.accuracy > 0.75, `teacher accuracy ${teacher.accuracy}`);
  const modelDir = join(results.runDir, 'models', 'teacher');

  const inRun = cli(['evaluate', modelDir, '--test-limit', '200', '--backend', 'cpu', '--json']);
  assert.equal(inRun.code, 0, inRun.stderr);
  assert.deepEqual(accuracyOf(inRun.stdout), {
    ...accuracyOf(inRun.stdout),
    accuracy: teacher.accuracy,
    errors: teacher.errors,
  });

  // Outside its run folder (e.g. exported): the same ids, so the same predictions.
  const alone = join(out, 'alone');
  cpSync(modelDir, alone, { recursive: true });
  const moved = cli([
    'evaluate',
    alone,
    ...['--dataset', 'spam-assassin', '--test-limit', '200', '--backend', 'cpu', '--json'],
  ]);
  assert.equal(moved.code, 0, moved.stderr);
  assert.equal(accuracyOf(moved.stdout).errors, teacher.errors);

  // A tokenizer.json of another model (a different vocabulary size): one line, exit code 4. The
  // copy drops the run's checksums.json first, as an export has none: in a sealed folder the
  // edited file is reported as damaged (exit 6) before its contents are read.
  rmSync(join(alone, 'checksums.json'));
  const file = JSON.parse(readFileSync(join(alone, 'tokenizer.json'), 'utf8'));
  file.tokenizer.vocabulary = file.tokenizer.vocabulary.slice(0, 100);
  writeFileSync(join(alone, 'tokenizer.json'), JSON.stringify(file));
  const wrong = cli(['evaluate', alone, '--dataset', 'spam-assassin', '--backend', 'cpu']);
  assert.equal(wrong.code, 4, wrong.stderr);
  assert.match(
    wrong.stderr,
    /tokenizer\.json yields 602 distinct ids but the model's embedding has \d+ rows/,
  );
  assert.equal(wrong.stderr.trim().split('\n').length, 1, wrong.stderr);
});

test('distill --teacher spam-teacher.onnx --dataset spam-assassin: token ids through the ONNX kind', () => {
  const r = cli([
    'distill',
    ...['--teacher', join(fixtures, 'spam-teacher.onnx'), '--dataset', 'spam-assassin'],
    // The teacher's vocabulary and split (it was trained on the seed-1 training mails).
    ...['--data-option', `tokenizerFile=${join(fixtures, 'spam-tokenizer.json')}`],
    ...['--data-option', 'splitSeed=1', '--train-limit', '600', '--test-limit', '300'],
    ...['--student-arch', 'embbag:8', '--student-epochs', '6', '--student-lr', '0.02'],
    ...['--temperature', '2', '--backend', 'cpu', '--out', out, '--json'],
  ]);
  assert.equal(r.code, 0, r.stderr);
  const results = JSON.parse(r.stdout) as RunResults;
  assert.equal(results.teacher?.kind, 'onnx');
  assert.equal(results.teacher?.adaptation, 'token ids as they are (int32 → int64)');
  const row = (name: string) => results.evaluation.rows.find((x) => x.name === name)!;
  assert.ok(row('teacher').accuracy > 0.9, `teacher ${row('teacher').accuracy}`);
  assert.ok(row('teacher').macroF1! > 0.85, `teacher macro-F1 ${row('teacher').macroF1}`);
  assert.ok(row('distilled').accuracy > 0.85, `distilled ${row('distilled').accuracy}`);
});
