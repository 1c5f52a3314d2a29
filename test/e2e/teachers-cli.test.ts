// End-to-end: `distillery distill --teacher <onnx | graph model>` as a user runs it, on a real
// MNIST slice with the PyTorch-made ONNX fixture (its sidecar declares 32×32 RGB, ImageNet
// mean/std, NCHW) and the graph-model fixture. Asserts the run record, that distillation beats
// chance, and one-line errors with exit code 4 for teachers that cannot serve the data.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunResults } from '../../src/run/record.ts';

const BIN = join(import.meta.dirname, '../../bin/distillery.mjs');
const fixtures = join(import.meta.dirname, '../fixtures');
const out = mkdtempSync(join(tmpdir(), 'distillery-teachers-'));
const FAST = [
  ...['--train-limit', '800', '--test-limit', '300', '--validation-size', '200'],
  ...['--backend', 'cpu', '--student-arch', 'mlp:32', '--student-epochs', '2'],
  ...['--student-lr', '0.003', '--batch-size', '32', '--out', out],
];

function cli(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 300_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('distill --teacher t.onnx: the sidecar preprocessing is used and recorded', () => {
  const r = cli(['distill', '--teacher', join(fixtures, 'mnist-cnn.onnx'), ...FAST, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const results = JSON.parse(r.stdout) as RunResults;
  assert.equal(results.teacher?.kind, 'onnx');
  assert.match(String(results.teacher?.adaptation), /28×28×1 → teacher 3×32×32/);
  const row = (name: string) => results.evaluation.rows.find((x) => x.name === name)!;
  assert.ok(row('teacher').accuracy > 0.9, `teacher ${row('teacher').accuracy}`);
  assert.equal(row('teacher').parameters, 34522);
  assert.ok(row('distilled').accuracy > 0.5, `distilled ${row('distilled').accuracy}`);
  assert.ok(row('teacher').latencyBatch1Ms! > 0);
  assert.ok(results.summary.compression! > 1);
});

test('distill --teacher <graph model folder>: detected from model.json’s format', () => {
  const r = cli(['distill', '--teacher', join(fixtures, 'graph-mlp/graph'), ...FAST, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const results = JSON.parse(r.stdout) as RunResults;
  assert.equal(results.teacher?.kind, 'graph-model');
  const teacher = results.evaluation.rows.find((x) => x.name === 'teacher')!;
  assert.ok(teacher.accuracy > 0.8, `teacher ${teacher.accuracy}`);
});

test('teachers that cannot serve the data fail with one line and exit code 4', () => {
  const wrongSize = cli([
    'distill',
    ...['--teacher', join(fixtures, 'mnist-cnn.onnx'), '--teacher-size', '224'],
    ...FAST,
  ]);
  assert.equal(wrongSize.code, 4, wrongSize.stderr);
  assert.match(
    wrongSize.stderr,
    /\[\?, 3, 32, 32\] but the declared preprocessing gives 3×224×224/,
  );
  const fake = join(out, 'fake.onnx');
  writeFileSync(fake, 'this is not a protobuf');
  const notOnnx = cli(['distill', '--teacher', fake, ...FAST]);
  assert.equal(notOnnx.code, 4);
  assert.match(notOnnx.stderr, /fake\.onnx is not an ONNX model/);
  // one line, the last one, prefixed by the CLI
  assert.match(
    notOnnx.stderr.trim().split('\n').at(-1)!,
    /^distillery: .*fake\.onnx is not an ONNX model/,
  );
  const unknown = cli(['distill', '--teacher', join(fixtures, 'losses-golden.json'), ...FAST]);
  assert.equal(unknown.code, 4);
  assert.match(
    unknown.stderr,
    /not a recognised teacher .*--teacher-kind <remote\|onnx\|graph-model\|layers>/,
  );
});
