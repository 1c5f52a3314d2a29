// The records' content hash of text splits: the same records give the same hash whatever the
// tokenizer; a changed text, label, order or row count changes it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadDataset } from './index.ts';
import { textRecordsHash } from './record-hash.ts';

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
