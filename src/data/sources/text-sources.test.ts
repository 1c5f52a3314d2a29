// Text sources on real and broken data: the SpamAssassin splits (split-seeded, disjoint, stratified,
// half of hard ham in test, int32 batches) and users' JSONL / CSV with every kind of bad input
// the issue lists: a one-line error or a stated, counted skip.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { batches, loadDataset } from '../index.ts';
import { classificationMetrics, rocAuc } from '../../eval/classification.ts';
import {
  checkTokenizerFitsModel,
  readTokenizerFile,
  writeTokenizerFile,
} from '../../text/tokenizer-file.ts';
import { createEmbeddingBag } from '../../models/text.ts';

test('spam-assassin: split-seeded, disjoint, stratified splits with half of hard ham in test; int32 batches', async () => {
  const a = await loadDataset({ dataset: 'spam-assassin', validationSize: 300, seed: 1 });
  const b = await loadDataset({ dataset: 'spam-assassin', validationSize: 300, seed: 2 });
  const c = await loadDataset({ dataset: 'spam-assassin', validationSize: 300, splitSeed: 2 });
  assert.deepEqual(a.test.texts, b.test.texts, 'the run seed moved the split');
  assert.notDeepEqual(a.test.texts, c.test.texts);
  const train = new Set(a.train.texts);
  assert.ok(
    a.test.texts!.every((t) => !train.has(t)) && a.validation.texts!.every((t) => !train.has(t)),
  );
  const count = (groups: string[], g: string) => groups.filter((x) => x === g).length;
  const hardTest = count(a.test.groups!, 'hard-ham-1');
  const hardAll =
    hardTest + count(a.train.groups!, 'hard-ham-1') + count(a.validation.groups!, 'hard-ham-1');
  assert.equal(hardTest, Math.round(hardAll * 0.5));
  const spamShare = (y: Int32Array) => y.reduce((s, v) => s + v, 0) / y.length;
  assert.ok(Math.abs(spamShare(a.train.y) - spamShare(a.test.y)) < 0.05);
  assert.ok(a.train.x instanceof Int32Array && a.spec.inputs[0].dtype === 'int32');
  const batch = batches(a.test, { batchSize: 8, inputShape: a.inputShape }).next().value!;
  assert.equal(batch.x.dtype, 'int32');
  batch.x.dispose();
  batch.labels.dispose();
});

const dir = mkdtempSync(join(tmpdir(), 'distillery-text-'));
const file = (name: string, content: string | Uint8Array) => {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
};
const load = (path: string, options: Record<string, unknown> = {}) =>
  loadDataset({ data: path, dataKind: 'text', validationSize: 2, seed: 1, options });
const rows = (n: number) =>
  Array.from({ length: n }, (_, i) =>
    JSON.stringify({
      text: i % 2 ? `great film ${i}` : `awful plot ${i}`,
      title: 't',
      label: i % 2 ? 'pos' : 'neg',
    }),
  );

test('jsonl: several text fields, labels missing in some rows and empty texts are skipped and counted', async () => {
  const lines = [
    ...rows(40),
    JSON.stringify({ text: 'no label here' }),
    JSON.stringify({ text: '   ', label: 'pos' }),
  ];
  const d = await load(file('reviews.jsonl', lines.join('\n')), { textField: ['title', 'text'] });
  assert.deepEqual(d.classNames, ['neg', 'pos']);
  assert.equal(d.train.count + d.validation.count + d.test.count, 40);
  assert.match(d.preprocessing, /1 rows without a label skipped/);
  assert.match(d.preprocessing, /1 rows with an empty text skipped/);
  assert.match(d.test.texts![0], /^t\n/);
});

test('bad input: single class, non-UTF-8, bad JSON, unknown field, very long text: one line each', async () => {
  const one = rows(10).map((r) => r.replace(/"(pos|neg)"/, '"pos"'));
  await assert.rejects(load(file('one.jsonl', one.join('\n'))), /only one class \(pos\)/);
  const latin1 = new Uint8Array([
    ...Buffer.from('text,label\nok,1\ncaf'),
    0xe9,
    ...Buffer.from(',0\n'),
  ]);
  await assert.rejects(
    load(file('latin1.csv', latin1)),
    /line 3 is not valid UTF-8.*re-save the file as UTF-8/,
  );
  await assert.rejects(
    load(file('bad.jsonl', `${rows(1)[0]}\n{"text": oops}`)),
    /line 2 is not JSON/,
  );
  await assert.rejects(
    load(file('f.jsonl', rows(10).join('\n')), { textField: 'body' }),
    /no field 'body' in any row \(fields: text, title, label\)/,
  );
  const long = [...rows(20), JSON.stringify({ text: 'spam '.repeat(200_000), label: 'pos' })];
  const d = await load(file('long.jsonl', long.join('\n')), { maxChars: 1000 });
  assert.match(d.preprocessing, /1 texts cut to 1000 characters/);
  const csv = await load(
    file(
      'r.tsv',
      'text\tlabel\n' + Array.from({ length: 20 }, (_, i) => `word${i % 3} x\t${i % 2}`).join('\n'),
    ),
  );
  assert.deepEqual(csv.classNames, ['0', '1']);
});

test('a tokenizer file of another model is refused in one line', async () => {
  const d = await load(file('m.jsonl', rows(40).join('\n')));
  const model = createEmbeddingBag([[4]], {
    inputShape: d.inputShape,
    classes: 2,
    input: d.spec.inputs[0],
  });
  writeTokenizerFile(dir, d.spec);
  const ok = readTokenizerFile(dir)!;
  checkTokenizerFitsModel(ok, model, dir);
  const other = { ...ok, tokenizer: { ...ok.tokenizer, oovBuckets: 7 } } as typeof ok;
  assert.throws(
    () => checkTokenizerFitsModel(other, model, dir),
    /embedding has \d+ rows: the tokenizer belongs to another model/,
  );
  assert.throws(
    () => checkTokenizerFitsModel({ ...ok, length: 64 }, model, dir),
    /encodes 64 tokens/,
  );
  model.dispose();
});

test('classification metrics: ROC-AUC with ties, F1, false-positive rate, group error rates', () => {
  assert.equal(rocAuc([0.1, 0.4, 0.35, 0.8], [false, false, true, true]), 0.75);
  assert.equal(rocAuc([1, 1], [false, true]), 0.5);
  // logits [ham, spam]: one ham flagged as spam, one spam missed.
  const logits = new Float32Array([2, 0, 0, 2, 2, 0, 0, 3, 1, 0]);
  const m = classificationMetrics(logits, new Int32Array([0, 0, 1, 1, 1]), 2, [
    'a',
    'a',
    'b',
    'b',
    'b',
  ]);
  assert.equal(m.binary!.falsePositiveRate, 0.5);
  assert.equal(m.binary!.precision, 0.5);
  assert.ok(Math.abs(m.binary!.recall - 1 / 3) < 1e-12);
  assert.deepEqual(m.groupErrorRates, { a: 0.5, b: 2 / 3 });
});
