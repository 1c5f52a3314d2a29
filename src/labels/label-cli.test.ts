// `distillery label` and `distill --teacher-logits` as a user runs them: label a saved MNIST
// teacher into a store, resume (nothing recomputed), distil a student from the store without the
// teacher, refuse a split with a row the store lacks (exit 2, one line) and serve a smaller one
// (another --validation-size: rows are found by their digests); label a JSONL file with an LLM teacher
// behind a loopback OpenAI-compatible server, with floored labels reported; label with the
// PyTorch-made ONNX fixture (any teacher loadTeacher knows), its logits equal to the teacher's own.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tf } from '../tf.ts';
import { loadMnist } from '../data/index.ts';
import { createMlp } from '../models/index.ts';
import { trainModel } from '../train/train-model.ts';
import { saveModel } from '../models/io.ts';
import { startOpenAiServer, type TestServer } from '../teachers/http/testing.ts';
import { readManifest, readStoreLogits } from './store.ts';
import { loadTeacher } from '../teachers/load.ts';
import { computeTeacherLogits } from '../distill/teacher-cache.ts';

const BIN = join(import.meta.dirname, '../../bin/distillery.mjs');
const root = mkdtempSync(join(tmpdir(), 'distillery-label-cli-'));
const teacherDir = join(root, 'teacher');
const store = join(root, 'logits');
let server: TestServer;
await tf.setBackend('cpu');

function cli(args: string[], env: Record<string, string> = {}) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((done) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 180_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr });
    });
  });
}

const DATA = ['--train-limit', '300', '--validation-size', '50', '--backend', 'cpu'];

before(async () => {
  const data = await loadMnist({ trainLimit: 300, testLimit: 10, validationSize: 50 });
  const model = createMlp({ inputShape: [28, 28, 1], hidden: [32], classes: 10, seed: 1 });
  await trainModel({ model, data: data.train, epochs: 1, batchSize: 50, seed: 1 });
  await saveModel(model, teacherDir);
  model.dispose();
});
after(async () => {
  await server?.close();
  rmSync(root, { recursive: true, force: true });
});

test('label writes a store, and a second run resumes with nothing to compute', async () => {
  const first = await cli([
    'label',
    '--teacher',
    teacherDir,
    ...DATA,
    '--out',
    store,
    '--shard-size',
    '64',
    '--json',
  ]);
  assert.equal(first.code, 0, first.stderr);
  const summary = JSON.parse(first.stdout);
  assert.deepEqual(
    [summary.rows, summary.shards, summary.labelled, summary.skipped],
    [250, 4, 4, 0],
  );
  assert.equal(readManifest(store).dtype, 'float16');
  const second = await cli([
    'label',
    '--teacher',
    teacherDir,
    ...DATA,
    '--out',
    store,
    '--shard-size',
    '64',
  ]);
  assert.equal(second.code, 0, second.stderr);
  assert.match(second.stdout, /0 shard\(s\) computed, 4 already there/);
});

test('distill --teacher-logits trains the student from the store; other data is refused', async () => {
  const run = await cli([
    'distill',
    '--teacher-logits',
    store,
    ...DATA,
    '--test-limit',
    '200',
    '--student-epochs',
    '4',
    '--batch-size',
    '25',
    '--out',
    join(root, 'runs'),
    '--json',
  ]);
  assert.equal(run.code, 0, run.stderr);
  const results = JSON.parse(run.stdout);
  assert.deepEqual(
    results.evaluation.rows.map((r: { name: string }) => r.name),
    ['scratch', 'distilled'],
  );
  assert.ok(results.summary.distilledAccuracy > 0.3, `${results.summary.distilledAccuracy}`);
  const other = await cli([
    'distill',
    '--teacher-logits',
    store,
    '--train-limit',
    '301',
    '--validation-size',
    '50',
    '--backend',
    'cpu',
    '--student-epochs',
    '1',
    '--out',
    join(root, 'runs'),
  ]);
  assert.equal(other.code, 2);
  const errors = other.stderr.split('\n').filter((l) => l.startsWith('distillery:'));
  assert.equal(errors.length, 1);
  // Training rows 0…250: the store holds 0…249 (its rows are found by their digests).
  assert.match(
    errors[0],
    /lacks 1 of 251 rows of the training split \(e\.g\. row 250; the store holds 250 rows of mnist train\): label this data/,
  );
});

test('a store labelled on more rows serves a smaller training split (another --validation-size)', async () => {
  // Training rows 0…199: all in the store of rows 0…249 (refused before rows had digests).
  const run = await cli([
    'distill',
    ...['--teacher-logits', store, '--train-limit', '300', '--validation-size', '100'],
    ...['--backend', 'cpu', '--test-limit', '100', '--student-epochs', '1', '--auto-tune', 'off'],
    ...['--out', join(root, 'runs'), '--json'],
  ]);
  assert.equal(run.code, 0, run.stderr);
  const results = JSON.parse(run.stdout);
  assert.equal(results.dataset.train, 200);
});

test("--teacher with --teacher-logits: the store must be that teacher's", async () => {
  const args = [...DATA, '--test-limit', '100', '--student-epochs', '1', '--auto-tune', 'off'];
  const same = await cli([
    'distill',
    ...['--teacher', teacherDir, '--teacher-logits', store, ...args],
    ...['--out', join(root, 'runs'), '--json'],
  ]);
  assert.equal(same.code, 0, same.stderr);
  const names = JSON.parse(same.stdout).evaluation.rows.map((r: { name: string }) => r.name);
  assert.deepEqual(names, ['teacher', 'scratch', 'distilled']);
  const onnx = join(import.meta.dirname, '../../test/fixtures/mnist-cnn.onnx');
  const other = await cli([
    'distill',
    ...['--teacher', onnx, '--teacher-logits', store, ...args, '--out', join(root, 'runs')],
  ]);
  assert.equal(other.code, 2, other.stderr);
  const errors = other.stderr.split('\n').filter((l) => l.startsWith('distillery:'));
  assert.equal(errors.length, 1, other.stderr);
  assert.match(errors[0], /was labelled by another teacher than .*mnist-cnn\.onnx/);
});

test('label with an LLM teacher over JSONL texts; floored labels are reported', async () => {
  server = await startOpenAiServer((p) =>
    p.includes('free money') ? { ' spam': 0.8, ham: 0.1 } : { ' spam': 0.05, ham: 0.9 },
  );
  const jsonl = join(root, 'mails.jsonl');
  const texts = [
    'win free money now',
    'lunch at noon?',
    'free money inside',
    'minutes of the meeting',
  ];
  writeFileSync(
    jsonl,
    texts.map((t, i) => JSON.stringify({ text: t, label: i % 2 ? 'ham' : 'spam' })).join('\n'),
  );
  const prompt = join(root, 'prompt.txt');
  writeFileSync(prompt, 'Answer {{labels}}.\n{{text}}\n');
  const out = join(root, 'llm-logits');
  const r = await cli([
    'label',
    '--teacher',
    `openai:${server.url}/v1`,
    '--teacher-model',
    'test',
    '--prompt',
    prompt,
    '--data',
    jsonl,
    '--top-logprobs',
    '1',
    '--out',
    out,
    '--dtype',
    'float32',
    '--backend',
    'cpu',
  ]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /floored in 4 of 4 texts \(ham 2, spam 2\)/);
  const m = readManifest(out);
  assert.deepEqual([m.classes, m.data.rows, m.data.count], [2, 'text', 4]);
  const logits = readStoreLogits(out);
  // Classes are the sorted labels [ham, spam]: text 0 is spam, text 1 ham.
  assert.ok(logits[1] > logits[0] && logits[2] > logits[3], `${Array.from(logits)}`);
  assert.equal(readdirSync(join(out, 'shards')).length, 1);
});

test("label --teacher t.onnx: any teacher kind; stored logits are the teacher's own", async () => {
  const onnx = join(import.meta.dirname, '../../test/fixtures/mnist-cnn.onnx');
  const out = join(root, 'onnx-logits');
  const r = await cli([
    'label',
    ...['--teacher', onnx, ...DATA, '--out', out],
    ...['--shard-size', '100', '--dtype', 'float32', '--json'],
  ]);
  assert.equal(r.code, 0, r.stderr);
  const summary = JSON.parse(r.stdout);
  assert.deepEqual([summary.rows, summary.shards, summary.teacher.kind], [250, 3, 'onnx']);
  const stored = readStoreLogits(out);
  // The same teacher in this process (its sidecar: 32×32 RGB, ImageNet mean/std, NCHW).
  const data = await loadMnist({ trainLimit: 300, validationSize: 50, splits: ['train'] });
  const teacher = await loadTeacher(onnx, { data: data.spec });
  const own = await computeTeacherLogits(teacher, data.train, data.inputShape);
  await teacher.dispose();
  let maxDiff = 0;
  for (let i = 0; i < own.logits.length; i++)
    maxDiff = Math.max(maxDiff, Math.abs(own.logits[i] - stored[i]));
  assert.ok(maxDiff < 1e-4, `max |Δ| ${maxDiff}`);
  let correct = 0;
  for (let row = 0; row < 250; row++) {
    const logits = stored.subarray(row * 10, row * 10 + 10);
    if (logits.indexOf(Math.max(...logits)) === data.train.y[row]) correct++;
  }
  assert.ok(correct / 250 > 0.9, `accuracy of the stored logits ${correct / 250}`);
});
