// A text transfer set (--transfer-set mails.jsonl) next to text data: no label field needed,
// every row with a text kept (no split), encoded with the labelled data's own tokenizer, texts
// kept so that an LLM teacher can label them; also beside the embedded SpamAssassin corpus, whose
// own options are dropped for the file. appendExamples keeps texts only when both sides have them.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { datasetRefOf, loadDataset, type TokensPreprocessing } from './index.ts';
import { appendExamples, loadTransferSet, transferSetRefOf } from './transfer-set.ts';
import { createTokenizer, type TokenizerSpec } from '../text/tokenizer.ts';

const root = mkdtempSync(join(tmpdir(), 'distillery-transfer-'));
after(() => rmSync(root, { recursive: true, force: true }));

const TEXTS = ['FREE money, click here now', 'the meeting notes for tomorrow', 'cheap offer'];
const transferFile = join(root, 'transfer.jsonl');
writeFileSync(
  transferFile,
  [...TEXTS.map((text) => ({ text })), { text: '' }, { text: 'a labelled one', label: 'spam' }]
    .map((r) => JSON.stringify(r))
    .join('\n') + '\n',
);
const config = {
  dataset: 'spam-assassin',
  dataOptions: { hardHamTestShare: 0.5, vocabularySize: 500 },
  trainLimit: 200,
  seed: 1,
  outDir: root,
  transferSet: transferFile,
};

test('a text transfer file beside SpamAssassin: unlabelled, unsplit, in the corpus tokenizer', async () => {
  const labelled = await loadDataset({
    dataset: 'spam-assassin',
    options: config.dataOptions,
    trainLimit: 200,
  });
  const transfer = await loadTransferSet(transferSetRefOf(config)!, labelled);
  const texts = [...TEXTS, 'a labelled one']; // the empty text is skipped, the label ignored
  assert.deepEqual(transfer.texts, texts);
  assert.equal(transfer.count, 4);
  assert.deepEqual([...transfer.y], [-1, -1, -1, -1]);
  const pre = labelled.spec.inputs[0].preprocessing as TokensPreprocessing;
  const tokenizer = createTokenizer(pre.tokenizer as unknown as TokenizerSpec);
  texts.forEach((t, i) =>
    assert.deepEqual(
      [...(transfer.x as Int32Array).subarray(i * pre.length, (i + 1) * pre.length)],
      [...tokenizer.encode(t, pre.length)],
      t,
    ),
  );
  assert.ok(
    (transfer.x as Int32Array).some((id) => id > 1),
    'words of the corpus vocabulary were found',
  );

  const joined = appendExamples(labelled.train, transfer);
  assert.equal(joined.count, labelled.train.count + 4);
  assert.deepEqual(joined.texts, [...labelled.train.texts!, ...texts]);
  assert.match(joined.recordsHash!, /^[0-9a-f]{64}$/);
  const bare = { ...transfer, texts: undefined };
  assert.equal(appendExamples(labelled.train, bare).texts, undefined, 'texts for some rows only');
});

test("--text-field beside the embedded corpus names the transfer file's field, not the corpus's", async () => {
  const bodyFile = join(root, 'bodies.jsonl');
  writeFileSync(bodyFile, TEXTS.map((body) => JSON.stringify({ body })).join('\n') + '\n');
  // What `--dataset spam-assassin --transfer-set bodies.jsonl --text-field body` resolves to.
  const withField = {
    ...config,
    transferSet: bodyFile,
    dataKind: 'text',
    dataOptions: { ...config.dataOptions, textField: ['body'] },
  };
  const ref = datasetRefOf(withField);
  assert.equal(ref.dataKind, undefined);
  assert.deepEqual(ref.options, config.dataOptions, 'the corpus gets its own options only');
  const labelled = await loadDataset(ref);
  const transfer = await loadTransferSet(transferSetRefOf(withField)!, labelled);
  assert.deepEqual(transfer.texts, TEXTS);
  // Without a transfer set the option stays where the user put it (and the corpus refuses it).
  const alone = { ...withField, transferSet: undefined };
  assert.deepEqual(datasetRefOf(alone).options, withField.dataOptions);
});
