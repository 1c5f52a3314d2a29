// The ONNX teacher on a real PyTorch-made *text* model (scripts/fixtures/make_onnx_text_teacher.py):
// a BiGRU over Distillery's token ids of SpamAssassin, int64 ids in (and an int32 variant), logits
// out. Its logits must equal PyTorch's on the same ids; Distillery's tokenizer file must give the
// very ids PyTorch trained on; data it cannot take must fail in one line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { tf } from '../tf.ts';
import { loadDataset, type DataSpec } from '../data/index.ts';
import { DistilleryError } from '../errors.ts';
import { onnxTeacher } from './onnx.ts';

await tf.setBackend('cpu');
const fixtures = new URL('../../test/fixtures/', import.meta.url).pathname;
const int64Path = `${fixtures}spam-teacher.onnx`;
const int32Path = `${fixtures}spam-teacher-int32.onnx`;
const reference = JSON.parse(readFileSync(`${fixtures}spam-teacher-reference.json`, 'utf8')) as {
  ids: number[][];
  labels: number[];
  logits: number[][];
  parameters: number;
};
const rows = reference.ids.length;
const length = reference.ids[0].length;
const tokensSpec = (n: number): DataSpec => ({
  inputs: [
    {
      name: 'tokens',
      shape: [n],
      dtype: 'int32',
      preprocessing: { kind: 'tokens', tokenizer: { type: 'words' }, length: n },
    },
  ],
  classNames: ['ham', 'spam'],
});

// float32 on both sides; the GRU's gates sum in a different order in onnxruntime than in PyTorch,
// so agreement is to ~1e-6 on logits of magnitude ~5.
const TOLERANCE = 1e-4;
const maxDiff = (got: number[][]) =>
  Math.max(...got.flatMap((r, i) => r.map((v, c) => Math.abs(v - reference.logits[i][c]))));

for (const [path, type] of [
  [int64Path, 'int64'],
  [int32Path, 'int32'],
] as const) {
  test(`ONNX logits equal PyTorch's on ${rows} SpamAssassin test mails (${type} token ids)`, async () => {
    const teacher = await onnxTeacher(path, { data: tokensSpec(length), batchSize: 10 });
    const x = tf.tensor2d(reference.ids, [rows, length], 'int32'); // [rows, length]
    const before = tf.memory().numTensors;
    const z = await teacher.logits(x); // [rows, 2]; 10 + 10 + 4 per session.run
    assert.equal(tf.memory().numTensors, before + 1, 'only the logits tensor is new');
    assert.deepEqual(z.shape, [rows, 2]);
    const diff = maxDiff(z.arraySync() as number[][]);
    assert.ok(diff < TOLERANCE, `max |onnx − pytorch| = ${diff}`);
    const record = teacher.describe();
    assert.equal(record.parameters, reference.parameters);
    assert.deepEqual(record.input?.shape, [length]);
    assert.equal(
      record.adaptation,
      type === 'int64' ? 'token ids as they are (int32 → int64)' : 'token ids as they are',
    );
    tf.dispose([x, z]);
    await teacher.dispose();
  });
}

test('Distillery encodes the test mails with spam-tokenizer.json into the ids PyTorch trained on', async () => {
  const data = await loadDataset({
    dataset: 'spam-assassin',
    validationSize: 600,
    options: { tokenizerFile: `${fixtures}spam-tokenizer.json`, splitSeed: 1 },
    seed: 5, // the split follows splitSeed, not the run's seed
    testLimit: rows,
    splits: ['test'],
  });
  const ids = Array.from({ length: rows }, (_, r) =>
    Array.from(data.test.x.subarray(r * length, (r + 1) * length)),
  );
  assert.deepEqual(ids, reference.ids);
  assert.deepEqual(Array.from(data.test.y), reference.labels);
});

test('data a token teacher cannot take fails in one line', async () => {
  const refuse = async (data: DataSpec, pattern: RegExp) => {
    await assert.rejects(onnxTeacher(int64Path, { data }), (e: unknown) => {
      assert.ok(e instanceof DistilleryError);
      assert.match(e.message, pattern);
      assert.doesNotMatch(e.message, /\n/);
      return true;
    });
  };
  await refuse(tokensSpec(64), /takes 128 tokens per example but the data encodes 64/);
  await refuse(
    {
      inputs: [
        {
          name: 'image',
          shape: [28, 28, 1],
          dtype: 'float32',
          preprocessing: { kind: 'image', size: [28, 28], channels: 1, scale: 1 / 255 },
        },
      ],
      classNames: ['ham', 'spam'],
    },
    /takes token ids \(int64 \[\?, 128\]\) but the data gives image inputs/,
  );
  const teacher = await onnxTeacher(int64Path, { data: tokensSpec(length) });
  const floats = tf.zeros([2, length]);
  await assert.rejects(teacher.logits(floats), /got a float32 batch of shape \[2, 128\]/);
  floats.dispose();
  await teacher.dispose();
});
