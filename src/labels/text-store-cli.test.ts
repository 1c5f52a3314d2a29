// A logit store over text rows, end to end: an LLM teacher (a loopback OpenAI-compatible server)
// labels the SpamAssassin training split with `distillery label`, and `distill --teacher-logits`
// on the same mails accepts the store even with another tokenizer (the rows are found by their
// records' digests, not their token ids) and refuses a split with one mail more (exit 2, one
// line: "1 of 201 rows"); `distill --teacher openai:…` labels the training mails into a store in
// its run folder first and trains the very student that label + --teacher-logits trains; `tune`
// searches on the same store.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startOpenAiServer, type TestServer } from '../teachers/http/testing.ts';
import { readManifest } from './store.ts';
import { runCli as cli } from '../report/testing.ts';

const root = mkdtempSync(join(tmpdir(), 'distillery-text-store-'));
const store = join(root, 'logits');
let server: TestServer;

const DATA = ['--dataset', 'spam-assassin', '--train-limit', '200', '--backend', 'cpu'];
// Another vocabulary than label's default: the same mails, other token ids.
const STUDENT = [
  '--data-option',
  'vocabularySize=2000',
  '--student-epochs',
  '1',
  '--auto-tune',
  'off',
];
let fromStoreRun = '';

/** The distilled student's weight bytes of a run. */
const weights = (runDir: string) => {
  const dir = join(runDir, 'models', 'distilled');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.bin'))
    .sort()
    .map((f) => readFileSync(join(dir, f)));
};

before(async () => {
  writeFileSync(
    join(root, 'prompt.txt'),
    'Is this mail {{labels}}? Answer with one word.\n\n{{text}}\n',
  );
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
    ...STUDENT,
    ...['--out', join(root, 'runs'), '--json'],
  ]);
  assert.equal(run.code, 0, run.stderr);
  const results = JSON.parse(run.stdout);
  fromStoreRun = results.runDir;
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

test('tune searches on the store as distill does; run, which trains its teacher, has no such option', async () => {
  const tuned = await cli([
    'tune',
    ...['--teacher-logits', store, ...DATA, ...STUDENT],
    ...['--search', 'temperature=1,4', '--search', 'hardWeight=0.5', '--eta', '2'],
    ...['--out', join(root, 'tune'), '--json'],
  ]);
  assert.equal(tuned.code, 0, tuned.stderr);
  const results = JSON.parse(tuned.stdout);
  assert.deepEqual(
    results.rows.map((r: { params: { temperature: number } }) => r.params.temperature).sort(),
    [1, 4],
  );
  const best = JSON.parse(readFileSync(results.bestConfigPath, 'utf8'));
  assert.equal(best.teacherLogits, store);
  const refused = await cli(['run', '--teacher-logits', store, ...DATA]);
  assert.equal(refused.code, 2, refused.stderr);
  assert.match(refused.stderr, /unknown option '--teacher-logits'/);
});

test('distill --teacher openai:… labels the training mails into the run folder: the same student as label + --teacher-logits', async () => {
  const prompt = join(root, 'prompt.txt');
  const r = await cli([
    'distill',
    ...['--teacher', `openai:${server.url}/v1`, '--teacher-model', 'test', '--prompt', prompt],
    ...['--top-logprobs', '5', '--concurrency', '16', ...DATA, '--test-limit', '100'],
    ...STUDENT,
    ...['--out', join(root, 'runs'), '--json'],
  ]);
  assert.equal(r.code, 0, r.stderr);
  const results = JSON.parse(r.stdout);
  const inRun = readManifest(join(results.runDir, 'teacher-logits'));
  assert.equal(inRun.key, readManifest(store).key); // the same teacher, rows and settings
  assert.deepEqual(weights(results.runDir), weights(fromStoreRun));
});

test('an LLM distil interrupted while labelling resumes with --resume: the store in the run folder is finished', async () => {
  const prompt = join(root, 'prompt.txt');
  // The first request fails and the client may not retry: the run stops in its teacher stage.
  const flaky = await startOpenAiServer(() => ({ spam: 0.3, ham: 0.6 }), { faults: ['500'] });
  try {
    const first = await cli([
      'distill',
      ...['--teacher', `openai:${flaky.url}/v1`, '--teacher-model', 'test', '--prompt', prompt],
      ...['--retries', '0', '--concurrency', '1', ...DATA, ...STUDENT],
      ...['--out', join(root, 'flaky-runs')],
    ]);
    assert.notEqual(first.code, 0, first.stderr);
    const errors = first.stderr.split('\n').filter((l) => l.startsWith('distillery:'));
    assert.equal(errors.length, 1, first.stderr);
    const runDir = /run folder: (\S+)/.exec(first.stderr)?.[1];
    assert.ok(runDir, first.stderr);
    assert.equal(readManifest(join(runDir, 'teacher-logits')).data.count, 200); // kept to resume
    const resumed = await cli(['distill', '--resume', runDir, '--json']);
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.equal(JSON.parse(resumed.stdout).runDir, runDir);
    assert.equal(readdirSync(join(runDir, 'teacher-logits', 'shards')).length, 1);
  } finally {
    await flaky.close();
  }
});
