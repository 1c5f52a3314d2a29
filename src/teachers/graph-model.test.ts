// The graph-model teacher on a real GraphDef fixture (scripts/fixtures/make-graph-model.ts): the
// same trained MLP saved as a Layers model and written as a graph model must give the same logits,
// from a folder and over http (a loopback server), with the same identity for the same bytes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { tf } from '../tf.ts';
import { featuresAsFloat, loadMnist, type DataSpec } from '../data/index.ts';
import { loadModel } from '../models/io.ts';
import { graphModelTeacher } from './graph-model.ts';

await tf.setBackend('cpu');
const fixtures = new URL('../../test/fixtures/graph-mlp/', import.meta.url).pathname;
const graphDir = join(fixtures, 'graph');
const data = await loadMnist({ testLimit: 200, splits: ['test'] });
const x = tf.tensor4d(featuresAsFloat(data.test), [200, 28, 28, 1]);
const layers = await loadModel(join(fixtures, 'layers'));
const expected = (layers.predict(x) as tf.Tensor).arraySync() as number[][];

const maxDiff = (z: tf.Tensor) => {
  const rows = z.arraySync() as number[][];
  return Math.max(...rows.flatMap((r, i) => r.map((v, c) => Math.abs(v - expected[i][c]))));
};

test('the graph model gives the Layers model’s logits (200 MNIST test images)', async () => {
  const teacher = await graphModelTeacher(graphDir, { data: data.spec });
  assert.equal(teacher.classes, 10);
  const before = tf.memory().numTensors;
  // No tfjs warning per batch (executeAsync on a graph without control flow warns each call).
  const warn = console.warn;
  const warnings: unknown[] = [];
  console.warn = (...a: unknown[]) => warnings.push(a);
  let z: Awaited<ReturnType<typeof teacher.logits>>;
  try {
    z = await teacher.logits(x);
    (await teacher.logits(x)).dispose();
  } finally {
    console.warn = warn;
  }
  assert.deepEqual(warnings, []);
  assert.equal(tf.memory().numTensors, before + 1, 'only the logits tensor is new');
  const diff = maxDiff(z);
  assert.ok(diff < 1e-5, `max |graph − layers| = ${diff}`);
  const record = teacher.describe();
  assert.equal(record.parameters, layers.countParams());
  assert.equal(record.inputName, 'x');
  z.dispose();
  teacher.dispose();
});

test('the same graph model over http loads, agrees and has the same identity', async () => {
  const server = createServer((req, res) => {
    const name = (req.url ?? '/').replace(/^\/model\//, '');
    try {
      res.end(readFileSync(join(graphDir, name)));
    } catch {
      res.statusCode = 404;
      res.end('not found');
    }
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/model`;
  try {
    const remote = await graphModelTeacher(`${base}/model.json`, { data: data.spec });
    const local = await graphModelTeacher(join(graphDir, 'model.json'));
    assert.equal(await remote.identity(), await local.identity());
    const z = await remote.logits(x);
    assert.ok(maxDiff(z) < 1e-5);
    z.dispose();
    remote.dispose();
    local.dispose();
    await assert.rejects(
      graphModelTeacher(`${base}/missing/model.json`),
      /cannot fetch .*missing\/model\.json: HTTP 404/,
    );
  } finally {
    server.close();
  }
});

test('a Layers folder, a missing folder and a class mismatch each fail in one line', async () => {
  await assert.rejects(
    graphModelTeacher(join(fixtures, 'layers')),
    /is not a tfjs graph model \(format "layers-model".*pass its folder as a Layers teacher/,
  );
  await assert.rejects(graphModelTeacher(join(fixtures, 'nowhere')), /no such file or folder/);
  const three: DataSpec = { ...data.spec, classNames: ['a', 'b', 'c'] };
  await assert.rejects(
    graphModelTeacher(graphDir, { data: three }),
    /outputs 10 classes but the data has 3/,
  );
  await assert.rejects(graphModelTeacher(graphDir, { outputName: 'probs' }), /no output 'probs'/);
});
