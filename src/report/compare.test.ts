// Runs side by side, on hand-made run folders (results.json + metrics.json, no training): which
// settings differ, labels, the text table and gain, and the `distillery compare` command's output,
// HTML page and exit codes.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultConfig } from '../config.ts';
import type { RunResults } from '../run/record.ts';
import { compareRuns, comparisonText, renderComparisonHtml } from './compare.ts';

const BIN = join(import.meta.dirname, '../../bin/distillery.mjs');
const root = mkdtempSync(join(tmpdir(), 'distillery-compare-'));
after(() => rmSync(root, { recursive: true, force: true }));

function cli(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A finished run folder with made-up numbers. */
function fakeRun(
  dir: string,
  change: (config: RunResults['config']) => void,
  accuracy: { teacher: number; scratch: number; distilled: number },
): string {
  const config = structuredClone(defaultConfig);
  config.outDir = dir; // differs between runs, and must not count as a difference
  change(config);
  const summary = {
    teacherAccuracy: accuracy.teacher,
    scratchAccuracy: accuracy.scratch,
    distilledAccuracy: accuracy.distilled,
    distillationGain: accuracy.distilled - accuracy.scratch,
    compression: 30,
  };
  const results = {
    distillery: '0.1.0',
    createdAt: '2026-01-01T00:00:00.000Z',
    runDir: dir,
    command: 'run',
    config,
    backend: { requested: 'wasm', name: 'wasm', description: 'wasm (patched matmul)', threads: 1 },
    dataset: { name: 'mnist', source: '-', preprocessing: '-', train: 1, validation: 1, test: 1 },
    method: { name: 'kd', params: {} },
    stages: {},
    evaluation: { split: 'test', rows: [] },
    summary,
    seconds: 1,
  };
  const epochs = (acc: number) =>
    [1, 2].map((epoch) => ({
      epoch,
      terms: { hard: 1 / epoch },
      loss: 1 / epoch,
      validationAccuracy: acc - 0.05 / epoch,
      seconds: 1,
      samplesPerSecond: 100,
    }));
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'results.json'), JSON.stringify(results));
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ command: 'run', config }));
  writeFileSync(
    join(dir, 'metrics.json'),
    JSON.stringify({ scratch: epochs(accuracy.scratch), distilled: epochs(accuracy.distilled) }),
  );
  return dir;
}

const a = fakeRun(join(root, 'a'), () => {}, { teacher: 0.98, scratch: 0.95, distilled: 0.962 });
const b = fakeRun(
  join(root, 'b'),
  (c) => {
    c.method.temperature = 8;
  },
  { teacher: 0.98, scratch: 0.95, distilled: 0.9456 },
);
const c = fakeRun(
  join(root, 'c'),
  (c) => {
    c.method.temperature = 8;
    c.seed = 2;
  },
  { teacher: 0.97, scratch: 0.94, distilled: 0.95 },
);

test('only the settings that differ are columns; the rest is common', () => {
  const comparison = compareRuns([a, b, c]);
  assert.deepEqual(comparison.differences, ['seed', 'method.temperature']);
  assert.deepEqual(
    comparison.runs.map((r) => [r.label, r.settings.seed, r.settings['method.temperature']]),
    [
      ['a', 1, defaultConfig.method.temperature],
      ['b', 1, 8],
      ['c', 2, 8],
    ],
  );
  assert.equal(comparison.common.dataset, 'mnist');
  assert.equal(comparison.common.command, 'run');
  assert.ok(!('outDir' in comparison.common), 'where a run was written is not a setting');
  assert.equal(comparison.runs[0].distillationGain, 0.962 - 0.95);
});

test('the text table shows settings, accuracies and signed gains', () => {
  const text = comparisonText(compareRuns([a, b, c]));
  const [header, , ...rows] = text.split('\n');
  assert.match(header, /^run\s+seed\s+method\.temperature\s+teacher\s+scratch\s+distilled\s+gain/);
  assert.match(
    rows[0],
    new RegExp(
      `^a\\s+1\\s+${defaultConfig.method.temperature}\\s+98\\.00%\\s+95\\.00%\\s+96\\.20%\\s+\\+1\\.20$`,
    ),
  );
  assert.match(rows[1], /^b\s+1\s+8\s+98\.00%\s+95\.00%\s+94\.56%\s+−0\.44$/);
  assert.match(text, /other settings are the same in every run/);
  assert.match(comparisonText(compareRuns([a, a])), /same settings/);
});

test('runs with the same folder name are labelled by their path', () => {
  const other = fakeRun(join(root, 'elsewhere', 'a'), () => {}, {
    teacher: 0.9,
    scratch: 0.9,
    distilled: 0.9,
  });
  const labels = compareRuns([a, other, b]).runs.map((r) => r.label);
  assert.deepEqual(labels, [a, other, 'b']);
});

test('the HTML page is self-contained and links each run report', async () => {
  writeFileSync(join(a, 'report.html'), '<!doctype html>');
  const file = join(root, 'pages', 'compare.html');
  const html = await renderComparisonHtml(compareRuns([a, b]), file);
  assert.match(html, /<svg /);
  assert.ok(!/<script|<link/i.test(html));
  const withoutNamespaces = html.replace(/xmlns(:\w+)?="http:\/\/www\.w3\.org\/[^"]*"/g, '');
  assert.deepEqual(withoutNamespaces.match(/https?:\/\//g), null);
  assert.match(html, /<a href="\.\.\/a\/report\.html">a<\/a>/);
  assert.ok(!html.includes('b/report.html'), 'no link to a report that does not exist');
});

test('distillery compare: table on stdout, --json, --out', () => {
  const text = cli(['compare', a, b]);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /method\.temperature/);
  assert.match(text.stdout, /\+1\.20/);

  const out = join(root, 'out', 'cmp.html');
  const json = cli(['compare', a, b, c, '--json', '--out', out]);
  assert.equal(json.code, 0, json.stderr);
  const parsed = JSON.parse(json.stdout);
  assert.equal(parsed.runs.length, 3);
  assert.deepEqual(parsed.differences, ['seed', 'method.temperature']);
  assert.equal(parsed.html, out);
  assert.match(readFileSync(out, 'utf8'), /^<!doctype html>/);
});

test('distillery compare with a folder that is not a run: exit 2, one line', () => {
  const empty = join(root, 'empty');
  mkdirSync(empty);
  const r = cli(['compare', a, empty]);
  assert.equal(r.code, 2);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /^distillery: .*empty is not a Distillery run folder/);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  const broken = join(root, 'broken');
  mkdirSync(broken);
  writeFileSync(join(broken, 'results.json'), '{"not": "results"');
  const bad = cli(['compare', broken]);
  assert.equal(bad.code, 6);
  assert.match(bad.stderr, /results\.json is unreadable/);
  assert.equal(cli(['compare']).code, 2); // missing argument (commander)
});
