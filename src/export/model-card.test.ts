// The model card: facts from the run's results.json for runs/<ts>/models/<stage>, 'unknown'
// (never a guess) for a model outside a run, and the measured numbers of the exported file.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tf } from '../tf.ts';
import { defaultConfig } from '../config.ts';
import { loadMnist } from '../data/index.ts';
import { createMlp } from '../models/index.ts';
import type { RunResults } from '../run/record.ts';
import { saveModel } from '../models/io.ts';
import { exportModel } from './export.ts';
import { buildModelCard, type ModelCard } from './model-card.ts';
import { findRunInfo } from '../run/folder.ts';
import { VERSION } from '../run/record.ts';

await tf.setBackend('cpu');
const root = mkdtempSync(join(tmpdir(), 'distillery-card-'));
after(() => rmSync(root, { recursive: true, force: true }));
const data = await loadMnist({ trainLimit: 2, validationSize: 1, testLimit: 50 });
const runDir = join(root, 'runs', '2026-11-29_10-00-00');
const config = { ...defaultConfig, trainLimit: 2000, seed: 7 };
const row = (name: string, accuracy: number, parameters: number) => ({
  name,
  accuracy,
  errors: 0,
  examples: 1000,
  parameters,
  weightBytes: parameters * 4,
});
const results = {
  distillery: '0.1.0',
  createdAt: '2026-11-29T10:05:00.000Z',
  runDir,
  command: 'run',
  config,
  backend: { requested: 'wasm', name: 'wasm', description: 'wasm (patched matmul)', threads: 1 },
  dataset: {
    name: 'mnist',
    source: '/data/mnist',
    preprocessing: 'uint8 pixels / 255 → float32 in [0, 1], shape [28, 28, 1]',
    train: 1500,
    validation: 500,
    test: 1000,
    classes: 10,
  },
  method: { name: 'kd', paper: 'Hinton et al. 2015', params: { temperature: 4, hardWeight: 0.1 } },
  stages: {
    teacher: { source: 'trained', epochs: 3, bestEpoch: 3, seconds: 1, modelDir: 'T' },
    scratch: { source: 'trained', epochs: 6, bestEpoch: 5, seconds: 1, modelDir: 'S' },
    distilled: { source: 'trained', epochs: 6, bestEpoch: 6, seconds: 1, modelDir: 'D' },
  },
  evaluation: {
    split: 'test',
    reference: 'teacher',
    rows: [
      row('teacher', 0.97, 2395210),
      row('scratch', 0.9, 50890),
      row('distilled', 0.92, 50890),
    ],
  },
  summary: { teacherAccuracy: 0.97, scratchAccuracy: 0.9, distilledAccuracy: 0.92 },
  seconds: 3,
} satisfies RunResults;

mkdirSync(runDir, { recursive: true });
writeFileSync(join(runDir, 'results.json'), JSON.stringify(results));
const student = createMlp({ inputShape: [28, 28, 1], hidden: [8], classes: 10, seed: 1 });
for (const stage of ['distilled', 'scratch', 'teacher'])
  await saveModel(student, join(runDir, 'models', stage));
const loose = join(root, 'loose-model');
await saveModel(student, loose);

test('a distilled model in a run folder: teacher, method, hyper-parameters, dataset, metrics', async () => {
  const outDir = join(root, 'out-distilled');
  const result = await exportModel({
    modelDir: join(runDir, 'models', 'distilled'),
    outDir,
    quantize: 'uint8',
    data,
  });
  const card = JSON.parse(readFileSync(join(outDir, 'metadata.json'), 'utf8')) as ModelCard;
  assert.deepEqual(card, JSON.parse(JSON.stringify(result.card)));
  assert.equal(card.name, 'distilled');
  assert.deepEqual(card.createdBy, { distillery: VERSION, tfjs: tf.version.tfjs });
  assert.deepEqual(card.teacher, {
    kind: 'layers',
    source: 'T',
    arch: 'mlp:1200-1200',
    modelDir: 'T',
    parameters: 2395210,
    testAccuracy: 0.97,
  });
  assert.deepEqual(card.training.method, results.method);
  const hp = card.training.hyperParameters as Record<string, unknown>;
  assert.equal(hp.arch, config.student.arch);
  assert.equal(hp.epochs, config.student.epochs);
  assert.equal(hp.learningRate, config.student.learningRate);
  assert.equal(hp.batchSize, config.batchSize);
  assert.equal(hp.seed, 7);
  assert.equal(hp.bestEpoch, 6);
  assert.deepEqual(card.dataset, {
    name: 'mnist',
    source: '/data/mnist',
    train: 1500,
    validation: 500,
    test: 1000,
  });
  assert.deepEqual(card.input, {
    shape: [28, 28, 1],
    dtype: 'float32',
    preprocessing: results.dataset.preprocessing,
    spec: data.spec.inputs[0],
  });
  assert.deepEqual(card.output, { kind: 'logits', classes: 10, classNames: [...'0123456789'] });
  assert.equal(card.metrics.runTestAccuracy, 0.92);
  assert.equal(card.metrics.testAccuracy, result.row.accuracy);
  assert.equal(card.metrics.testExamples, 50);
  assert.equal(card.metrics.maxAbsLogitDiff, result.row.maxAbsLogitDiff);
  assert.equal(card.format.quantization, 'uint8');
  assert.equal(card.size.parameters, student.countParams());
  assert.equal(card.size.weightBytes, student.countParams());
  assert.equal(card.size.float32WeightBytes, student.countParams() * 4);
  assert.equal(card.source.runDir, runDir);
  assert.deepEqual(card.notes, []);
});

test('scratch and teacher stages: no teacher, supervised training', () => {
  for (const stage of ['scratch', 'teacher']) {
    const run = findRunInfo(join(runDir, 'models', stage))!;
    const card = buildModelCard({ ...facts(join(runDir, 'models', stage)), run });
    assert.equal(card.teacher, 'none');
    assert.equal((card.training.method as { name: string }).name, 'supervised');
    const hp = card.training.hyperParameters as Record<string, unknown>;
    assert.equal(hp.arch, stage === 'teacher' ? config.teacher.arch : config.student.arch);
    assert.equal(card.metrics.runTestAccuracy, stage === 'teacher' ? 0.97 : 0.9);
  }
});

test('a model outside any run: what is unknown says so', async () => {
  assert.equal(findRunInfo(loose), undefined);
  const bare = buildModelCard(facts(loose));
  assert.equal(bare.dataset, 'unknown');
  assert.equal(bare.teacher, 'unknown');
  assert.deepEqual(bare.training, { method: 'unknown', hyperParameters: 'unknown' });
  assert.equal(bare.input.preprocessing, 'unknown');
  assert.equal(bare.output.classNames, 'unknown');
  assert.equal(bare.metrics.testAccuracy, 'unknown');
  assert.equal(bare.source.runDir, 'unknown');
  // Evaluated on a dataset: its facts are used, and the card says where they come from.
  const result = await exportModel({ modelDir: loose, outDir: join(root, 'out-loose'), data });
  assert.equal(result.card.teacher, 'unknown');
  assert.equal((result.card.dataset as { name: string }).name, 'mnist');
  assert.equal((result.card.dataset as { train: unknown }).train, 'unknown');
  assert.match(result.card.notes.join(' '), /not a run folder/);
  assert.equal(result.card.metrics.testExamples, 50);
});

test('an unfinished run (config.json only): hyper-parameters known, accuracy unknown', () => {
  const unfinished = join(root, 'runs', 'unfinished');
  mkdirSync(join(unfinished, 'models'), { recursive: true });
  writeFileSync(join(unfinished, 'config.json'), JSON.stringify({ command: 'run', config }));
  const run = findRunInfo(join(unfinished, 'models', 'distilled'))!;
  const card = buildModelCard({ ...facts(join(unfinished, 'models', 'distilled')), run });
  assert.equal((card.training.method as { name: string }).name, 'kd');
  assert.equal(card.metrics.runTestAccuracy, 'unknown');
  assert.match(card.notes.join(' '), /no results.json/);
});

function facts(modelDir: string) {
  return {
    name: 'm',
    modelDir,
    quantization: 'none' as const,
    files: [{ name: 'model.json', bytes: 100 }],
    parameters: 10,
    float32WeightBytes: 40,
    inputShape: [28, 28, 1],
    classes: 10,
  };
}
