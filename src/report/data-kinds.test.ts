// The report of runs on the data kinds users bring, each made for real through the CLI (a few
// hundred examples, 1–2 epochs): a folder of colour photos (Fashion-MNIST images tinted per class,
// 32×32×3) shows class names, per-class P/R/F1, macro-F1 and colour thumbnails; a CSV table shows
// the misclassified rows' column values; SpamAssassin mails show escaped, capped excerpts and ROC
// curves (spam against ham) whose AUC is results.json's. The text run uses a learning-rate
// schedule, drawn per epoch with the validation metrics.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tf } from '../tf.ts';
import { selectBackend } from '../backend/index.ts';
import { loadDataset, datasetRefOf, loadFashionMnist } from '../data/index.ts';
import type { RunResults } from '../run/record.ts';
import { analyseRun, renderReport, type ReportData } from './html.ts';
import { excerpt, TEXT_EXCERPT_CHARS } from './examples.ts';
import { misclassifiedSection } from './misclassified.ts';
import { modelRoc } from './roc.ts';
import { assertCleanPage, assertTableMatchesResults, runJson } from './testing.ts';

const out = mkdtempSync(join(tmpdir(), 'distillery-report-kinds-'));
after(() => rmSync(out, { recursive: true, force: true }));
const runs = join(out, 'runs');
const COMMON = ['--backend', 'cpu', '--batch-size', '25', '--out', runs];
await selectBackend('cpu');

/** assert.match without printing a whole page on failure. */
const has = (html: string, re: RegExp) => assert.ok(re.test(html), `the page matches ${re}`);

async function reportOf(results: RunResults) {
  const before = tf.memory().numTensors;
  const data = await analyseRun(results.runDir);
  assert.equal(tf.memory().numTensors - before, 0, 'no tensor leaks');
  const html = await renderReport(data);
  assertCleanPage(html);
  assertTableMatchesResults(html, results, data);
  assert.deepEqual(data.notes, []);
  return { data, html };
}

const unescape = (s: string) =>
  s
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, '&');

/** Hues per class: the photos are colour, and the colour carries information. */
const TINTS = [
  [1, 0.3, 0.3],
  [0.3, 1, 0.3],
  [0.3, 0.3, 1],
  [1, 1, 0.3],
  [1, 0.3, 1],
  [0.3, 1, 1],
  [1, 0.6, 0.2],
  [0.6, 0.2, 1],
  [0.2, 0.6, 0.6],
  [0.8, 0.8, 0.8],
];
const photos = join(out, 'photos');

before(async () => {
  const { default: sharp } = await import('sharp');
  const data = await loadFashionMnist({ trainLimit: 400, validationSize: 0, splits: ['train'] });
  const names = data.classNames.map((n) => n.replace(/[^A-Za-z0-9_-]+/g, '-'));
  for (let i = 0; i < 400; i++) {
    const label = data.train.y[i];
    const rgb = Buffer.alloc(28 * 28 * 3);
    for (let p = 0; p < 28 * 28; p++) {
      const v = data.train.x[i * 784 + p];
      const ink = data.train.x instanceof Uint8Array ? v : Math.round(v * 255);
      for (let c = 0; c < 3; c++) rgb[p * 3 + c] = Math.round(ink * TINTS[label][c]);
    }
    mkdirSync(join(photos, names[label]), { recursive: true });
    await sharp(rgb, { raw: { width: 28, height: 28, channels: 3 } })
      .png()
      .toFile(join(photos, names[label], `${String(i).padStart(4, '0')}.png`));
  }
});

test('an image-folder run: class names, per-class metrics, macro-F1, colour thumbnails', async () => {
  const results = await runJson([
    'run',
    ...['--data', photos, '--validation-size', '50'],
    ...['--teacher-arch', 'mlp:32', '--teacher-epochs', '1'],
    ...['--student-arch', 'mlp:16', '--student-epochs', '1'],
    ...COMMON,
  ]);
  assert.deepEqual(results.dataset.spec?.inputs[0].shape, [32, 32, 3]);
  const { data, html } = await reportOf(results);
  assert.equal(data.examples?.layout, 'image');
  // Per class: every model's F1, the focus model's precision and recall, macro-F1, by class name.
  const distilled = results.evaluation.rows.find((r) => r.name === 'distilled')!;
  for (const [k, c] of distilled.perClass!.entries()) {
    const cells = [
      c.name,
      c.support,
      ...results.evaluation.rows.map((r) => r.perClass![k].f1.toFixed(3)),
      c.precision.toFixed(3),
      c.recall.toFixed(3),
    ];
    has(
      html,
      new RegExp(
        `<tr>${cells.map((v, i) => `<td${i === 0 ? ' class="text"' : ''}>${v}</td>`).join('')}</tr>`,
      ),
    );
  }
  assert.equal(distilled.perClass![0].name, 'Ankle-boot');
  for (const r of results.evaluation.rows)
    has(html, new RegExp(`${r.name} ${r.macroF1!.toFixed(4)}`));
  // Thumbnails: 32×32 RGB PNGs in colour, with class names for truth and predictions.
  const { default: sharp } = await import('sharp');
  const uris = [
    ...html.matchAll(/<img alt="test example \d+" src="data:image\/png;base64,([^"]+)"/g),
  ];
  assert.equal(uris.length, data.misclassified.length);
  assert.ok(uris.length > 0);
  // Over every thumbnail: one class's tint is grey, so a single one may have no colour.
  let coloured = 0;
  for (const uri of uris) {
    const { data: pixels, info } = await sharp(Buffer.from(uri[1], 'base64'))
      .raw()
      .toBuffer({ resolveWithObject: true });
    assert.deepEqual([info.width, info.height, info.channels], [32, 32, 3]);
    for (let p = 0; p < pixels.length; p += 3)
      if (Math.abs(pixels[p] - pixels[p + 1]) > 20 || Math.abs(pixels[p] - pixels[p + 2]) > 20)
        coloured++;
  }
  assert.ok(coloured > 20, `${coloured} coloured pixels in ${uris.length} thumbnails`);
  const first = data.misclassified[0];
  has(html, new RegExp(`true: <b>${data.classNames[first.actual]}</b>`));
  // One-vs-rest ROC for 10 classes.
  has(html, /<h2 id="roc">ROC curves<\/h2>\n<p>Each class against the rest/);
});

test('a CSV run shows the misclassified rows as their column values', async () => {
  const csv = readFileSync(
    join(import.meta.dirname, '../../test/fixtures/mnist-features.csv'),
    'utf8',
  )
    .split('\n')
    .slice(0, 401);
  const path = join(out, 'table.csv');
  writeFileSync(path, csv.join('\n') + '\n');
  const results = await runJson([
    'run',
    ...['--data', path, '--label-column', 'digit', '--validation-size', '50'],
    ...['--teacher-arch', 'mlp:64', '--teacher-epochs', '2'],
    ...['--student-arch', 'mlp:8', '--student-epochs', '1'],
    ...COMMON,
  ]);
  const { data, html } = await reportOf(results);
  assert.equal(data.examples?.layout, 'row');
  assert.ok(data.misclassified.length > 0);
  assert.equal((html.match(/<img /g) ?? []).length, 0);
  const header = csv[0].split(',');
  const features = header.filter((c) => c !== 'digit');
  assert.deepEqual(data.examples?.columns, features);
  has(html, /<h3>Test rows the distilled model gets wrong<\/h3>/);
  // Each row shown is a row of the file (values within rounding), labelled with its true digit.
  const fileRows = csv.slice(1).map((line) => {
    const v = line.split(',');
    return Object.fromEntries(header.map((c, i) => [c, v[i]]));
  });
  for (const e of data.misclassified) {
    assert.equal(e.view.kind, 'row');
    if (e.view.kind !== 'row') continue;
    const cells = e.view.cells;
    const match = fileRows.find(
      (row) =>
        row.digit === data.classNames[e.actual] &&
        features.every((c, i) =>
          /^[a-z-]+$/.test(row[c])
            ? row[c] === cells[i]
            : Math.abs(Number(row[c]) - Number(cells[i])) <= 1e-3 * (1 + Math.abs(Number(row[c]))),
        ),
    );
    assert.ok(match, `test #${e.index} (${cells.join(',')}) is a row of the file`);
  }
});

test('the examples section escapes what it shows', () => {
  const evil = '<script>alert("x")</script> & <b>bold</b>';
  const html = misclassifiedSection({
    model: 'distilled <i>',
    errors: 2,
    layout: 'text',
    className: (c) => ['ham', 'spam & <eggs>'][c],
    examples: [
      {
        index: 0,
        actual: 1,
        predicted: 0,
        confidence: 0.9,
        teacher: 1,
        view: { kind: 'text', ...excerpt(evil) },
      },
    ],
  });
  assert.ok(!html.includes('<script>') && !html.includes('<b>bold') && !html.includes('<i>'));
  assert.ok(
    html.includes(
      '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;',
    ),
  );
  assert.ok(html.includes('spam &amp; &lt;eggs&gt;'));
  const long = excerpt(`${'word '.repeat(200)}\n\n  end`);
  assert.ok([...long.text].length <= TEXT_EXCERPT_CHARS && long.text.length > 300);
  assert.ok(long.text.endsWith('…'));
  assert.equal(long.characters, 1007);
  assert.deepEqual(excerpt('a\n\tb  c'), { text: 'a b c', characters: 7 });
});

test('a text run: escaped message excerpts, ROC curves with results.json AUC, the schedule drawn', async () => {
  const config = join(out, 'schedule.json');
  const schedule = { shape: 'cosine', per: 'epoch', warmupEpochs: 1, warmupStartFactor: 0.2 };
  writeFileSync(
    config,
    JSON.stringify({ teacher: { lrSchedule: schedule }, student: { lrSchedule: schedule } }),
  );
  const results = await runJson([
    'run',
    ...['--config', config, '--dataset', 'spam-assassin'],
    ...['--train-limit', '400', '--test-limit', '200', '--validation-size', '100'],
    ...['--teacher-arch', 'embbag:16', '--teacher-epochs', '2', '--teacher-lr', '0.01'],
    ...['--student-arch', 'embbag:4', '--student-epochs', '2', '--student-lr', '0.01'],
    ...COMMON,
  ]);
  const { data, html } = await reportOf(results);
  assert.equal(data.examples?.layout, 'text');
  // Messages: the excerpt of the very test text, escaped, capped.
  const reloaded = await loadDataset({ ...datasetRefOf(results.config), splits: ['test'] });
  const cells = [
    ...html.matchAll(
      /<td class="text message">(.*?)<span class="muted"> \(([\d,]+) characters\)<\/span><\/td>/g,
    ),
  ];
  assert.equal(cells.length, data.misclassified.length);
  assert.ok(cells.length > 0);
  data.misclassified.forEach((e, k) => {
    const [, shown, characters] = cells[k];
    assert.ok(!/[<>"]/.test(shown), `test #${e.index} is escaped`);
    const text = reloaded.test.texts![e.index];
    assert.equal(unescape(shown), excerpt(text).text);
    assert.ok([...unescape(shown)].length <= TEXT_EXCERPT_CHARS);
    assert.equal(Number(characters.replace(/,/g, '')), [...text].length);
  });
  // Error rates per corpus folder, hard ham among them, as results.json has them.
  const distilled = results.evaluation.rows.find((r) => r.name === 'distilled')!;
  assert.ok('hard-ham-1' in distilled.groupErrorRates!);
  for (const [group, rate] of Object.entries(distilled.groupErrorRates!))
    has(
      html,
      new RegExp(
        `<tr><td class="text">${group}</td>(<td>[^<]*</td>)*<td>${(100 * rate).toFixed(2)}%</td></tr>`,
      ),
    );
  // ROC: spam against ham; the AUC shown is results.json's, and the curve's area equals it.
  has(html, /<h2 id="roc">ROC curves<\/h2>\n<p>spam against ham/);
  for (const r of results.evaluation.rows) {
    has(html, new RegExp(`<td class="text">${r.name}</td><td>${r.binary!.rocAuc.toFixed(4)}</td>`));
    const m = data.models.find((a) => a.name === r.name)!;
    const roc = modelRoc(r.name, m.logits, data.labels, m.classes);
    assert.ok(
      Math.abs(roc.auc - r.binary!.rocAuc) < 1e-9,
      `${r.name}: ${roc.auc} vs ${r.binary!.rocAuc}`,
    );
    has(html, new RegExp(`${r.name} \\(AUC ${r.binary!.rocAuc.toFixed(3)}\\)`));
  }
  // Curves: the warm-up then cosine rates per epoch, as metrics.json recorded them.
  assertCurves(html, data);
  const rates = data.run.metrics.distilled.map((r) => r.learningRate);
  assert.equal(rates.length, 2);
  assert.ok(Math.abs(rates[0]! - 0.002) < 1e-12 && Math.abs(rates[1]! - 0.01) < 1e-12, `${rates}`);
  has(html, /student: cosine from 0\.01 per epoch after 1 warm-up epoch/);
});

/** Learning-rate and validation charts are drawn and the epoch table lists each rate. */
function assertCurves(html: string, data: ReportData) {
  has(html, /learning rate per epoch/);
  has(html, /validation metrics per epoch/);
  for (const [stage, history] of Object.entries(data.run.metrics))
    for (const r of history)
      has(
        html,
        new RegExp(
          `<tr><td class="text">${stage}</td><td>${r.epoch}</td>.*?<td>${r.learningRate!.toPrecision(4)}</td>`,
        ),
      );
}
