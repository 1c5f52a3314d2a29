// The run report on a real tiny run (trained once through the CLI, ~5 s): its sections, inline
// SVG charts, no network references, comparison numbers equal to results.json, predictions
// recomputed from the saved models equal to the run's; plus confusion counts, the repeat command
// and the `distillery report` command's exit codes.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, rmSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { tf } from '../tf.ts';
import { selectBackend } from '../backend/index.ts';
import { defaultConfig, resolveConfig } from '../config.ts';
import { commands } from '../cli/commands/index.ts';
import { flagsToConfig, type Flags } from '../cli/options.ts';
import type { RunResults } from '../run/record.ts';
import {
  analyseRun,
  comparisonFormats,
  confusionMatrix,
  mostConfusedPairs,
  renderReport,
  reproduceCommand,
  writeReport,
  type ReportData,
} from './html.ts';
import { readRun } from '../run/folder.ts';
import { prefixIds } from './charts.ts';

const BIN = join(import.meta.dirname, '../../bin/distillery.mjs');
const out = mkdtempSync(join(tmpdir(), 'distillery-report-'));
after(() => rmSync(out, { recursive: true, force: true }));

function cli(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 300_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const trained = cli([
  'run',
  '--backend',
  'wasm',
  '--train-limit',
  '2000',
  '--test-limit',
  '500',
  '--validation-size',
  '300',
  '--teacher-arch',
  'mlp:128',
  '--teacher-epochs',
  '1',
  '--student-arch',
  'mlp:16',
  '--student-epochs',
  '2',
  '--out',
  out,
  '--json',
]);
assert.equal(trained.code, 0, trained.stderr);
const results = JSON.parse(trained.stdout) as RunResults;
const runDir = results.runDir;

let analysed: Promise<{ data: ReportData; html: string; leaked: number }> | undefined;
/** The run analysed and rendered once, shared by the tests below. */
function report() {
  analysed ??= (async () => {
    await selectBackend('wasm');
    const before = tf.memory().numTensors;
    const data = await analyseRun(runDir);
    const leaked = tf.memory().numTensors - before;
    return { data, html: await renderReport(data), leaked };
  })();
  return analysed;
}

test('confusion matrix counts true class × predicted class', () => {
  const m = confusionMatrix([0, 0, 1, 2, 2, 2], [0, 1, 1, 2, 0, 0], 3);
  assert.deepEqual(m, [
    [1, 1, 0],
    [0, 1, 0],
    [2, 0, 1],
  ]);
  assert.equal(
    m.flat().reduce((a, b) => a + b, 0),
    6,
  );
  assert.throws(() => confusionMatrix([0], [0, 1], 2), /1 labels but 2 predictions/);
});

test('most confused pairs: off-diagonal only, by count, ties by class', () => {
  const pairs = mostConfusedPairs(
    [
      [9, 3, 1],
      [3, 9, 0],
      [5, 0, 9],
    ],
    3,
  );
  assert.deepEqual(pairs, [
    { actual: 2, predicted: 0, count: 5 },
    { actual: 0, predicted: 1, count: 3 },
    { actual: 1, predicted: 0, count: 3 },
  ]);
  assert.deepEqual(mostConfusedPairs([[4]]), []);
});

/** Parses argv with the CLI's own option table and resolves the config as `run` would. */
async function configFromArgv(argv: string[]) {
  const spec = commands.find((c) => c.name === argv[0])!;
  let flags: Flags = {};
  const cmd = new Command(spec.name).exitOverride();
  spec.configure(cmd);
  cmd.action((f: Flags) => {
    flags = f;
  });
  await cmd.parseAsync(argv.slice(1), { from: 'user' });
  return resolveConfig({}, flagsToConfig(flags));
}

test('the repeat command parses back to the run config', async () => {
  const repro = reproduceCommand('run', results.config, [], defaultConfig);
  assert.deepEqual(repro.inexpressible, []);
  assert.deepEqual(await configFromArgv(repro.argv), results.config);
  assert.match(repro.command, /^distillery run --dataset mnist .*--seed 1 .*--backend wasm/);

  const odd = structuredClone(results.config);
  odd.student.optimizer = 'sgd';
  odd.student.inputDropout = 0.1; // no flag sets it
  odd.dataDir = "/data/it's here";
  const teachers = ['/runs/a/models/teacher', '/runs/b/models/teacher'];
  const distill = reproduceCommand('distill', odd, teachers, defaultConfig);
  assert.deepEqual(distill.inexpressible, ['student.inputDropout']);
  assert.ok(!distill.argv.includes('--teacher-arch'), 'distill takes no teacher flags');
  assert.ok(distill.command.includes(`'/data/it'\\''s here'`), distill.command);
  assert.ok(distill.command.endsWith(`--teacher ${teachers[0]} --teacher ${teachers[1]}`));
  const back = await configFromArgv(distill.argv);
  assert.equal(back.student.optimizer, 'sgd');
  assert.equal(back.dataDir, "/data/it's here");
  assert.deepEqual(reproduceCommand('run', odd, [], defaultConfig).inexpressible, [
    'teacher.optimizer ≠ student.optimizer',
    'student.inputDropout',
  ]);
  // User data and a teacher of another kind: their flags too.
  const user = structuredClone(results.config);
  user.data = '/data/photos';
  user.dataOptions = { imageSize: 64, channels: 1, labelColumn: 'species', skipBadFiles: true };
  user.teacherOptions = {
    kind: 'onnx',
    size: [224, 224],
    layout: 'nchw',
    mean: [0.5],
    std: [0.25],
  };
  user.teacherLogits = '/stores/logits';
  const fromUser = reproduceCommand('distill', user, ['/t.onnx'], defaultConfig);
  assert.deepEqual(fromUser.inexpressible, []);
  const parsed = await configFromArgv(fromUser.argv);
  assert.equal(parsed.data, user.data);
  assert.deepEqual(parsed.dataOptions, user.dataOptions);
  assert.deepEqual(JSON.parse(JSON.stringify(parsed.teacherOptions)), user.teacherOptions);
  assert.equal(parsed.teacherLogits, user.teacherLogits);
  const texts = structuredClone(results.config);
  texts.data = '/data/reviews.jsonl';
  texts.dataOptions = { textField: ['title', 'body'], labelField: 'stars', maxChars: 2000 };
  const textArgv = reproduceCommand('run', texts, [], defaultConfig).argv;
  assert.deepEqual((await configFromArgv(textArgv)).dataOptions, texts.dataOptions);
  // Without defaults, every setting without a flag is listed.
  assert.ok(reproduceCommand('run', results.config).inexpressible.includes('student.inputDropout'));
});

test('the report has every section, inline SVG charts and no network references', async () => {
  const { html, data } = await report();
  for (const id of ['comparison', 'curves', 'errors', 'calibration', 'reproduce'])
    assert.match(html, new RegExp(`<h2 id="${id}">`), id);
  assert.match(html, /^<!doctype html>/);
  // ROC (one-vs-rest), learning curves (loss, validation, learning rate), 2 confusion matrices,
  // 3 reliability diagrams
  assert.equal((html.match(/<svg /g) ?? []).length, 9);
  assert.ok(!/<script|<link|@import|<iframe/i.test(html), 'no scripts or external resources');
  const withoutNamespaces = html.replace(/xmlns(:\w+)?="http:\/\/www\.w3\.org\/[^"]*"/g, '');
  assert.deepEqual(withoutNamespaces.match(/https?:\/\/\S*/g), null);
  assert.ok(!/src="(?!data:)/.test(html), 'every image is a data URI');
  // SVG ids are unique across the page (clip paths of one chart must not hit another's).
  const ids = [...html.matchAll(/\bid="([^"]+)"/g)].map((m) => m[1]);
  assert.equal(new Set(ids).size, ids.length);
  // the error grid: one image per misclassified example shown, with both predictions
  assert.equal(data.focus, 'distilled');
  assert.equal((html.match(/<img /g) ?? []).length, data.misclassified.length);
  assert.equal(data.misclassified.length, Math.min(40, data.models[2].errors));
  assert.match(html, /teacher: \d/);
  assert.match(html, /<pre>distillery run --dataset mnist/);
  assert.match(html, /<details><summary>Full run record/);
  assert.match(html, /&quot;seed&quot;: 1/);
});

test('every number in the comparison table is the one in results.json', async () => {
  const { html, data } = await report();
  const rows = [...html.matchAll(/<tr data-model="([^"]+)"[^>]*>(.*?)<\/tr>/g)];
  assert.deepEqual(
    rows.map((r) => r[1]),
    ['teacher', 'scratch', 'distilled'],
  );
  for (const [, name, cells] of rows) {
    const recorded = results.evaluation.rows.find((r) => r.name === name)!;
    const parsed = [...cells.matchAll(/<td data-key="(\w+)" data-value="([^"]*)"[^>]*>([^<]*)</g)];
    const keys = parsed.map((c) => c[1]);
    assert.deepEqual(keys, Object.keys(comparisonFormats), name);
    for (const [, key, value, text] of parsed) {
      const expected =
        key === 'ece'
          ? data.models.find((m) => m.name === name)!.calibration.ece
          : (recorded[key as keyof typeof recorded] as number);
      assert.equal(Number(value), expected, `${name} ${key}`);
      assert.equal(text, comparisonFormats[key as keyof typeof comparisonFormats](expected));
    }
  }
});

test('predictions recomputed from the saved models match the run, without leaking tensors', async () => {
  const { data, leaked } = await report();
  assert.equal(leaked, 0);
  assert.deepEqual(data.notes, []);
  for (const m of data.models) {
    const recorded = results.evaluation.rows.find((r) => r.name === m.name)!;
    assert.equal(m.errors, recorded.errors, m.name);
    const diagonal = m.confusion.reduce((a, row, i) => a + row[i], 0);
    assert.equal(diagonal, recorded.examples - recorded.errors);
    assert.equal(m.calibration.examples, recorded.examples);
    assert.ok(m.calibration.ece >= 0 && m.calibration.ece <= 1);
  }
});

test('a dataset whose examples have no view gets no examples', async () => {
  const { data } = await report();
  const html = await renderReport({ ...data, examples: undefined, misclassified: [] });
  assert.match(html, /have no view in the report .*: no examples shown/);
  assert.equal((html.match(/<img /g) ?? []).length, 0);
});

test('chart ids are prefixed, references too', () => {
  const svg =
    '<svg><clipPath id="clip1"></clipPath><g clip-path="url(#clip1)"></g><use href="#clip1"/></svg>';
  assert.equal(
    prefixIds(svg, 'a'),
    '<svg><clipPath id="a-clip1"></clipPath><g clip-path="url(#a-clip1)"></g><use href="#a-clip1"/></svg>',
  );
});

test('distillery report rebuilds report.html and prints its path', () => {
  const r = cli(['report', runDir, '--backend', 'wasm']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, `${join(runDir, 'report.html')}\n`);
  assert.ok(readFileSync(join(runDir, 'report.html'), 'utf8').includes('id="calibration"'));
});

test('writeReport writes where it is told; exported models get measured rows', async () => {
  await report(); // the backend is selected
  // An export of the distilled student (here an unchanged copy) must measure like it.
  cpSync(join(runDir, 'models', 'distilled'), join(runDir, 'exports', 'float32'), {
    recursive: true,
  });
  const elsewhere = join(out, 'pages', 'copy.html');
  assert.equal(await writeReport(runDir, { out: elsewhere, maxImages: 3 }), elsewhere);
  const html = readFileSync(elsewhere, 'utf8');
  assert.equal((html.match(/<img /g) ?? []).length, 3);
  const cells = (model: string) =>
    Object.fromEntries(
      [
        ...html
          .match(new RegExp(`<tr data-model="${model}"[^>]*>(.*?)</tr>`))![1]
          .matchAll(/data-key="(\w+)" data-value="([^"]*)"/g),
      ].map((m) => [m[1], Number(m[2])]),
    );
  const exported = cells('exports/float32');
  const distilled = cells('distilled');
  for (const key of ['accuracy', 'errors', 'parameters', 'weightBytes', 'agreement', 'ece'])
    assert.equal(exported[key], distilled[key], key);
  assert.ok(exported.latencyBatch1Ms > 0);
  // Export latencies are measured interleaved with the run's models, whose medians are stated.
  assert.ok(
    /interleaved with the run's models \(median at batch 1 in the same session: teacher [\d.]+ ms, scratch [\d.]+ ms, distilled [\d.]+ ms\)/.test(
      html,
    ),
    'the same-session medians are stated',
  );
});

test('distillery report on a folder that is not a finished run: exit 2, one line', () => {
  const empty = join(out, 'empty');
  mkdirSync(empty);
  const cases: [string, RegExp][] = [
    [empty, /is not a Distillery run folder \(no results\.json/],
    [join(out, 'missing'), /does not exist/],
  ];
  const unfinished = join(out, 'unfinished');
  mkdirSync(unfinished);
  writeFileSync(join(unfinished, 'config.json'), JSON.stringify({ command: 'run' }));
  cases.push([unfinished, /did not finish; continue it with 'distillery run --resume/]);
  for (const [dir, message] of cases) {
    const r = cli(['report', dir]);
    assert.equal(r.code, 2, `${dir}: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.equal(r.stdout, '');
  }
  assert.throws(() => readRun(empty), /not a Distillery run folder/);
});
