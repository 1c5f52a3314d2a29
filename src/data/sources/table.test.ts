// The table and jsonl kinds on a real table (test/fixtures/mnist-features.csv: features computed
// from MNIST images by scripts/make-mnist-table.ts): encoding fitted on the training split only,
// CSV / TSV / JSONL agree, a split column, and each bad-input case as a one-line error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DistilleryError } from '../../errors.ts';
import { loadDataset, resolveDataSource } from '../index.ts';
import type { NumericColumn, TablePreprocessing } from '../spec.ts';
import { encodeRows, fitColumns } from './columns.ts';
import { parseDelimited, readRecords } from './records.ts';

const CSV = join(import.meta.dirname, '../../../test/fixtures/mnist-features.csv');
const tmp = mkdtempSync(join(tmpdir(), 'distillery-table-'));
const text = readFileSync(CSV, 'utf8');
const write = (name: string, content: string) => {
  const path = join(tmp, name);
  writeFileSync(path, content);
  return path;
};
const load = (path: string, options: Record<string, unknown> = { labelColumn: 'digit' }) =>
  loadDataset({ data: path, options, seed: 1 });

test('a real CSV: label names sorted, numeric standardised with training-split statistics', async () => {
  const data = await load(CSV);
  assert.deepEqual(data.classNames, [
    'eight',
    'five',
    'four',
    'nine',
    'one',
    'seven',
    'six',
    'three',
    'two',
    'zero',
  ]);
  assert.equal(data.train.count + data.validation.count + data.test.count, 2000);
  const p = data.spec.inputs[0].preprocessing as TablePreprocessing;
  assert.equal(p.kind, 'table');
  const types = Object.fromEntries(p.columns.map((c) => [c.name, c.type]));
  assert.equal(types.quadrant, 'categorical');
  assert.equal(types.cx, 'numeric');
  assert.equal(types.width, 'numeric');
  assert.equal(data.inputShape[0], 20 + 4, '20 numeric + 4 quadrant values');
  // Train features have mean 0 / std 1 per numeric column; validation/test do not exactly.
  const width = data.inputShape[0];
  const stats = (x: ArrayLike<number>, n: number, j: number) => {
    let s = 0;
    let s2 = 0;
    for (let i = 0; i < n; i++) s += x[i * width + j];
    const mean = s / n;
    for (let i = 0; i < n; i++) s2 += (x[i * width + j] - mean) ** 2;
    return { mean, std: Math.sqrt(s2 / n) };
  };
  const cx = p.columns.findIndex((c) => c.name === 'cx');
  const train = stats(data.train.x, data.train.count, cx);
  assert.ok(Math.abs(train.mean) < 1e-5, `train mean ${train.mean}`);
  assert.ok(Math.abs(train.std - 1) < 1e-4, `train std ${train.std}`);
  const test = stats(data.test.x, data.test.count, cx);
  assert.notEqual(test.mean.toFixed(6), '0.000000', 'test split is not re-standardised');
  // The stored mean is the raw training rows' mean (not the whole file's).
  const records = await readRecords(CSV);
  const j = records.columns.indexOf('cx');
  const column = p.columns[cx] as NumericColumn;
  const all = records.rows.map((r) => Number(r[j]));
  const fileMean = all.reduce((a, b) => a + b, 0) / all.length;
  assert.notEqual(column.mean, fileMean);
  // One-hot: exactly one of the quadrant values is set in every row.
  const q = p.columns.findIndex((c) => c.name === 'quadrant');
  for (let i = 0; i < data.train.count; i++) {
    let hot = 0;
    for (let k = 0; k < 4; k++) hot += data.train.x[i * width + q + k];
    assert.equal(hot, 1);
  }
});

test('TSV and JSONL of the same rows encode exactly like the CSV', async () => {
  const csv = await load(CSV);
  const tsv = await load(write('t.tsv', text.replaceAll(',', '\t')));
  assert.deepEqual(tsv.train.x, csv.train.x);
  const records = await readRecords(CSV);
  const jsonl = records.rows
    .map((r) =>
      JSON.stringify(
        Object.fromEntries(
          records.columns.map((c, j) => [c, Number.isFinite(Number(r[j])) ? Number(r[j]) : r[j]]),
        ),
      ),
    )
    .join('\n');
  const path = write('t.jsonl', jsonl);
  assert.equal(resolveDataSource({ data: path }).name, 'jsonl');
  const fromJsonl = await load(path);
  assert.deepEqual(fromJsonl.spec, csv.spec);
  assert.deepEqual(fromJsonl.train.x, csv.train.x);
  assert.deepEqual(fromJsonl.test.y, csv.test.y);
});

test('a split column gives the splits; unknown categories encode as zeros', async () => {
  const lines = text.trimEnd().split('\n');
  const withSplit = [
    `${lines[0]},part`,
    ...lines
      .slice(1)
      .map((l, i) => `${l},${i % 10 === 0 ? 'test' : i % 10 === 1 ? 'val' : 'train'}`),
  ].join('\n');
  const data = await load(write('split.csv', withSplit), {
    labelColumn: 'digit',
    splitColumn: 'part',
  });
  assert.equal(data.test.count, 200);
  assert.equal(data.validation.count, 200);
  assert.equal(data.train.count, 1600);
  const records = parseDelimited('a,b,y\n1,red,x\n2,blue,z\n3,green,x\n', 'mem', ',');
  const r = await records;
  const p = fitColumns(r, ['a', 'b'], [0, 1], { maxCategories: 10 });
  const x = encodeRows(r, [2], p); // 'green' was never seen in training
  assert.deepEqual([...x.subarray(1)], [0, 0]);
});

async function rejects(promise: Promise<unknown>, kind: string, pattern: RegExp) {
  await assert.rejects(promise, (e: unknown) => {
    assert.ok(e instanceof DistilleryError, String(e));
    assert.equal(e.kind, kind);
    assert.match(e.message, pattern);
    assert.ok(!e.message.includes('\n'), 'one line');
    return true;
  });
}

test('bad input: ragged row, text in a numeric column, missing or unnamed label column', async () => {
  const lines = text.split('\n');
  const ragged = [...lines.slice(0, 10), lines[10] + ',extra', ...lines.slice(11)].join('\n');
  await rejects(
    load(write('ragged.csv', ragged)),
    'data',
    /ragged\.csv: line 11 has 23 fields but the header has 22/,
  );
  const texty = lines.map((l, i) => (i === 42 ? l.replace(/^[^,]*/, 'lots') : l)).join('\n');
  await rejects(
    load(write('text.csv', texty)),
    'data',
    /line 43, column 'g00': 'lots' is not a number/,
  );
  await rejects(
    load(CSV, { labelColumn: 'species' }),
    'usage',
    /'species' is not a column .*\(columns: g00, g01.*quadrant, digit\)/,
  );
  await rejects(load(CSV, {}), 'usage', /--label-column <name> \(columns: g00/);
  await rejects(
    load(write('one.csv', 'a,y\n1,x\n2,x\n3,x\n'), { labelColumn: 'y' }),
    'data',
    /a single class 'x'/,
  );
  await rejects(
    load(write('nolabel.csv', 'a,y\n1,x\n2,\n3,z\n'), { labelColumn: 'y' }),
    'data',
    /line 3 has no value in the label column 'y'/,
  );
  await rejects(
    load(write('bad.jsonl', '{"a": 1, "y": "p"}\n{"a": 2,\n'), { labelColumn: 'y' }),
    'data',
    /bad\.jsonl: line 2 is not valid JSON/,
  );
});

test('the library form csvTable() equals loading through --data', async () => {
  const { csvTable } = await import('./table.ts');
  const viaLibrary = await csvTable({ path: CSV, labelColumn: 'digit', seed: 1 });
  const viaRef = await load(CSV);
  assert.deepEqual(viaLibrary.spec, viaRef.spec);
  assert.deepEqual(viaLibrary.test.x, viaRef.test.x);
});

// test/fixtures/datapage_v2.snappy.parquet: from the hyparquet repository (hyparam/hyparquet,
// test/files/, MIT; originally apache/parquet-testing): 5 rows, snappy-compressed data page v2.
const PARQUET = join(import.meta.dirname, '../../../test/fixtures/datapage_v2.snappy.parquet');

test('Parquet (hyparquet): rows as written, a boolean label, lists as categories', async () => {
  const records = await readRecords(PARQUET);
  assert.deepEqual(records.columns, ['a', 'b', 'c', 'd', 'e']);
  assert.deepEqual(records.rows, [
    ['abc', 1, 2, true, '[1,2,3]'],
    ['abc', 2, 3, true, null],
    ['abc', 3, 4, true, null],
    [null, 4, 5, false, '[1,2,3]'],
    ['abc', 5, 2, true, '[1,2]'],
  ]);
  assert.equal(resolveDataSource({ data: PARQUET }).name, 'table');
  const data = await load(PARQUET, { labelColumn: 'd', validationFraction: 0 });
  assert.deepEqual(data.classNames, ['false', 'true']);
  assert.equal(data.train.count + data.test.count, 5);
  const p = data.spec.inputs[0].preprocessing as TablePreprocessing;
  assert.deepEqual(
    p.columns.map((c) => `${c.name}:${c.type}`),
    ['a:categorical', 'b:numeric', 'c:numeric', 'e:categorical'],
  );
  await rejects(
    load(write('fake.parquet', 'PAR1 not really')),
    'data',
    /fake\.parquet: not a readable Parquet file/,
  );
});

test('the split follows --split-seed, never the run seed: every seed of a job sees the same test rows', async () => {
  const rowsOf = async (seed: number, splitSeed?: number) => {
    const data = await loadDataset({
      data: CSV,
      options: { labelColumn: 'digit' },
      seed,
      splitSeed,
    });
    return Buffer.from(data.test.x.buffer).toString('base64');
  };
  const one = await rowsOf(1);
  assert.equal(await rowsOf(2), one, 'run seed 2 drew another split');
  assert.equal(await rowsOf(7, 1), one);
  assert.notEqual(await rowsOf(1, 2), one, '--split-seed 2 kept the same split');
});

test('--validation-size holds out about that many rows (stratified); too many, or with a split column, is refused', async () => {
  const fraction = await load(CSV); // validationFraction 0.1 of 2000 rows, rounded per class
  assert.ok(Math.abs(fraction.validation.count - 200) <= 5, `${fraction.validation.count} rows`);
  const sized = await loadDataset({
    data: CSV,
    options: { labelColumn: 'digit' },
    seed: 1,
    validationSize: 500,
  });
  assert.ok(Math.abs(sized.validation.count - 500) <= 5, `${sized.validation.count} rows`);
  // The test rows do not move: they are carved first, whatever the validation share.
  assert.deepEqual(sized.test.y, fraction.test.y);
  assert.equal(sized.train.count + sized.validation.count + sized.test.count, 2000);
  await assert.rejects(
    loadDataset({ data: CSV, options: { labelColumn: 'digit' }, seed: 1, validationSize: 2000 }),
    (e: DistilleryError) =>
      e.kind === 'usage' && /--validation-size 2000: .* has 2000 labelled examples/.test(e.message),
  );
  const withSplit = write(
    'split-col.csv',
    text
      .trim()
      .split('\n')
      .map(
        (l, i) => `${l},${i === 0 ? 'part' : i % 5 === 0 ? 'test' : i % 7 === 0 ? 'val' : 'train'}`,
      )
      .join('\n'),
  );
  await assert.rejects(
    loadDataset({
      data: withSplit,
      options: { labelColumn: 'digit', splitColumn: 'part' },
      seed: 1,
      validationSize: 100,
    }),
    /has its own validation split \(column 'part'\); drop --validation-size/,
  );
});
