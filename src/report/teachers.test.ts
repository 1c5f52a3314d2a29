// The report of runs distilled from teachers Distillery did not train: the PyTorch-made ONNX
// fixture, the tfjs graph-model fixture (both run again on the test split: their accuracy,
// agreement, confusion and calibration), and a logit store (which serves only the rows it
// labelled: stated in the table, never NaN). Each run is real: 400 MNIST images, 1 epoch.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tf } from '../tf.ts';
import { selectBackend } from '../backend/index.ts';
import type { RunResults } from '../run/record.ts';
import { analyseRun, renderReport } from './html.ts';
import { assertCleanPage, assertTableMatchesResults, comparisonCells, runJson } from './testing.ts';

const fixtures = join(import.meta.dirname, '../../test/fixtures');
const out = mkdtempSync(join(tmpdir(), 'distillery-report-teachers-'));
after(() => rmSync(out, { recursive: true, force: true }));

const DATA = ['--train-limit', '400', '--validation-size', '100', '--backend', 'cpu'];
const STUDENT = [
  ...['--test-limit', '200', '--student-arch', 'mlp:16', '--student-epochs', '1'],
  ...['--batch-size', '50', '--out', join(out, 'runs')],
];
await selectBackend('cpu');

/** assert.match without printing a whole page on failure. */
const has = (html: string, re: RegExp) => assert.ok(re.test(html), `the page matches ${re}`);

/** The run's report, analysed in this process; tensors counted around it. */
async function reportOf(results: RunResults) {
  const before = tf.memory().numTensors;
  const data = await analyseRun(results.runDir);
  const leaked = tf.memory().numTensors - before;
  return { data, html: await renderReport(data), leaked };
}

for (const [kind, teacher] of [
  ['onnx', join(fixtures, 'mnist-cnn.onnx')],
  ['graph-model', join(fixtures, 'graph-mlp', 'graph')],
] as const) {
  test(`a run distilled from the ${kind} fixture: the teacher is run again on the test split`, async () => {
    const results = await runJson(['distill', '--teacher', teacher, ...DATA, ...STUDENT]);
    assert.equal(results.teacher?.kind, kind);
    const { data, html, leaked } = await reportOf(results);
    assert.equal(leaked, 0);
    assertCleanPage(html);
    assertTableMatchesResults(html, results, data);
    assert.deepEqual(data.notes, []);
    assert.deepEqual(
      data.models.map((m) => m.name),
      ['teacher', 'scratch', 'distilled'],
    );
    const recorded = results.evaluation.rows.find((r) => r.name === 'teacher')!;
    assert.equal(data.models[0].errors, recorded.errors, 'the same predictions as the run');
    assert.ok(recorded.accuracy > 0.8, `teacher accuracy ${recorded.accuracy}`);
    assert.equal(
      comparisonCells(html).get('distilled')!.agreement[0],
      results.evaluation.rows[2].agreement,
    );
    has(html, /agreement<br>with teacher/);
    has(html, new RegExp(`teacher loaded from ${teacher.replace(/[.]/g, '\\.')}`));
    // The teacher gets a confusion matrix, a reliability diagram, per-class F1 and error columns.
    assert.match(
      html,
      /<h3>Most confused pairs \(distilled\)<\/h3>\n<table><thead><tr><th class="text">true class<\/th><th class="text">predicted as<\/th><th>distilled<\/th><th>teacher<\/th>/,
    );
    has(html, /<th>F1 teacher<\/th>/);
    assert.equal(recorded.perClass?.length, 10);
    assert.equal((html.match(/<svg /g) ?? []).length, 1 + 3 + 2 + 3);
    assert.ok(data.misclassified.some((e) => e.teacher !== undefined));
  });
}

test('a run distilled from a logit store: the teacher row says why it has no test numbers', async () => {
  const trained = await runJson([
    'train-teacher',
    ...DATA,
    ...['--test-limit', '50', '--teacher-arch', 'mlp:32', '--teacher-epochs', '1'],
    ...['--out', join(out, 'teacher-runs')],
  ]);
  const store = join(out, 'logits');
  await runJson([
    'label',
    '--teacher',
    join(trained.runDir, 'models', 'teacher'),
    ...DATA,
    '--out',
    store,
  ]);
  const results = await runJson(['distill', '--teacher-logits', store, ...DATA, ...STUDENT]);
  const { data, html, leaked } = await reportOf(results);
  assert.equal(leaked, 0);
  assertCleanPage(html);
  assertTableMatchesResults(html, results, data);
  assert.deepEqual(
    data.models.map((m) => m.name),
    ['scratch', 'distilled'],
  );
  assert.deepEqual(data.notes, []);
  assert.equal(data.unmeasured.length, 1);
  const row = html.match(/<tr data-model="teacher" class="unmeasured">(.*?)<\/tr>/)![1];
  assert.match(row, new RegExp(`logit store ${store}`));
  assert.match(row, /labelled by the layers teacher .*on 300 rows of mnist train/);
  assert.match(row, /serves only the rows it labelled/);
  assert.ok(!/<td data-key/.test(row), 'no number cells for a teacher without predictions');
  has(html, new RegExp(`teacher: logit-store ${store}`));
  assert.ok(!/with teacher/.test(html), 'no agreement with a teacher that made no predictions');
});
