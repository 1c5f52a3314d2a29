// Saving and loading on disk: the file:// router behind the stock tf.loadLayersModel, shard
// naming, and malformed folders failing with one-line model errors (never a crash inside tfjs).
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { tf } from '../tf.ts';
import { DistilleryError } from '../errors.ts';
import { sealFolder } from '../io/checksums.ts';
import { createMlp } from '../models/index.ts';
import {
  loadModel,
  registerFileRouter,
  saveModel,
  SHARD_BYTES,
  shardWeights,
  type ModelJson,
} from './io.ts';

await tf.setBackend('cpu');
const root = mkdtempSync(join(tmpdir(), 'distillery model-io ')); // a space: URLs must encode it
after(() => rmSync(root, { recursive: true, force: true }));
const model = createMlp({ inputShape: [2, 2], hidden: [5], classes: 3, seed: 2 });
const good = join(root, 'good');
await saveModel(model, good);
const x = tf.tensor3d([0.1, -0.2, 0.3, 0.9, 1, 0, -1, 0.5], [2, 2, 2]);
const expected = Array.from((model.predict(x) as tf.Tensor).dataSync());

const predict = (m: tf.LayersModel) => Array.from((m.predict(x) as tf.Tensor).dataSync());

test('the stock tf.loadLayersModel reads file:// URLs: encoded, raw, and a folder', async () => {
  const urls = [
    pathToFileURL(join(good, 'model.json')).href, // file:///…/distillery%20model-io%20…/model.json
    `file://${join(good, 'model.json')}`, // raw path with spaces
    pathToFileURL(good).href, // the folder
  ];
  for (const url of urls) {
    const loaded = await tf.loadLayersModel(url);
    assert.deepEqual(predict(loaded), expected, url);
    loaded.dispose();
  }
});

test('the router is registered once however often it is installed', () => {
  registerFileRouter();
  registerFileRouter();
  assert.equal(tf.io.getLoadHandlers('file:///somewhere/model.json').length, 1);
});

test('shards: at most 4 MiB each, named group1-shardNofM.bin like the converter', () => {
  const sizes = (n: number) => shardWeights(new Uint8Array(n)).map((s) => s.bytes.byteLength);
  assert.deepEqual(sizes(9_580_840), [SHARD_BYTES, SHARD_BYTES, 9_580_840 - 2 * SHARD_BYTES]);
  assert.deepEqual(sizes(SHARD_BYTES), [SHARD_BYTES]);
  assert.deepEqual(sizes(SHARD_BYTES + 1), [SHARD_BYTES, 1]);
  assert.deepEqual(sizes(0), [0]);
  assert.deepEqual(
    shardWeights(new Uint8Array(2 * SHARD_BYTES + 5)).map((s) => s.name),
    ['group1-shard1of3.bin', 'group1-shard2of3.bin', 'group1-shard3of3.bin'],
  );
});

type Json = ModelJson & Record<string, unknown>;
const goodJson = (): Json => JSON.parse(readFileSync(join(good, 'model.json'), 'utf8'));
const shard = 'group1-shard1of1.bin';

/** Each case breaks a copy of the good folder; `expect` must appear in the one-line message. */
const cases: { name: string; expect: RegExp; damage(dir: string): void }[] = [
  {
    name: 'model.json missing',
    expect: /no model at|no such file/,
    damage: (d) => rmSync(join(d, 'model.json')),
  },
  {
    name: 'not JSON',
    expect: /not valid JSON/,
    damage: (d) => writeFileSync(join(d, 'model.json'), '{"modelTopology": '),
  },
  {
    name: 'JSON null',
    expect: /no modelTopology/,
    damage: (d) => writeFileSync(join(d, 'model.json'), 'null'),
  },
  {
    name: 'no modelTopology (a graph model)',
    expect: /no modelTopology/,
    damage: (d) => edit(d, (j) => void delete (j as Partial<Json>).modelTopology),
  },
  {
    name: 'topology that is not a layers topology',
    expect: /class_name/,
    damage: (d) => edit(d, (j) => void (j.modelTopology = { node: [] })),
  },
  {
    name: 'weightsManifest missing',
    expect: /weightsManifest/,
    damage: (d) => edit(d, (j) => void delete (j as Partial<Json>).weightsManifest),
  },
  {
    name: 'weightsManifest entry null',
    expect: /'paths' and 'weights'/,
    damage: (d) => edit(d, (j) => void (j.weightsManifest = [null as never])),
  },
  {
    name: 'weight shape not numbers',
    expect: /malformed weight entry/,
    damage: (d) => edit(d, (j) => void (j.weightsManifest[0].weights[0].shape = ['4', 5] as never)),
  },
  {
    name: 'negative dimension',
    expect: /malformed weight entry/,
    damage: (d) => edit(d, (j) => void (j.weightsManifest[0].weights[0].shape = [-4, 5])),
  },
  {
    name: 'unknown dtype',
    expect: /unsupported dtype 'float64'/,
    damage: (d) =>
      edit(d, (j) => void (j.weightsManifest[0].weights[0].dtype = 'float64' as never)),
  },
  {
    name: 'uint8 quantization without min/scale',
    expect: /lacks finite 'min' and 'scale'/,
    damage: (d) =>
      edit(d, (j) => void (j.weightsManifest[0].weights[0].quantization = { dtype: 'uint8' })),
  },
  {
    name: 'unknown quantization dtype',
    expect: /unsupported quantization/,
    damage: (d) =>
      edit(
        d,
        (j) => void (j.weightsManifest[0].weights[0].quantization = { dtype: 'int4' as never }),
      ),
  },
  {
    name: 'quantization null',
    expect: /unsupported quantization/,
    damage: (d) =>
      edit(d, (j) => void (j.weightsManifest[0].weights[0].quantization = null as never)),
  },
  {
    name: 'float16 on an int32 weight',
    expect: /cannot be quantized to float16/,
    damage: (d) =>
      edit(d, (j) => {
        const w = j.weightsManifest[0].weights[0];
        w.dtype = 'int32';
        w.quantization = { dtype: 'float16' };
      }),
  },
  {
    name: 'weight file missing',
    expect: /group1-shard1of1\.bin .* is missing/,
    damage: (d) => rmSync(join(d, shard)),
  },
  {
    name: 'weight file short by one byte',
    expect: /hold \d+ bytes but the manifest needs \d+: truncated/,
    damage: (d) => truncateSync(join(d, shard), readFileSync(join(d, shard)).byteLength - 1),
  },
  {
    name: 'weight file with extra bytes',
    expect: /mismatched/,
    damage: (d) => appendFileSync(join(d, shard), new Uint8Array(4)),
  },
  {
    name: 'weight path escaping the folder',
    expect: /points outside the model folder/,
    damage: (d) => edit(d, (j) => void (j.weightsManifest[0].paths = ['../good/' + shard])),
  },
  {
    name: 'absolute weight path',
    expect: /relative to model.json/,
    damage: (d) => edit(d, (j) => void (j.weightsManifest[0].paths = [join(good, shard)])),
  },
];

function edit(dir: string, change: (json: Json) => void): void {
  const json = goodJson();
  change(json);
  writeFileSync(join(dir, 'model.json'), JSON.stringify(json));
}

const isOneLineModelError = (re: RegExp) => (e: unknown) => {
  assert.ok(e instanceof DistilleryError, `not a DistilleryError: ${(e as Error)?.stack}`);
  assert.equal(e.kind, 'model');
  assert.ok(!e.message.includes('\n'), `multi-line: ${e.message}`);
  assert.match(e.message, re);
  return true;
};

for (const c of cases) {
  test(`malformed: ${c.name} → one-line model error (loadModel and the stock loader)`, async () => {
    const dir = join(root, c.name.replace(/\W+/g, '-'));
    cpSync(good, dir, { recursive: true });
    c.damage(dir);
    await assert.rejects(loadModel(dir), isOneLineModelError(c.expect));
    await assert.rejects(
      tf.loadLayersModel(pathToFileURL(join(dir, 'model.json')).href),
      isOneLineModelError(c.expect),
    );
  });
}

test('a topology tfjs cannot build: loadModel wraps the tfjs error in one line', async () => {
  const dir = join(root, 'bad-layer');
  cpSync(good, dir, { recursive: true });
  edit(dir, (j) => {
    const layers = (j.modelTopology as { config: { layers: { class_name: string }[] } }).config
      .layers;
    layers[1].class_name = 'NoSuchLayer';
  });
  await assert.rejects(loadModel(dir), isOneLineModelError(/cannot build the model.*NoSuchLayer/));
});

test('a sealed model folder (a run stage) damaged at the same length is refused, not predicted from', async () => {
  const dir = join(root, 'sealed-zeroed');
  cpSync(good, dir, { recursive: true });
  sealFolder(dir);
  await loadModel(dir); // intact: loads
  writeFileSync(join(dir, shard), Buffer.alloc(readFileSync(join(dir, shard)).length));
  const refused = (e: unknown) =>
    e instanceof DistilleryError &&
    e.kind === 'io' &&
    /group1-shard1of1\.bin is corrupted \(checksum mismatch\)/.test(e.message) &&
    !e.message.includes('\n');
  await assert.rejects(loadModel(dir), refused);
  await assert.rejects(tf.loadLayersModel(pathToFileURL(join(dir, 'model.json')).href), refused);
});
