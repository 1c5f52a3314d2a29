// A logit store over text rows, end to end: an LLM teacher (a loopback OpenAI-compatible server)
// labels the SpamAssassin training split with `distillery label`, and `distill --teacher-logits`
// on the same mails accepts the store even with another tokenizer (the rows' identity is their
// records' content hash, not their token ids) and refuses other rows with one line (exit 2); the
// LLM as distill's own --teacher is refused with the way round (label first).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startOpenAiServer, type TestServer } from '../teachers/http/testing.ts';
import { readManifest } from './store.ts';

const BIN = join(import.meta.dirname, '../../bin/distillery.mjs');
const root = mkdtempSync(join(tmpdir(), 'distillery-text-store-'));
const store = join(root, 'logits');
let server: TestServer;

function cli(args: string[]) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((done) => {
    const child = spawn(process.execPath, [BIN, ...args]);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 240_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr });
    });
  });
}

const DATA = ['--dataset', 'spam-assassin', '--train-limit', '200', '--backend', 'cpu'];

before(async () => {
  // A crude "LLM": spammy words make 'spam' likely.
  server = await startOpenAiServer((prompt) =>
    /free|money|click|offer|\$/i.test(prompt) ? { spam: 0.7, ham: 0.2 } : { spam: 0.1, ham: 0.8 },
  );
});
after(async () => {
  await server?.close();
  rmSync(root, { recursive: true, force: true });
});

test('an LLM store of SpamAssassin mails serves distill on the same mails, whatever the tokenizer', async () => {
  const prompt = join(root, 'prompt.txt');
  writeFileSync(prompt, 'Is this mail {{labels}}? Answer with one word.\n\n{{text}}\n');
  const labelled = await cli([
    'label',
    ...['--teacher', `openai:${server.url}/v1`, '--teacher-model', 'test', '--prompt', prompt],
    ...DATA,
    ...['--top-logprobs', '5', '--concurrency', '16', '--out', store, '--json'],
  ]);
  assert.equal(labelled.code, 0, labelled.stderr);
  const manifest = readManifest(store);
  assert.deepEqual([manifest.data.rows, manifest.data.count, manifest.classes], ['text', 200, 2]);
  const run = await cli([
    'distill',
    ...['--teacher-logits', store, ...DATA, '--test-limit', '100'],
    // Another vocabulary than label's default: the same mails, other token ids.
    ...['--data-option', 'vocabularySize=2000', '--student-epochs', '1', '--auto-tune', 'off'],
    ...['--out', join(root, 'runs'), '--json'],
  ]);
  assert.equal(run.code, 0, run.stderr);
  const results = JSON.parse(run.stdout);
  assert.deepEqual(
    results.evaluation.rows.map((r: { name: string }) => r.name),
    ['scratch', 'distilled'],
  );
  // The first 201 training mails: one more than the store holds.
  const other = await cli([
    'distill',
    ...['--teacher-logits', store, ...DATA.map((a) => (a === '200' ? '201' : a))],
    ...['--student-epochs', '1', '--out', join(root, 'runs')],
  ]);
  assert.equal(other.code, 2, other.stderr);
  const errors = other.stderr.split('\n').filter((l) => l.startsWith('distillery:'));
  assert.equal(errors.length, 1, other.stderr);
  assert.match(
    errors[0],
    /lacks 1 of 201 rows of the training split \(e\.g\. row 200; the store holds 200 rows of spam-assassin train\)/,
  );
});

test('distill --teacher openai:… is refused in one line: label first', async () => {
  const prompt = join(root, 'prompt.txt');
  const r = await cli([
    'distill',
    ...['--teacher', `openai:${server.url}/v1`, '--teacher-model', 'test', '--prompt', prompt],
    ...DATA,
    ...['--student-epochs', '1', '--out', join(root, 'runs')],
  ]);
  assert.equal(r.code, 2, r.stderr);
  const errors = r.stderr.split('\n').filter((l) => l.startsWith('distillery:'));
  assert.equal(errors.length, 1, r.stderr);
  assert.match(errors[0], /an LLM teacher reads texts.*--teacher-logits/);
});
