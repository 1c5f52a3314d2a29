// `distillery export` end to end, as a user runs it: exit codes, JSON on stdout only, files that
// the stock loader reads, and one-line errors for bad input.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { tf } from '../tf.ts';
import { createMlp } from '../models/index.ts';
import { saveModel } from '../models/io.ts';
import type { QuantizationRow } from './export.ts';

const BIN = join(import.meta.dirname, '../../bin/distillery.mjs');
const root = mkdtempSync(join(tmpdir(), 'distillery-export-cli-'));
after(() => rmSync(root, { recursive: true, force: true }));
await tf.setBackend('cpu');
const modelDir = join(root, 'model');
const model = createMlp({ inputShape: [28, 28, 1], hidden: [16], classes: 10, seed: 3 });
await saveModel(model, modelDir);
const FAST = ['--test-limit', '200', '--backend', 'wasm'];

function cli(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, 'export', ...args], {
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function assertOneLineError(r: ReturnType<typeof cli>, code: number, pattern: RegExp) {
  assert.equal(r.code, code, `exit ${r.code}: ${r.stderr}`);
  assert.equal(r.stdout, '');
  const lines = r.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, `not one line:\n${r.stderr}`);
  assert.match(lines[0], pattern);
}

test('--json: one JSON document with both rows; the files load with the stock loader', async () => {
  const out = join(root, 'out-json');
  const r = cli([modelDir, '--quantize', 'uint8', '--out', out, ...FAST, '--json']);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(!/Hi, looks like|tfjs-node/.test(r.stdout + r.stderr), 'tfjs banner printed');
  const result = JSON.parse(r.stdout) as {
    rows: QuantizationRow[];
    examples: number;
    logitRange: number;
    exports: { modelJson: string; metadata: string }[];
  };
  assert.equal(result.examples, 200);
  assert.deepEqual(
    result.rows.map((row) => row.quantization),
    ['original', 'uint8'],
  );
  const [original, uint8] = result.rows;
  assert.equal(original.maxAbsLogitDiff, 0);
  assert.ok(uint8.maxAbsLogitDiff! > 0 && uint8.maxAbsLogitDiff! < 0.05 * result.logitRange);
  assert.ok(uint8.bytes < original.bytes / 3, 'uint8 is about a quarter of float32 on disk');
  assert.equal(result.exports[0].modelJson, join(out, 'model.json'));
  assert.ok(existsSync(join(out, 'metadata.json')));
  const loaded = await tf.loadLayersModel(pathToFileURL(join(out, 'model.json')).href);
  assert.deepEqual(loaded.outputs[0].shape, [null, 10]);
  loaded.dispose();
});

test('--quantize all: a table with every quantization, one folder each', () => {
  const out = join(root, 'out-all');
  const r = cli([modelDir, '--quantize', 'all', '--out', out, ...FAST]);
  assert.equal(r.code, 0, r.stderr);
  for (const name of ['float32 (original)', 'none', 'float16', 'uint16', 'uint8'])
    assert.match(r.stdout, new RegExp(`^${name.replace(/[()]/g, '\\$&')} `, 'm'));
  assert.match(r.stdout, /max \|Δlogit\|/);
  for (const q of ['none', 'float16', 'uint16', 'uint8']) {
    assert.ok(existsSync(join(out, q, 'model.json')), q);
    assert.ok(existsSync(join(out, q, 'metadata.json')), q);
  }
  assert.equal(r.stderr, '');
});

test('a missing model folder: exit 4, one line', () => {
  assertOneLineError(
    cli([join(root, 'nowhere'), '--out', join(root, 'x')]),
    4,
    /^distillery: no model at .*nowhere/,
  );
});

test('a malformed model.json and a short weight file: exit 4, one line each', () => {
  const broken = join(root, 'broken-json');
  cpSync(modelDir, broken, { recursive: true });
  writeFileSync(join(broken, 'model.json'), '{"modelTopology": {');
  assertOneLineError(
    cli([broken, '--out', join(root, 'x1'), ...FAST]),
    4,
    /^distillery: .*model\.json is not valid JSON/,
  );
  const short = join(root, 'short-shard');
  cpSync(modelDir, short, { recursive: true });
  const shard = join(short, 'group1-shard1of1.bin');
  truncateSync(shard, readFileSync(shard).byteLength - 10);
  assertOneLineError(
    cli([short, '--out', join(root, 'x2'), ...FAST]),
    4,
    /^distillery: weight files of .* hold \d+ bytes but the manifest needs \d+: truncated/,
  );
});

test('usage errors: unknown --quantize, missing --out, --out = the model folder (exit 2)', () => {
  const bad = cli([modelDir, '--quantize', 'int4', '--out', join(root, 'x3')]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /int4.*Allowed choices are none, float16, uint16, uint8, all/);
  const noOut = cli([modelDir]);
  assert.equal(noOut.code, 2);
  assert.match(noOut.stderr, /--out <dir>/);
  assertOneLineError(
    cli([modelDir, '--out', modelDir, ...FAST]),
    2,
    /^distillery: --out .* is the model folder itself/,
  );
});

test('a model that does not fit the dataset: exit 4, one line', () => {
  const other = join(root, 'five-classes');
  return saveModel(
    createMlp({ inputShape: [28, 28, 1], hidden: [4], classes: 5, seed: 1 }),
    other,
  ).then(() =>
    assertOneLineError(
      cli([other, '--out', join(root, 'x4'), ...FAST]),
      4,
      /predicts 5 classes, but mnist has .* 10 classes/,
    ),
  );
});
