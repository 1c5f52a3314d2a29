// Export round trips on real MNIST: every quantization is written, read back by the stock tfjs
// loaders (file:// router, fromMemory over the raw files, and the browser's HTTP loader) and
// predicts within a stated tolerance of the float32 model. Plus sharding of a model over 4 MiB.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { tf } from '../tf.ts';
import { selectBackend } from '../backend/index.ts';
import { loadMnist, sliceSplit, type Dataset } from '../data/index.ts';
import { argmaxRows, predictLogits } from '../eval/metrics.ts';
import { createMlp } from '../models/index.ts';
import { trainModel } from '../train/train-model.ts';
import { SHARD_BYTES, saveModel, type ModelJson } from '../models/io.ts';
import { compareQuantizations, exportModel, quantizations, type Quantization } from './export.ts';

await selectBackend('wasm');
const root = mkdtempSync(join(tmpdir(), 'distillery-export-test-'));
after(() => rmSync(root, { recursive: true, force: true }));
const data = await loadMnist({ trainLimit: 6000, testLimit: 500, validationSize: 500 });
const shape = data.inputShape;

// A small trained MLP (784-64-10): ~95% on this slice after 4 epochs, a few seconds on wasm.
const trained = createMlp({ inputShape: shape, hidden: [64], classes: 10, seed: 4 });
await trainModel({ model: trained, data: data.train, epochs: 4, batchSize: 64, seed: 4 });
const small = join(root, 'small');
await saveModel(trained, small);
const reference = predictLogits(trained, data.test, shape); // [500, 10]
const referenceTop1 = argmaxRows(reference, 10);
const range = Math.max(...reference) - Math.min(...reference);

/**
 * Tolerances against the float32 model on the 500-example slice, as a fraction of the float32
 * logit range (max − min). Measured: float16 ≈ 1e-4, uint16 ≈ 1e-5, uint8 ≈ 2e-3 of the range.
 */
const TOLERANCE: Record<Quantization, { logits: number; agreement: number }> = {
  none: { logits: 0, agreement: 1 },
  float16: { logits: 1e-3, agreement: 0.998 },
  uint16: { logits: 1e-4, agreement: 0.998 },
  uint8: { logits: 1e-2, agreement: 0.99 },
};

function compare(model: tf.LayersModel) {
  const logits = predictLogits(model, data.test, shape);
  let maxDiff = 0;
  for (let i = 0; i < logits.length; i++)
    maxDiff = Math.max(maxDiff, Math.abs(logits[i] - reference[i]));
  const top1 = argmaxRows(logits, 10);
  const agreement = top1.filter((c, i) => c === referenceTop1[i]).length / top1.length;
  return { logits, maxDiff, agreement };
}

/** The files as a browser would fetch them, handed to the stock fromMemory loader. */
function rawArtifacts(dir: string): tf.io.ModelArtifacts {
  const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as ModelJson;
  const group = json.weightsManifest[0];
  const bytes = Buffer.concat(group.paths.map((p) => readFileSync(join(dir, p))));
  return {
    modelTopology: json.modelTopology,
    weightSpecs: group.weights,
    weightData: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength),
  };
}

test('trained MLP: float32 accuracy on the slice is high enough for the tolerances to mean something', () => {
  const correct = referenceTop1.filter((c, i) => c === data.test.y[i]).length;
  assert.ok(correct / data.test.count > 0.9, `accuracy ${correct / data.test.count}`);
  assert.ok(range > 5, `logit range ${range}`);
});

for (const quantize of quantizations) {
  test(`${quantize}: exports, loads back with the stock loaders, predicts within tolerance`, async () => {
    const outDir = join(root, `small-${quantize}`);
    const result = await exportModel({ modelDir: small, outDir, quantize, data });
    const fromFile = await tf.loadLayersModel(pathToFileURL(join(outDir, 'model.json')).href);
    const fromMemory = await tf.loadLayersModel(tf.io.fromMemory(rawArtifacts(outDir)));
    const a = compare(fromFile);
    const b = compare(fromMemory);
    fromFile.dispose();
    fromMemory.dispose();
    assert.deepEqual(a.logits, b.logits, 'both stock loaders decode the same weights');
    const tol = TOLERANCE[quantize];
    assert.ok(
      a.maxDiff <= tol.logits * range,
      `max |Δlogit| ${a.maxDiff} > ${tol.logits} × range ${range}`,
    );
    assert.ok(a.agreement >= tol.agreement, `top-1 agreement ${a.agreement}`);
    // The library's own measurement agrees with this independent one.
    assert.equal(result.row.maxAbsLogitDiff, a.maxDiff);
    assert.equal(result.row.agreement, a.agreement);
    assert.equal(result.original.accuracy, result.card.metrics.float32TestAccuracy);
    assert.ok(Math.abs(result.row.accuracy! - result.original.accuracy!) <= 0.01);
    // Manifest: the converter's fields, float32 weights only, one converter-named shard.
    const json = JSON.parse(readFileSync(result.modelJson, 'utf8')) as ModelJson;
    assert.equal(json.format, 'layers-model');
    assert.deepEqual(json.weightsManifest[0].paths, ['group1-shard1of1.bin']);
    for (const w of json.weightsManifest[0].weights) {
      assert.equal(w.dtype, 'float32');
      if (quantize === 'none') assert.equal(w.quantization, undefined);
      else assert.equal(w.quantization?.dtype, quantize);
    }
    const params = trained.countParams();
    const bytesPer = { none: 4, float16: 2, uint16: 2, uint8: 1 }[quantize];
    assert.equal(statSync(join(outDir, 'group1-shard1of1.bin')).size, params * bytesPer);
    assert.equal(result.row.weightBytes, params * bytesPer);
    assert.deepEqual(readdirSync(outDir).sort(), [
      'group1-shard1of1.bin',
      'metadata.json',
      'model.json',
    ]);
  });
}

test('the browser’s loader (stock tf.loadLayersModel over HTTP) reads a uint8 export', async () => {
  const outDir = join(root, 'small-uint8');
  const server = createServer((req, res) => {
    try {
      const body = readFileSync(join(outDir, decodeURIComponent(req.url!.slice(1))));
      res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  try {
    const { port } = server.address() as AddressInfo;
    const overHttp = await tf.loadLayersModel(`http://127.0.0.1:${port}/model.json`);
    const fromFile = await tf.loadLayersModel(pathToFileURL(join(outDir, 'model.json')).href);
    assert.deepEqual(compare(overHttp).logits, compare(fromFile).logits);
    overHttp.dispose();
    fromFile.dispose();
  } finally {
    server.close();
  }
});

test('a 9.6 MB model (mlp:1200-1200): 3 shards ≤ 4 MiB as float32, 1 as uint8; all reload', async () => {
  const big = createMlp({ inputShape: shape, hidden: [1200, 1200], classes: 10, seed: 1 });
  const bigDir = join(root, 'big');
  await saveModel(big, bigDir);
  const params = big.countParams(); // 2,395,210
  const few: Dataset = { ...data, test: sliceSplit(data.test, 0, 20) };
  const bigReference = predictLogits(big, few.test, shape);
  big.dispose();
  const out = join(root, 'big-exports');
  const comparison = await compareQuantizations({ modelDir: bigDir, data: few, outDir: out });
  const expectedShards = { none: 3, float16: 2, uint16: 2, uint8: 1 };
  const bytesPer = { none: 4, float16: 2, uint16: 2, uint8: 1 };
  for (const quantize of quantizations) {
    const dir = join(out, quantize);
    const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as ModelJson;
    const n = expectedShards[quantize];
    assert.deepEqual(
      json.weightsManifest[0].paths,
      Array.from({ length: n }, (_, i) => `group1-shard${i + 1}of${n}.bin`),
      quantize,
    );
    const sizes = json.weightsManifest[0].paths.map((p) => statSync(join(dir, p)).size);
    assert.ok(sizes.every((s) => s <= SHARD_BYTES));
    assert.ok(
      sizes.slice(0, -1).every((s) => s === SHARD_BYTES),
      'only the last shard is short',
    );
    assert.equal(
      sizes.reduce((a, s) => a + s, 0),
      params * bytesPer[quantize],
    );
    const loaded = await tf.loadLayersModel(pathToFileURL(join(dir, 'model.json')).href);
    const logits = predictLogits(loaded, few.test, shape);
    loaded.dispose();
    const row = comparison.rows.find((r) => r.quantization === quantize)!;
    let maxDiff = 0;
    for (let i = 0; i < logits.length; i++)
      maxDiff = Math.max(maxDiff, Math.abs(logits[i] - bigReference[i]));
    assert.equal(row.maxAbsLogitDiff, maxDiff);
    assert.ok(maxDiff <= TOLERANCE[quantize].logits * comparison.logitRange, `${quantize}`);
  }
  assert.equal(comparison.rows[0].name, 'float32 (original)');
  assert.deepEqual(
    comparison.rows.map((r) => r.files),
    [4, 4, 3, 3, 2],
  );
  // Re-exporting (overwrite, as --force) into a folder that held more shards leaves no stale ones.
  await exportModel({
    modelDir: bigDir,
    outDir: join(out, 'none'),
    quantize: 'uint8',
    overwrite: true,
  });
  assert.deepEqual(readdirSync(join(out, 'none')).sort(), [
    'group1-shard1of1.bin',
    'metadata.json',
    'model.json',
  ]);
});

test('exporting onto the model folder itself is refused', async () => {
  await assert.rejects(
    exportModel({ modelDir: small, outDir: small + '/', quantize: 'uint8' }),
    (e: Error & { kind?: string }) => e.kind === 'usage' && /model folder itself/.test(e.message),
  );
});
