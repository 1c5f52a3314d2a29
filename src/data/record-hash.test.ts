// The records' content hash of text splits: the same records give the same hash whatever the
// tokenizer; a changed text, label, order or row count changes it. Per-row digests (the rows of a
// logit store): one per row, of the text and label or of the feature bytes and label.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadDataset } from './index.ts';
import { ROW_HASH_BYTES, featureRowHash, splitRowHashes, textRecordsHash } from './record-hash.ts';

test('textRecordsHash: sensitive to text, label and order', () => {
  const base = textRecordsHash(['a b', 'c'], [0, 1]);
  assert.equal(textRecordsHash(['a b', 'c'], Int32Array.from([0, 1])), base);
  assert.notEqual(textRecordsHash(['a b', 'c '], [0, 1]), base);
  assert.notEqual(textRecordsHash(['a b', 'c'], [1, 1]), base);
  assert.notEqual(textRecordsHash(['c', 'a b'], [1, 0]), base);
  assert.notEqual(textRecordsHash(['a', 'b c'], [0, 1]), base); // no ambiguity at boundaries
});

test('a JSONL text source: the same records hash alike under another tokenizer, other rows not', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'distillery-record-hash-'));
  try {
    const file = join(dir, 'mails.jsonl');
    const words = ['free', 'money', 'meeting', 'lunch', 'offer', 'notes', 'click', 'agenda'];
    const rows = Array.from({ length: 60 }, (_, i) => ({
      text: `${words[i % 8]} ${words[(i * 3) % 8]} message ${i}`,
      label: i % 2 ? 'ham' : 'spam',
    }));
    writeFileSync(file, rows.map((r) => JSON.stringify(r)).join('\n'));
    const load = (options: Record<string, unknown>, trainLimit?: number) =>
      loadDataset({
        data: file,
        dataKind: 'text',
        options,
        trainLimit,
        validationSize: 8,
        seed: 1,
      });
    const words10 = await load({ vocabularySize: 10 });
    const ngrams = await load({ tokenizer: 'char-ngrams' });
    assert.ok(words10.train.recordsHash && words10.train.count > 30);
    assert.equal(ngrams.train.recordsHash, words10.train.recordsHash);
    assert.notDeepEqual(ngrams.train.x, words10.train.x); // other token ids, same records
    assert.notEqual(words10.test.recordsHash, words10.train.recordsHash);
    const fewer = await load({}, 20);
    assert.notEqual(fewer.train.recordsHash, words10.train.recordsHash);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('splitRowHashes: one digest per row, of text + label, else feature bytes + label', () => {
  const texts = {
    x: new Int32Array(6),
    y: Int32Array.of(0, 1, 0),
    count: 3,
    texts: ['a', 'b', 'a'],
  };
  const d = splitRowHashes(texts);
  assert.equal(d.length, 3 * ROW_HASH_BYTES);
  const row = (i: number) => Buffer.from(d.subarray(i * ROW_HASH_BYTES, (i + 1) * ROW_HASH_BYTES));
  assert.ok(row(0).equals(row(2)) && !row(0).equals(row(1))); // duplicates share a digest
  // Token ids do not matter for text rows; the label does.
  const retokenised = splitRowHashes({ ...texts, x: Int32Array.of(1, 2, 3, 4, 5, 6) });
  assert.deepEqual(retokenised, d);
  assert.notDeepEqual(splitRowHashes({ ...texts, y: Int32Array.of(1, 1, 0) }), d);
  const features = {
    x: Float32Array.of(0, 0.5, 1, 0.5, 0, 0.5),
    y: Int32Array.of(2, 2, 2),
    count: 3,
  };
  const f = splitRowHashes(features);
  assert.deepEqual(
    f.subarray(ROW_HASH_BYTES, 2 * ROW_HASH_BYTES),
    new Uint8Array(featureRowHash(new Uint8Array(Float32Array.of(1, 0.5).buffer), 2)).subarray(
      0,
      ROW_HASH_BYTES,
    ),
  );
  assert.notDeepEqual(
    f.subarray(0, ROW_HASH_BYTES),
    f.subarray(ROW_HASH_BYTES, 2 * ROW_HASH_BYTES),
  );
});
