// The LLM flow on real mails, end to end: `label --data mails.jsonl` (every record of a
// JSONL of SpamAssassin mails, an LLM behind a loopback OpenAI-compatible server) then
// `distill --teacher-logits logits/ --data mails.jsonl`, which trains on a split of the file: its
// rows are found in the store by their digests. A shuffled copy of the file is served too, and
// the student is bit-identical to one distilled from a store labelled on the shuffled file itself;
// a file with one mail the store never saw is refused in one line naming "1 of N rows". The one
// command form (`distill --teacher openai:… --data mails.jsonl`) trains the very same student;
// with --transfer-set the LLM labels the transfer mails too, and augmented copies as their
// decoded words (hashed character n-grams, which do not decode, are refused in one line).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadDataset } from '../data/index.ts';
import { startOpenAiServer, type TestServer } from '../teachers/http/testing.ts';
import { readManifest } from './store.ts';
import { runCli as cli } from '../report/testing.ts';

const root = mkdtempSync(join(tmpdir(), 'distillery-jsonl-store-'));
const file = (name: string) => join(root, name);
let server: TestServer;

type Mail = { text: string; label?: string };
const writeJsonl = (name: string, mails: Mail[]) =>
  writeFileSync(file(name), mails.map((m) => JSON.stringify(m)).join('\n') + '\n');
const SPLIT = ['--validation-size', '12', '--backend', 'cpu'];
let mails: Mail[];
let spare: Mail[];
let fromStore = '';

before(async () => {
  // A crude "LLM": spammy words make 'spam' likely.
  server = await startOpenAiServer((prompt) =>
    /free|money|click|offer|\$/i.test(prompt) ? { spam: 0.7, ham: 0.2 } : { spam: 0.1, ham: 0.8 },
  );
  writeFileSync(file('prompt.txt'), 'Is this mail {{labels}}? Answer with one word.\n\n{{text}}\n');
  // 120 real mails (and 2 without a label: the LLM labels them, the text kind skips them).
  const data = await loadDataset({ dataset: 'spam-assassin', trainLimit: 120, testLimit: 20 });
  const named = (split: typeof data.train) =>
    split.texts!.map((text, i) => ({ text, label: data.classNames[split.y[i]] }));
  mails = [
    ...named(data.train),
    ...named(data.test)
      .slice(0, 2)
      .map(({ text }) => ({ text })),
  ];
  spare = named(data.test).slice(2);
  writeJsonl('mails.jsonl', mails);
  let seed = 3;
  const order = mails
    .map((_, i) => [(seed = (seed * 16807) % 2147483647), i])
    .sort((a, b) => a[0] - b[0]);
  writeJsonl(
    'shuffled.jsonl',
    order.map(([, i]) => mails[i]),
  );
});
after(async () => {
  await server?.close();
  rmSync(root, { recursive: true, force: true });
});

const label = (data: string, out: string) =>
  cli([
    'label',
    ...['--teacher', `openai:${server.url}/v1`, '--teacher-model', 'test'],
    ...['--prompt', file('prompt.txt'), '--data', file(data), '--out', file(out)],
    ...['--top-logprobs', '5', '--concurrency', '8', '--shard-size', '32', '--backend', 'cpu'],
  ]);
const distill = (store: string, data: string) =>
  cli([
    'distill',
    ...['--teacher-logits', file(store), '--data', file(data), ...SPLIT],
    ...['--student-epochs', '1', '--auto-tune', 'off', '--out', file('runs'), '--json'],
  ]);
/** The distilled student's weight bytes of a run. */
const weights = (runDir: string) => {
  const dir = join(runDir, 'models', 'distilled');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.bin'))
    .sort()
    .map((f) => readFileSync(join(dir, f)));
};

test('label a JSONL of mails, then distill on the same file: every row of its split is found', async () => {
  for (const [data, out] of [
    ['mails.jsonl', 'logits'],
    ['shuffled.jsonl', 'logits-shuffled'],
  ]) {
    const r = await label(data, out);
    assert.equal(r.code, 0, r.stderr);
  }
  const manifest = readManifest(file('logits'));
  assert.deepEqual(
    [manifest.data.rows, manifest.data.split, manifest.data.count, manifest.data.classNames],
    ['text', 'file', 122, ['ham', 'spam']],
  );
  // No --data-kind: a store of texts makes distill read the .jsonl as the text kind.
  const run = await distill('logits', 'mails.jsonl');
  assert.equal(run.code, 0, run.stderr);
  const results = JSON.parse(run.stdout);
  fromStore = results.runDir;
  assert.equal(results.dataset.train + results.dataset.validation + results.dataset.test, 120);
  assert.deepEqual(
    results.evaluation.rows.map((r: { name: string }) => r.name),
    ['scratch', 'distilled'],
  );
});

test('one command, distill --teacher openai:… --data mails.jsonl: the same student', async () => {
  const r = await cli([
    'distill',
    ...['--teacher', `openai:${server.url}/v1`, '--teacher-model', 'test'],
    ...['--prompt', file('prompt.txt'), '--top-logprobs', '5', '--concurrency', '8'],
    ...['--data', file('mails.jsonl'), ...SPLIT],
    ...['--student-epochs', '1', '--auto-tune', 'off', '--out', file('runs'), '--json'],
  ]);
  assert.equal(r.code, 0, r.stderr);
  // Its store holds the training split only; the student is the one the file's store taught.
  const runDir = JSON.parse(r.stdout).runDir;
  assert.equal(readManifest(join(runDir, 'teacher-logits')).data.split, 'train');
  assert.deepEqual(weights(runDir), weights(fromStore));
});

test('a shuffled copy of the file is served; the student is bit-identical to its own store', async () => {
  const fromOriginal = await distill('logits', 'shuffled.jsonl');
  assert.equal(fromOriginal.code, 0, fromOriginal.stderr);
  const fromOwn = await distill('logits-shuffled', 'shuffled.jsonl');
  assert.equal(fromOwn.code, 0, fromOwn.stderr);
  const a = weights(JSON.parse(fromOriginal.stdout).runDir);
  const b = weights(JSON.parse(fromOwn.stdout).runDir);
  assert.ok(a.length > 0 && a[0].length > 1000);
  assert.deepEqual(a, b);
});

test('a file with one mail the store never saw is refused in one line: "1 of N rows"', async () => {
  // One more labelled mail, chosen so that it falls in the training split of the new file.
  let train = 0;
  for (const extra of spare) {
    writeJsonl('extra.jsonl', [...mails, extra]);
    const data = await loadDataset({
      data: file('extra.jsonl'),
      dataKind: 'text',
      validationSize: 12,
      splits: ['train'],
    });
    if (data.train.texts!.includes(extra.text)) {
      train = data.train.count;
      break;
    }
  }
  assert.ok(train > 0, 'no spare mail fell in the training split');
  const r = await distill('logits', 'extra.jsonl');
  assert.equal(r.code, 2, r.stderr);
  const errors = r.stderr.split('\n').filter((l) => l.startsWith('distillery:'));
  assert.equal(errors.length, 1, r.stderr);
  assert.match(
    errors[0],
    new RegExp(`lacks 1 of ${train} rows of the training split .*: label this data`),
  );
});

test('distill --teacher openai:… --transfer-set / augmentCopies: the LLM labels transfer mails and decoded copies', async () => {
  writeJsonl(
    'transfer.jsonl',
    spare.map(({ text }) => ({ text })),
  );
  const llm = [
    ...['--teacher', `openai:${server.url}/v1`, '--teacher-model', 'test'],
    ...['--prompt', file('prompt.txt'), '--top-logprobs', '5', '--concurrency', '8'],
    ...['--data', file('mails.jsonl'), ...SPLIT],
    ...['--student-epochs', '1', '--auto-tune', 'off', '--out', file('runs'), '--json'],
  ];
  const asked = server.requests;
  const r = await cli(['distill', ...llm, '--transfer-set', file('transfer.jsonl')]);
  assert.equal(r.code, 0, r.stderr);
  const results = JSON.parse(r.stdout);
  assert.equal(results.dataset.transferSet, spare.length);
  const manifest = readManifest(join(results.runDir, 'teacher-logits'));
  assert.equal(manifest.data.split, 'train + transfer set');
  assert.equal(manifest.data.count, results.dataset.train + spare.length);
  assert.equal(server.requests - asked, manifest.data.count, 'one request per labelled mail');
  // The transfer mails changed what the distilled student learnt from: not the store-only student.
  assert.notDeepEqual(weights(results.runDir), weights(fromStore));

  // Augmented copies of word ids decode to texts ([UNK] for unknown words) that the LLM labels.
  const before = server.requests;
  const augmented = await cli(['distill', ...llm, '--data-option', 'augmentCopies=1']);
  assert.equal(augmented.code, 0, augmented.stderr);
  const withCopies = JSON.parse(augmented.stdout);
  const store = readManifest(join(withCopies.runDir, 'teacher-logits')).data;
  assert.equal(store.split, 'train + transfer set');
  assert.equal(store.count, 2 * withCopies.dataset.train);
  assert.ok(server.requests - before > withCopies.dataset.train, 'the copies went to the LLM');
  // Hashed character n-grams do not decode: refused in one line, before any request.
  const asked2 = server.requests;
  const ngrams = await cli([
    'distill',
    ...llm,
    ...['--data-option', 'augmentCopies=1', '--data-option', 'tokenizer=char-ngrams'],
  ]);
  assert.equal(ngrams.code, 2, ngrams.stderr);
  const errors = ngrams.stderr.split('\n').filter((l) => l.startsWith('distillery:'));
  assert.equal(errors.length, 1, ngrams.stderr);
  assert.match(errors[0], /transfer-set rows .* have none .*: use --data-option tokenizer=words/);
  assert.equal(server.requests, asked2);
});
