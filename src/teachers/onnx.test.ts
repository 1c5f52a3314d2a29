// The ONNX teacher on a real PyTorch-made model (scripts/fixtures/make_onnx_teacher.py): a small
// CNN that expects 32×32 RGB, ImageNet mean/std, NCHW, fed 28×28×1 MNIST in Distillery's
// representation. Its logits must equal PyTorch's; a student distilled from it must learn; every
// bad input must fail with one line naming what is wrong.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { tf } from '../tf.ts';
import { featuresAsFloat, loadMnist, type DataSpec } from '../data/index.ts';
import { createMlp } from '../models/index.ts';
import { Distiller } from '../distill/distiller.ts';
import { kd } from '../distill/methods/index.ts';
import { evaluate } from '../eval/evaluate.ts';
import { DistilleryError } from '../errors.ts';
import { ONNX_INSTALL, onnxTeacher } from './onnx.ts';

await tf.setBackend('cpu');
const fixtures = new URL('../../test/fixtures/', import.meta.url).pathname;
const dynamicPath = `${fixtures}mnist-cnn.onnx`;
const fixedPath = `${fixtures}mnist-cnn-fixed.onnx`;
const sidecar = JSON.parse(readFileSync(`${dynamicPath}.json`, 'utf8'));
const reference = JSON.parse(readFileSync(`${fixtures}mnist-cnn-reference.json`, 'utf8'));
const data = await loadMnist({ trainLimit: 600, testLimit: 500, validationSize: 100 });
const first = (n: number) => tf.tensor4d(featuresAsFloat(data.test, 0, n), [n, 28, 28, 1]);

/** Largest |a − b| between logits and PyTorch's reference rows. */
const maxDiff = (rows: number[][], ref: number[][]) =>
  Math.max(...rows.flatMap((r, i) => r.map((v, c) => Math.abs(v - ref[i][c]))));

// float32 end to end on both sides; the bilinear resize and the convolutions sum in different
// orders, so agreement is to a few 1e-6 on logits of magnitude ~10.
const TOLERANCE = 1e-4;

test("ONNX logits equal PyTorch's on the first 20 MNIST test images (dynamic batch)", async () => {
  const teacher = await onnxTeacher(dynamicPath, { input: sidecar.input, data: data.spec });
  const x = first(reference.images);
  const before = tf.memory().numTensors;
  const z = await teacher.logits(x);
  assert.equal(tf.memory().numTensors, before + 1, 'only the logits tensor is new');
  const diff = maxDiff(z.arraySync() as number[][], reference.logits);
  assert.ok(diff < TOLERANCE, `max |onnx − pytorch| = ${diff}`);
  const record = teacher.describe();
  assert.equal(record.kind, 'onnx');
  assert.equal(record.parameters, 34522); // 3·8·9+8 + 8·16·9+16 + 1024·32+32 + 32·10+10
  assert.match(String(record.adaptation), /28×28 → 32×32.*gray → RGB.*NHWC → NCHW/);
  assert.deepEqual(record.input?.shape, [3, 32, 32]);
  tf.dispose([x, z]);
  await teacher.dispose();
});

test('a fixed-batch NHWC export pads the last batch and agrees with PyTorch', async () => {
  // Batch 8 in the graph; 20 rows = 8 + 8 + 4 (+4 zero rows dropped).
  const teacher = await onnxTeacher(fixedPath, { outputName: 'logits', data: data.spec });
  assert.equal(teacher.batchSize, 8);
  assert.equal(teacher.describe().batch, 8);
  const x = first(reference.images);
  const z = await teacher.logits(x);
  assert.deepEqual(z.shape, [20, 10]);
  const diff = maxDiff(z.arraySync() as number[][], reference.logits);
  assert.ok(diff < TOLERANCE, `max |onnx − pytorch| = ${diff}`);
  tf.dispose([x, z]);
  await teacher.dispose();
});

test('a student distilled from the ONNX teacher learns (600 MNIST images, 2 epochs)', async () => {
  const teacher = await onnxTeacher(dynamicPath, { input: sidecar.input, data: data.spec });
  const student = createMlp({ inputShape: [28, 28, 1], hidden: [32], classes: 10, seed: 3 });
  const counts: number[] = [];
  const result = await new Distiller({ teacher, student, method: kd({ temperature: 2 }) }).fit(
    data.train,
    {
      epochs: 2,
      batchSize: 25,
      seed: 4,
      optimizer: { name: 'adam', learningRate: 3e-3 },
      onEpochEnd: () => void counts.push(tf.memory().numTensors),
    },
  );
  assert.equal(counts[1], counts[0], 'tensor count flat across epochs');
  assert.ok(result.history[1].loss < result.history[0].loss);
  const { rows } = await evaluate({
    models: { teacher, distilled: student },
    data: data.test,
    latency: false,
  });
  const [t, s] = rows;
  assert.ok(t.accuracy > 0.9, `teacher accuracy ${t.accuracy}`);
  assert.ok(s.accuracy > 0.5, `student accuracy ${s.accuracy} (chance 0.1)`);
  assert.equal(t.parameters, 34522);
  assert.ok(s.agreement! > 0.5);
  student.dispose();
  await teacher.dispose();
});

test('a teacher whose class count differs from the data is refused before training', async () => {
  const five: DataSpec = { ...data.spec, classNames: ['a', 'b', 'c', 'd', 'e'] };
  await assert.rejects(
    onnxTeacher(dynamicPath, { input: sidecar.input, data: five }),
    /outputs 10 classes but the data has 5 \(a, b, c, d, e\)/,
  );
});

test('an input shape that contradicts the declared preprocessing names both shapes', async () => {
  await assert.rejects(
    onnxTeacher(dynamicPath, { input: { ...sidecar.input, size: [224, 224] }, data: data.spec }),
    (e: DistilleryError) =>
      e.kind === 'model' && /\[\?, 3, 32, 32\]/.test(e.message) && /3×224×224/.test(e.message),
  );
  await assert.rejects(
    onnxTeacher(dynamicPath, { input: { ...sidecar.input, layout: 'hwc' }, data: data.spec }),
    /input is \[\?, 3, 32, 32\] but the declared preprocessing gives 32×32×3 \(NHWC/,
  );
});

test('data that cannot be adapted to the teacher names both shapes', async () => {
  const table: DataSpec = {
    inputs: [
      {
        name: 'features',
        shape: [4],
        dtype: 'float32',
        preprocessing: { kind: 'table', columns: [] },
      },
    ],
    classNames: data.spec.classNames,
  };
  await assert.rejects(
    onnxTeacher(dynamicPath, { input: sidecar.input, data: table }),
    /expects 3×32×32 .* but the data gives 4: the data is not an image/,
  );
});

test('several outputs without a choice list them and the option', async () => {
  await assert.rejects(
    onnxTeacher(fixedPath, { data: data.spec }),
    /has 2 outputs \(logits \[8, 10\], probs \[8, 10\]\): choose one with --teacher-output-name/,
  );
  await assert.rejects(onnxTeacher(fixedPath, { outputName: 'scores' }), /no output 'scores'/);
});

test('a file that is not ONNX, a missing file and a missing runtime each fail in one line', async () => {
  const notOnnx = new URL('../../package.json', import.meta.url).pathname;
  await assert.rejects(onnxTeacher(notOnnx), (e: DistilleryError) => {
    assert.equal(e.kind, 'model');
    assert.match(e.message, /package\.json is not an ONNX model/);
    assert.ok(!e.message.includes('\n'));
    return true;
  });
  await assert.rejects(onnxTeacher(`${fixtures}missing.onnx`), /missing\.onnx: no such file/);
  const missing = () =>
    Promise.reject(
      Object.assign(new Error("Cannot find package 'onnxruntime-node'"), {
        code: 'ERR_MODULE_NOT_FOUND',
      }),
    );
  await assert.rejects(onnxTeacher(dynamicPath, { runtime: missing }), (e: DistilleryError) => {
    assert.equal(e.kind, 'model');
    assert.ok(e.message.includes(ONNX_INSTALL), e.message);
    return true;
  });
});

test('identity is the file hash plus the preprocessing', async () => {
  const a = await onnxTeacher(dynamicPath, { input: sidecar.input });
  const b = await onnxTeacher(dynamicPath, {
    input: { ...sidecar.input, mean: [0.5], std: [0.5] },
  });
  const idA = await a.identity();
  assert.match(idA, /^onnx:cb6e3f33/);
  assert.notEqual(idA, await b.identity());
  await a.dispose();
  await b.dispose();
});
