// Runs every *.test.ts under src/ and test/ with node's test runner (through tsx).
// Usage: node scripts/test.mjs [substring filter...]
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

function walk(dir, out = []) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path, out);
    else if (name.endsWith('.test.ts')) out.push(path);
  }
  return out;
}

const filters = process.argv.slice(2);
const files = ['src', 'test']
  .flatMap((d) => walk(d))
  .filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)))
  .sort();
if (files.length === 0) {
  console.error(`no test files match ${filters.join(' ')}`);
  process.exit(1);
}
// Two test files at a time: one file uses about 1.1 cores on average (much of it is one JS
// thread), so on the 2-core CI machine a second file fills the idle core. Timing assertions in
// the tests are lower bounds or loose upper bounds for this reason. DISTILLERY_TEST_CONCURRENCY
// overrides it (1 = one file at a time, e.g. to read a failure's output in order).
const concurrency = Number(process.env.DISTILLERY_TEST_CONCURRENCY ?? 2);
if (!Number.isInteger(concurrency) || concurrency < 1) {
  console.error(
    `DISTILLERY_TEST_CONCURRENCY must be a whole number >= 1, got '${process.env.DISTILLERY_TEST_CONCURRENCY}'`,
  );
  process.exit(2);
}
const result = spawnSync(
  process.execPath,
  [
    '--import',
    'tsx',
    '--test',
    `--test-concurrency=${concurrency}`,
    '--test-reporter=spec',
    ...files,
  ],
  { stdio: 'inherit' },
);
process.exit(result.status ?? 1);
