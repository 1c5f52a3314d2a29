// Tang et al.'s transfer-set augmentation on token ids: seeded and fixed, the stated rates,
// padding kept at the end, nothing but the row's own tokens (or the mask) in a copy, and a text
// dataset that carries the copies as an unlabelled transfer set joined as int32 ids, each with its
// decoded text (what an LLM teacher labels).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendExamples } from '../data/transfer-set.ts';
import { augmentTokens } from './augment.ts';
import { buildTextDataset } from './text-dataset.ts';
import { createTokenizer, UNKNOWN_ID, UNKNOWN_WORD, type TokenizerSpec } from './tokenizer.ts';
import type { TokensPreprocessing } from '../data/spec.ts';

const LENGTH = 32;
/** `count` rows of 10…31 distinct ids (≥ 2), 0-padded. */
function rows(count: number): Int32Array {
  const ids = new Int32Array(count * LENGTH);
  for (let r = 0; r < count; r++) {
    const n = 10 + (r % 22);
    for (let i = 0; i < n; i++) ids[r * LENGTH + i] = 2 + ((r * 7 + i * 13) % 997);
  }
  return ids;
}
const tokensOf = (ids: Int32Array, r: number) =>
  Array.from(ids.subarray(r * LENGTH, (r + 1) * LENGTH)).filter((v) => v !== 0);

test('seeded: the same seed gives the same copies, another seed others', () => {
  const ids = rows(50);
  const a = augmentTokens(ids, 50, LENGTH, { copies: 3, seed: 7 });
  assert.equal(a.length, 150 * LENGTH);
  assert.deepEqual(a, augmentTokens(ids, 50, LENGTH, { copies: 3, seed: 7 }));
  assert.notDeepEqual(a, augmentTokens(ids, 50, LENGTH, { copies: 3, seed: 8 }));
});

test('all probabilities 0: every copy is the row itself', () => {
  const ids = rows(20);
  const off = { maskProbability: 0, swapProbability: 0, ngramProbability: 0 };
  const a = augmentTokens(ids, 20, LENGTH, { copies: 2, seed: 1, ...off });
  for (let r = 0; r < 20; r++)
    for (let k = 0; k < 2; k++)
      assert.deepEqual(
        a.subarray((r * 2 + k) * LENGTH, (r * 2 + k + 1) * LENGTH),
        ids.subarray(r * LENGTH, (r + 1) * LENGTH),
      );
});

test('rates: ~10 % masked, ~25 % n-grams of ≤ 5 tokens, padding only at the end, own tokens only', () => {
  const count = 400;
  const ids = rows(count);
  const copies = 5;
  const a = augmentTokens(ids, count, LENGTH, { copies, seed: 3 });
  let masked = 0;
  let kept = 0;
  let ngrams = 0;
  for (let r = 0; r < count; r++) {
    const own = new Set(tokensOf(ids, r));
    for (let k = 0; k < copies; k++) {
      const row = a.subarray((r * copies + k) * LENGTH, (r * copies + k + 1) * LENGTH);
      const n = row.indexOf(0) < 0 ? LENGTH : row.indexOf(0);
      assert.ok(
        row.subarray(n).every((v) => v === 0),
        'padding only after the tokens',
      );
      assert.ok(n >= 1, 'never empty');
      for (const v of row.subarray(0, n)) assert.ok(v === UNKNOWN_ID || own.has(v), `${v}`);
      if (n <= 5) ngrams++;
      else {
        masked += row.subarray(0, n).filter((v) => v === UNKNOWN_ID).length;
        kept += n;
        assert.equal(n, own.size, 'without n-gram sampling a copy keeps its length');
      }
    }
  }
  const maskRate = masked / kept;
  const ngramRate = ngrams / (count * copies);
  assert.ok(Math.abs(maskRate - 0.1) < 0.01, `mask rate ${maskRate}`);
  assert.ok(Math.abs(ngramRate - 0.25) < 0.03, `n-gram rate ${ngramRate}`);
});

test('a text dataset with augmentCopies carries them as unlabelled int32 transfer examples', () => {
  const words = ['cheap', 'offer', 'meeting', 'notes', 'click', 'here', 'agenda', 'lunch'];
  const texts = Array.from({ length: 60 }, (_, i) =>
    Array.from({ length: 6 + (i % 5) }, (_, j) => words[(i * 3 + j) % words.length]).join(' '),
  );
  const labels = Int32Array.from(texts, (_, i) => i % 2);
  const base = { name: 'toy', source: 'test', classNames: ['a', 'b'], length: 16 };
  const build = (augmentCopies: number) =>
    buildTextDataset(
      { texts, labels },
      { ...base, textDescription: 'toy', seed: 1, validationSize: 6, augmentCopies },
    );
  const plain = build(0);
  assert.equal(plain.transfer, undefined);
  const data = build(4);
  assert.deepEqual(data.train.x, plain.train.x, 'the labelled split is untouched');
  assert.equal(data.transfer!.count, data.train.count * 4);
  assert.ok(data.transfer!.y.every((v) => v === -1));
  assert.match(data.preprocessing, /4 augmented copies of each training text/);
  const joined = appendExamples(data.train, data.transfer!);
  assert.ok(joined.x instanceof Int32Array);
  assert.equal(joined.count, data.train.count * 5);
  assert.deepEqual(joined.x.subarray(0, data.train.x.length), data.train.x);
  // Each copy carries its text (what a teacher that reads texts labels): its words, [UNK] where
  // a token was masked; a copy without a mask encodes back to exactly its ids.
  const spec = (data.spec.inputs[0].preprocessing as TokensPreprocessing)
    .tokenizer as unknown as TokenizerSpec;
  const tokenizer = createTokenizer(spec);
  const t = data.transfer!;
  assert.equal(t.texts!.length, t.count);
  let masked = 0;
  for (let r = 0; r < t.count; r++) {
    const ids = [...t.x.subarray(r * 16, (r + 1) * 16)].filter((id) => id !== 0);
    const words = t.texts![r].split(' ');
    assert.equal(words.length, ids.length, t.texts![r]);
    ids.forEach((id, k) => assert.equal(words[k] === UNKNOWN_WORD, id === UNKNOWN_ID));
    if (ids.includes(UNKNOWN_ID)) masked++;
    else
      assert.deepEqual(
        [...tokenizer.encode(t.texts![r], 16)],
        [...t.x.subarray(r * 16, (r + 1) * 16)],
      );
  }
  assert.ok(masked > 0 && masked < t.count, `${masked} of ${t.count} copies masked`);
  assert.equal(appendExamples(data.train, t).texts!.length, data.train.count * 5);
});
