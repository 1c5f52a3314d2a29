// Exporting a text student: the folder carries tokenizer.json (byte for byte the model's), the
// card says the input is int32 token ids and points at that file instead of repeating the
// vocabulary, and a tokenizer that belongs to another model is refused in one line.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tf } from '../tf.ts';
import { loadDataset, primaryInput } from '../data/index.ts';
import { modelFactories } from '../models/index.ts';
import { saveModel } from '../models/io.ts';
import { readTokenizerFile, writeTokenizerFile } from '../text/tokenizer-file.ts';
import { exportModel } from './export.ts';

await tf.setBackend('cpu');
const root = mkdtempSync(join(tmpdir(), 'distillery-text-export-'));
after(() => rmSync(root, { recursive: true, force: true }));
const data = await loadDataset({
  dataset: 'spam-assassin',
  trainLimit: 300,
  testLimit: 60,
  validationSize: 20,
  options: { sequenceLength: 32, vocabularySize: 500 },
});
const input = primaryInput(data.spec);
const model = modelFactories.embbag([[8]], {
  inputShape: data.inputShape,
  classes: 2,
  input,
  seed: 1,
});
const modelDir = join(root, 'student');
await saveModel(model, modelDir);
writeTokenizerFile(modelDir, data.spec);

test('a text export carries tokenizer.json; the card names it and the int32 input', async () => {
  const outDir = join(root, 'out');
  const result = await exportModel({ modelDir, outDir, quantize: 'uint8', data });
  const shipped = readFileSync(join(outDir, 'tokenizer.json'), 'utf8');
  assert.equal(shipped, readFileSync(join(modelDir, 'tokenizer.json'), 'utf8'));
  assert.deepEqual(readTokenizerFile(outDir)!.classNames, ['ham', 'spam']);
  const card = result.card;
  assert.equal(card.input.dtype, 'int32');
  assert.equal(card.input.tokenizer, 'tokenizer.json');
  const tokenizer = (card.input.spec!.preprocessing as { tokenizer: Record<string, unknown> })
    .tokenizer;
  assert.equal(tokenizer.vocabulary, undefined, 'the card does not repeat the vocabulary');
  assert.equal(tokenizer.file, 'tokenizer.json');
  assert.ok(card.format.files.some((f) => f.name === 'tokenizer.json'));
  // Bytes on disk include the tokenizer; weight bytes do not.
  const bins = card.format.files.filter((f) => f.name.endsWith('.bin'));
  assert.equal(
    card.size.weightBytes,
    bins.reduce((a, f) => a + f.bytes, 0),
  );
  assert.equal(result.row.bytes, card.size.bytes);
  assert.ok(result.row.bytes > card.size.weightBytes + shipped.length);
  assert.ok(result.row.agreement! >= 0.95, `uint8 agreement ${result.row.agreement}`);
});

test('a tokenizer.json that does not fit the model is refused in one line', async () => {
  const other = join(root, 'mismatched');
  await saveModel(model, other);
  const file = JSON.parse(readFileSync(join(modelDir, 'tokenizer.json'), 'utf8'));
  file.tokenizer.oovBuckets += 7; // 7 more ids than the embedding has rows
  writeFileSync(join(other, 'tokenizer.json'), JSON.stringify(file));
  await assert.rejects(
    exportModel({ modelDir: other, outDir: join(root, 'out-bad') }),
    (e: Error) => /tokenizer belongs to another model/.test(e.message) && !e.message.includes('\n'),
  );
});

test('the default text student on the whole SpamAssassin corpus exports under 500 KiB (uint8)', async (t) => {
  const { textRunDefaults } = await import('../data/sources/text-spam-assassin.ts');
  const { parseArch } = await import('../models/index.ts');
  const full = await loadDataset({ dataset: 'spam-assassin', splits: ['train'] });
  const { kind, args } = parseArch(textRunDefaults.student.arch);
  const student = modelFactories[kind](args, {
    inputShape: full.inputShape,
    classes: 2,
    input: primaryInput(full.spec),
    seed: 1,
  });
  const dir = join(root, 'default-student');
  await saveModel(student, dir);
  writeTokenizerFile(dir, full.spec);
  student.dispose();
  // The size does not depend on the trained values: uint8 stores one byte per weight.
  const result = await exportModel({
    modelDir: dir,
    outDir: join(root, 'default-uint8'),
    quantize: 'uint8',
  });
  t.diagnostic(
    `${textRunDefaults.student.arch}, ${full.train.count} training mails: uint8 export ${result.row.bytes} bytes (${(result.row.bytes / 1024).toFixed(1)} KiB) with tokenizer.json`,
  );
  assert.ok(result.row.bytes < 500 * 1024, `${result.row.bytes} bytes`);
});
