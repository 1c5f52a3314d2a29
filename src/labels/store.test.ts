// The logit store on a real MNIST teacher: shards round-trip (float32 exact, float16 within its
// precision, top-k keeps the k largest exactly and the remaining mass), publishing is exclusive
// and checked, a resumed job computes only missing shards and ends byte-identical, a store of
// another teacher or settings is refused, rows are found by their digests (subsets, other orders,
// duplicates, the validation split of a store over train + validation) and a split with a row the
// store lacks is refused, and distilling from a float32 store trains exactly like distilling from
// the teacher's own table.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  truncateSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tf, type LayersModel } from '../tf.ts';
import { loadMnist, sliceSplit, type Dataset, type Split } from '../data/index.ts';
import { createMlp } from '../models/index.ts';
import { trainModel } from '../train/train-model.ts';
import { computeTeacherLogits, type TeacherLogits } from '../distill/teacher-cache.ts';
import { Distiller, type DistillerOptions } from '../distill/distiller.ts';
import { kd } from '../distill/methods/index.ts';
import { layersTeacher } from '../teachers/layers.ts';
import { labelInProcess, splitRows } from './job.ts';
import {
  decodeShard,
  encodeShard,
  missingShards,
  publishShard,
  readManifest,
  readStoreLogits,
  shardPath,
  storeManifest,
  type StoreData,
} from './store.ts';
import { loadStoreLogits } from './teacher-logits.ts';

await tf.setBackend('cpu');
let data: Dataset;
let model: LayersModel;
let expected: Float32Array;
const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'distillery-store-'));
  dirs.push(d);
  return d;
};
const rowsOf = (split = data.train) =>
  splitRows(split, [28, 28, 1], {
    name: 'mnist',
    split: 'train',
    preprocessing: data.preprocessing,
  });

before(async () => {
  data = await loadMnist({ trainLimit: 350, testLimit: 10, validationSize: 50 });
  model = createMlp({ inputShape: [28, 28, 1], hidden: [32], classes: 10, seed: 1 });
  await trainModel({ model, data: data.train, epochs: 1, batchSize: 50, seed: 1 });
  expected = (await computeTeacherLogits(model, data.train, [28, 28, 1])).logits;
});
after(() => {
  model.dispose();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const fakeData = (count: number): StoreData => ({
  name: 'x',
  split: 'train',
  count,
  hash: 'abc',
  preprocessing: 'none',
  rows: 'tensor',
});
const teacherInfo = {
  identity: 't',
  record: { kind: 'function', source: 'f', classes: 5 },
  classes: 5,
};
const randomLogits = (n: number, seed = 1) => {
  let s = seed;
  return Float32Array.from(
    { length: n },
    () => ((s = (s * 16807) % 2147483647) / 2147483647) * 16 - 8,
  );
};

test('shards round-trip: float32 exact, float16 within half precision', () => {
  const logits = randomLogits(7 * 5);
  for (const dtype of ['float32', 'float16'] as const) {
    const m = storeManifest(teacherInfo, fakeData(17), { dtype, shardSize: 7 });
    const back = decodeShard(m, 1, encodeShard(m, 1, logits));
    for (let i = 0; i < logits.length; i++) {
      const tol = dtype === 'float32' ? 0 : Math.abs(logits[i]) * 2 ** -11;
      assert.ok(Math.abs(back[i] - logits[i]) <= tol, `${dtype} ${logits[i]} → ${back[i]}`);
    }
    const last = storeManifest(teacherInfo, fakeData(17), { dtype, shardSize: 7 });
    assert.equal(decodeShard(last, 2, encodeShard(last, 2, logits.subarray(0, 15))).length, 15);
  }
});

test('top-k keeps the k largest logits exactly and spreads the remaining mass uniformly', () => {
  const m = storeManifest(teacherInfo, fakeData(4), { dtype: 'float32', topK: 2, shardSize: 4 });
  const logits = randomLogits(4 * 5, 7);
  const back = decodeShard(m, 0, encodeShard(m, 0, logits));
  const softmax = (r: Float32Array) => {
    const e = Array.from(r, (v) => Math.exp(v));
    const s = e.reduce((a, b) => a + b, 0);
    return e.map((v) => v / s);
  };
  for (let r = 0; r < 4; r++) {
    const row = logits.subarray(r * 5, r * 5 + 5);
    const p = softmax(row);
    const q = softmax(back.subarray(r * 5, r * 5 + 5));
    const top = Array.from(row.keys())
      .sort((a, b) => row[b] - row[a])
      .slice(0, 2);
    for (const c of top) assert.ok(Math.abs(p[c] - q[c]) < 1e-5, `row ${r} class ${c}`);
    const rest = top.reduce((a, c) => a - p[c], 1) / 3;
    for (let c = 0; c < 5; c++) if (!top.includes(c)) assert.ok(Math.abs(q[c] - rest) < 1e-5);
  }
});

test('float16 refuses logits it cannot hold, naming the fix', () => {
  const m = storeManifest(teacherInfo, fakeData(1), { dtype: 'float16', shardSize: 1 });
  assert.throws(() => encodeShard(m, 0, Float32Array.of(1, 2, 70000, 0, 0)), /--dtype float32/);
});

test('publishing is exclusive: once, then present; other bytes refused; broken ones replaced', () => {
  const dir = tempDir();
  const m = storeManifest(teacherInfo, fakeData(3), { dtype: 'float32', shardSize: 3 });
  const bytes = encodeShard(m, 0, randomLogits(15));
  mkdirSync(join(dir, 'shards'));
  assert.equal(publishShard(dir, m, 0, bytes), 'published');
  assert.equal(publishShard(dir, m, 0, bytes), 'present');
  assert.throws(
    () => publishShard(dir, m, 0, encodeShard(m, 0, randomLogits(15, 2))),
    /already published with different logits: the teacher is not deterministic/,
  );
  truncateSync(shardPath(dir, 0), 20);
  assert.deepEqual(missingShards(dir, m), [0]);
  assert.equal(publishShard(dir, m, 0, bytes), 'published');
  const corrupt = readFileSync(shardPath(dir, 0));
  corrupt[70] ^= 1;
  writeFileSync(shardPath(dir, 0), corrupt);
  assert.throws(() => decodeShard(m, 0, corrupt), /fails its checksum/);
  const other = storeManifest({ ...teacherInfo, identity: 'u' }, fakeData(3), {
    dtype: 'float32',
    shardSize: 3,
  });
  assert.throws(() => decodeShard(other, 0, bytes), /belongs to another store/);
  assert.deepEqual(
    readdirSync(join(dir, 'shards')).filter((f) => f.startsWith('.tmp')),
    [],
  );
});

test('labelling a real teacher: the float32 store equals its logits; a resume computes only missing shards', async () => {
  const dir = tempDir();
  const teacher = layersTeacher(model);
  const first = await labelInProcess({
    teacher,
    rows: rowsOf(),
    dir,
    dtype: 'float32',
    shardSize: 64,
  });
  assert.equal(first.manifest.shards, 5);
  assert.equal(first.labelled, 5);
  assert.deepEqual(readStoreLogits(dir), expected);
  const before = readdirSync(join(dir, 'shards')).map((f) => readFileSync(join(dir, 'shards', f)));
  unlinkSync(shardPath(dir, 1));
  unlinkSync(shardPath(dir, 4));
  const statuses: number[] = [];
  const again = await labelInProcess({
    teacher,
    rows: rowsOf(),
    dir,
    dtype: 'float32',
    shardSize: 64,
    onShard: ({ index }) => statuses.push(index),
  });
  assert.deepEqual([again.labelled, again.skipped, statuses], [2, 3, [1, 4]]);
  const after = readdirSync(join(dir, 'shards')).map((f) => readFileSync(join(dir, 'shards', f)));
  assert.deepEqual(after, before);
  const memory = tf.memory().numTensors;
  await labelInProcess({
    teacher,
    rows: rowsOf(),
    dir: tempDir(),
    dtype: 'float16',
    shardSize: 100,
  });
  assert.equal(tf.memory().numTensors, memory);
});

test('a store of another teacher, other settings or other data is refused with the reason', async () => {
  const dir = tempDir();
  await labelInProcess({
    teacher: layersTeacher(model),
    rows: rowsOf(),
    dir,
    dtype: 'float16',
    shardSize: 100,
  });
  const other = createMlp({ inputShape: [28, 28, 1], hidden: [8], classes: 10, seed: 2 });
  await assert.rejects(
    labelInProcess({
      teacher: layersTeacher(other, { source: 'other-mlp' }),
      rows: rowsOf(),
      dir,
      dtype: 'float16',
      shardSize: 100,
    }),
    /holds logits of teacher .*: choose another --out or delete that folder/,
  );
  await assert.rejects(
    labelInProcess({
      teacher: layersTeacher(model),
      rows: rowsOf(),
      dir,
      dtype: 'float32',
      shardSize: 100,
    }),
    /holds logits of other settings \(float16/,
  );
  other.dispose();
  // One row the store never saw (a validation image) among 299 it has: refused, counted.
  assert.throws(
    () => loadStoreLogits(dir, concatSplits(sliceSplit(data.train, 0, 299), data.validation, 1)),
    /lacks 1 of 300 rows of the training split \(e\.g\. row 299; the store holds 300 rows of mnist train\): label this data/,
  );
  assert.throws(
    () => loadStoreLogits(dir, data.validation, 'the validation split'),
    /lacks 50 of 50 rows of the validation split \(.*, none of them: other data, or other preprocessing\)/,
  );
  assert.throws(
    () => loadStoreLogits(dir, data.train, 'the training split', { classes: 12 }),
    /holds logits over 10 classes, but the data have 12/,
  );
  assert.throws(
    () => loadStoreLogits(dir, data.train, 'the training split', { preprocessing: 'other' }),
    /labelled on rows preprocessed as 'uint8 pixels/,
  );
  assert.equal(readManifest(dir).data.count, 300);
});

/** Rows of `a`, then the first `n` rows of `b` (a split of rows from two places). */
function concatSplits(a: Split, b: Split, n = b.count): Split {
  const per = a.x.length / a.count;
  const x = new Float32Array((a.count + n) * per);
  x.set(a.x);
  x.set(b.x.subarray(0, n * per), a.count * per);
  const y = Int32Array.from([...a.y, ...b.y.subarray(0, n)]);
  return { x, y, count: a.count + n };
}

/** The rows of `split` in the order `order`. */
function pick(split: Split, order: number[]): Split {
  const per = split.x.length / split.count;
  const x = new Float32Array(order.length * per);
  order.forEach((r, i) => x.set(split.x.subarray(r * per, (r + 1) * per), i * per));
  return { x, y: Int32Array.from(order, (r) => split.y[r]), count: order.length };
}

test('rows are found by digest: any subset, any order, duplicates alike; a superset serves validation', async () => {
  // A store over train + validation (a whole file), labelled once.
  const all = concatSplits(data.train, data.validation);
  const dir = tempDir();
  await labelInProcess({
    teacher: layersTeacher(model),
    rows: splitRows(all, [28, 28, 1], {
      name: 'mnist',
      split: 'file',
      preprocessing: data.preprocessing,
    }),
    dir,
    dtype: 'float32',
    shardSize: 64,
  });
  const own = (split: Split) => computeTeacherLogits(model, split, [28, 28, 1]);
  // The validation split: rows 300…349 of the store, served in its own order.
  const validation = loadStoreLogits(dir, data.validation, 'the validation split');
  assert.deepEqual(validation.table.logits, (await own(data.validation)).logits);
  // A shuffled subset with a duplicated row: each row gets its own logits, the copy the same.
  let seed = 5;
  const order = Array.from({ length: 120 }, () => (seed = (seed * 16807) % 2147483647) % 350);
  order.push(order[3]);
  const shuffled = pick(all, order);
  const table = loadStoreLogits(dir, shuffled).table;
  assert.deepEqual(table.logits, (await own(shuffled)).logits);
  assert.deepEqual(table.logits.subarray(120 * 10), table.logits.subarray(3 * 10, 4 * 10));
  assert.equal(table.count, 121);
  // Only the shards holding wanted rows are read: a missing shard of other rows does no harm.
  unlinkSync(shardPath(dir, 0));
  assert.deepEqual(loadStoreLogits(dir, data.validation).table.logits, validation.table.logits);
  assert.throws(
    () => loadStoreLogits(dir, data.train),
    /is incomplete: 1 shard\(s\) holding rows of the training split are missing \(e\.g\. 0\)/,
  );
});

test('a v1 store (no row digests) is refused with the way out; an edited rows.bin too', async () => {
  const dir = tempDir();
  await labelInProcess({
    teacher: layersTeacher(model),
    rows: rowsOf(),
    dir,
    dtype: 'float16',
    shardSize: 100,
  });
  const rows = join(dir, 'rows.bin');
  const bytes = readFileSync(rows);
  bytes[5] ^= 1;
  writeFileSync(rows, bytes);
  assert.throws(
    () => loadStoreLogits(dir, data.train),
    /rows\.bin does not match the store's manifest \(edited or truncated\)/,
  );
  const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ ...manifest, version: 1 }));
  assert.throws(
    () => readManifest(dir),
    /is a v1 logit store \(no per-row digests\).*label the data again into a new --out/,
  );
});

test('distilling from a float32 store trains exactly like distilling from the teacher table', async () => {
  const dir = tempDir();
  await labelInProcess({
    teacher: layersTeacher(model),
    rows: rowsOf(),
    dir,
    dtype: 'float32',
    shardSize: 64,
  });
  const store = loadStoreLogits(dir, data.train);
  const fitWith = async (teacher: DistillerOptions['teacher'], table: TeacherLogits) => {
    const student = createMlp({ inputShape: [28, 28, 1], hidden: [16], classes: 10, seed: 3 });
    const d = new Distiller({ teacher, student, method: kd(), teacherLogits: table });
    const r = await d.fit(data.train, { epochs: 1, batchSize: 50, seed: 4 });
    const w = student.getWeights().map((t) => Array.from(t.dataSync()));
    student.dispose();
    return { loss: r.history[0].loss, w };
  };
  const fromStore = await fitWith(store.teacher, store.table);
  const fromTable = await fitWith(model, { logits: expected, count: 300, classes: 10 });
  assert.deepEqual(fromStore, fromTable);
  assert.equal(store.teacher.describe().kind, 'logit-store');
  await assert.rejects(store.teacher.logits(tf.zeros([1, 28, 28, 1])), /cannot label new inputs/);
});
