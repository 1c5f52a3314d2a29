// The run report: one self-contained report.html per run folder (inline CSS, SVG and PNG data
// URIs; no scripts, fonts or links to the network). It needs only the run folder: it reads
// results.json, metrics.json and config.json, reloads the saved models and the run's test split,
// and recomputes predictions for the confusion matrices, the error grid and calibration.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { cpus, platform, arch } from 'node:os';
import { basename, dirname, join, relative, resolve } from 'node:path';
import type { LayersModel } from '../tf.ts';
import type { RunConfig } from '../config.ts';
import type { RunResults } from '../run/record.ts';
import { readRun, type RunRecord } from '../run/folder.ts';
import type { EpochRecord } from '../train/loop.ts';
import type { ModelEvaluation } from '../eval/evaluate.ts';
import type { Dataset } from '../data/index.ts';
import type { ModelJson } from '../models/io.ts';
import { baselineOf, formatBytes, sizeComparison, verdictOf } from './table.ts';
import { autoTuneSection } from './auto-tune.ts';
import { escapeHtml, percent, simpleTable } from './markup.ts';
export { escapeHtml, percent } from './markup.ts';
import {
  calibrationOf,
  DEFAULT_CALIBRATION_BINS,
  softmaxRows,
  topPredictions,
  type Calibration,
} from './calibration.ts';
import {
  confusionSpec,
  auxiliaryMetricsSpec,
  learningRateSpec,
  lossCurvesSpec,
  reliabilitySpec,
  renderChart,
  validationCurvesSpec,
} from './charts.ts';
import { misclassifiedSection } from './misclassified.ts';
import { rocSection } from './roc.ts';
import { exampleViewer, type ExampleView, type ExampleViewer } from './examples.ts';
import { openRunModels, type UnmeasuredModel } from './models.ts';
import type { Teacher } from '../teachers/teacher.ts';

// ---------------------------------------------------------------------------------------------
// Reading a run folder

// ---------------------------------------------------------------------------------------------
// Metrics computed from predictions

/** counts[actual][predicted]. */
export function confusionMatrix(
  actual: ArrayLike<number>,
  predicted: ArrayLike<number>,
  classes: number,
): number[][] {
  if (actual.length !== predicted.length)
    throw new RangeError(`${actual.length} labels but ${predicted.length} predictions`);
  const counts = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  for (let i = 0; i < actual.length; i++) counts[actual[i]][predicted[i]]++;
  return counts;
}

export interface ConfusedPair {
  actual: number;
  predicted: number;
  count: number;
}

/** Off-diagonal cells by decreasing count (ties: by true class, then predicted class). */
export function mostConfusedPairs(matrix: number[][], limit = 10): ConfusedPair[] {
  const pairs: ConfusedPair[] = [];
  matrix.forEach((row, actual) =>
    row.forEach((count, predicted) => {
      if (actual !== predicted && count > 0) pairs.push({ actual, predicted, count });
    }),
  );
  pairs.sort((a, b) => b.count - a.count || a.actual - b.actual || a.predicted - b.predicted);
  return pairs.slice(0, limit);
}

// ---------------------------------------------------------------------------------------------
// Analysis: models and data reloaded from the run folder

/** A row of the comparison table: a ModelEvaluation plus its calibration error if known. */
export interface ReportRow extends ModelEvaluation {
  /** Expected calibration error (15 bins) on the test split. */
  ece?: number;
  /** Where the row comes from when it is not one of the run's three models, e.g. 'exports/int8'. */
  source?: string;
}

export interface ModelAnalysis {
  name: string;
  predicted: Int32Array;
  confidence: Float32Array;
  calibration: Calibration;
  confusion: number[][];
  errors: number;
  /** Test logits, [examples, classes] row-major. */
  logits: Float32Array;
  classes: number;
}

export interface MisclassifiedExample {
  index: number;
  actual: number;
  predicted: number;
  confidence: number;
  /** The teacher's top-1 on the same example, if the report has a teacher. */
  teacher?: number;
  /** The example as the report shows it (thumbnail, table row or text excerpt). */
  view: ExampleView;
}

export interface ReportData {
  run: RunRecord;
  classNames: string[];
  /** Test labels of the recomputed split. */
  labels: Int32Array;
  models: ModelAnalysis[];
  /** The model the error analysis is about (the distilled student when there is one). */
  focus?: string;
  misclassified: MisclassifiedExample[];
  /** How the data's examples are shown, if its kind has a view (see examples.ts). */
  examples?: { layout: ExampleViewer['layout']; columns?: string[] };
  /** Run models the report has no test predictions of, and why (e.g. a logit store). */
  unmeasured: UnmeasuredModel[];
  extraRows: ReportRow[];
  /** Things the reader should know (missing models, recomputation differences…). */
  notes: string[];
  environment: Record<string, string>;
}

export interface ReportOptions {
  /** Output file (default <runDir>/report.html). */
  out?: string;
  /**
   * Extra rows for the comparison table, shown after the run's models. Besides these, every
   * model folder under <runDir>/exports/ (e.g. exports/uint8/model.json, as `distillery export
   * --quantize all --out <runDir>/exports` writes them) gets a row measured by the report.
   */
  extraRows?: ReportRow[];
  /** Most misclassified test images to show (default 40). */
  maxImages?: number;
  /** Calibration bins (default 15). */
  bins?: number;
}

const STAGE_ORDER = ['teacher', 'scratch', 'distilled'];
/** Table order: teacher, its ensemble members, scratch, distilled, anything else. */
const rank = (name: string) =>
  name.startsWith('teacher ')
    ? 0.5
    : STAGE_ORDER.indexOf(name) === -1
      ? 9
      : STAGE_ORDER.indexOf(name);

/** Loads what the report needs; uses whichever tfjs backend is active. */
export async function analyseRun(runDir: string, options: ReportOptions = {}): Promise<ReportData> {
  // TensorFlow.js loads here, not with this module: reading run folders (compare, errors) stays quick.
  const [
    { tf },
    { loadDataset, datasetRefOf },
    { loadModel },
    { measureLatencies },
    { computeTeacherLogits },
    { layersTeacher },
    { parameterCount },
  ] = await Promise.all([
    import('../tf.ts'),
    import('../data/index.ts'),
    import('../models/io.ts'),
    import('../eval/evaluate.ts'),
    import('../distill/teacher-cache.ts'),
    import('../teachers/layers.ts'),
    import('../models/index.ts'),
  ]);
  const run = readRun(runDir);
  const { results } = run;
  const config = results.config;
  const notes: string[] = [];
  const bins = options.bins ?? DEFAULT_CALIBRATION_BINS;
  const data: Dataset = await loadDataset({ ...datasetRefOf(config), splits: ['test'] });
  if (data.test.count !== results.dataset.test) {
    notes.push(
      `The test split reloaded now has ${data.test.count} examples; the run had ${results.dataset.test}. Confusion matrices, errors and calibration below use the reloaded split.`,
    );
  }

  /** Test predictions of any model, through the Teacher contract. */
  const analyse = async (name: string, teacher: Teacher) => {
    const { logits, classes } = await computeTeacherLogits(teacher, data.test, data.inputShape); // [n, classes]
    const { predicted, confidence } = topPredictions(softmaxRows(logits, classes), classes);
    const correct = predicted.map((p, i) => (p === data.test.y[i] ? 1 : 0));
    const analysis: ModelAnalysis = {
      name,
      predicted,
      confidence,
      calibration: calibrationOf(confidence, correct, bins),
      confusion: confusionMatrix(data.test.y, predicted, classes),
      errors: correct.length - correct.reduce((a, b) => a + b, 0),
      logits,
      classes,
    };
    return analysis;
  };

  // The run's models, as the run evaluated them: a saved folder per stage, or the teacher it was
  // given (any kind, an ensemble with its members), reopened as the teacher stage opened it.
  const opened = await openRunModels(run, data.spec);
  notes.push(...opened.notes);
  const models: ModelAnalysis[] = [];
  const extraRows: ReportRow[] = [];
  try {
    for (const { name, teacher } of opened.opened) {
      const analysis = await analyse(name, teacher);
      const recorded = results.evaluation.rows.find((r) => r.name === name);
      if (
        recorded &&
        recorded.errors !== analysis.errors &&
        data.test.count === recorded.examples
      ) {
        notes.push(
          `Recomputed ${name} predictions give ${analysis.errors} errors where results.json has ${recorded.errors} (backend now: ${tf.getBackend()}; the run used ${results.backend.description}). The table shows results.json.`,
        );
      }
      models.push(analysis);
    }
    models.sort((a, b) => rank(a.name) - rank(b.name));
    const teacher = models.find((m) => m.name === 'teacher');

    // Exported (e.g. quantized) models: measured here, on the same test split; their latency reps
    // interleaved with those of the run's Layers models, so the rows compare within one session.
    const exported = findExports(join(run.runDir, 'exports'));
    if (exported.length) {
      const loadedExports = await Promise.all(exported.map(({ dir }) => loadModel(dir)));
      try {
        const timed: Record<string, LayersModel> = {};
        exported.forEach((e, i) => (timed[e.name] = loadedExports[i]));
        for (const { name, teacher: t } of opened.opened) if (t.model) timed[name] ??= t.model;
        const batch1 = measureLatencies(timed, 1, 30);
        const batch256 = measureLatencies(timed, 256, 7);
        for (const [i, { name, dir }] of exported.entries()) {
          const model = loadedExports[i];
          const a = await analyse(name, layersTeacher(model));
          const n = a.predicted.length;
          extraRows.push({
            name,
            source: 'exports',
            accuracy: 1 - a.errors / n,
            errors: a.errors,
            examples: n,
            parameters: parameterCount(model),
            latencyBatch1Ms: batch1[name].median,
            latencyBatch256MsPerExample: batch256[name].median / 256,
            latencySpread: {
              batch1Ms: [batch1[name].q25, batch1[name].q75],
              batch256MsPerExample: [batch256[name].q25 / 256, batch256[name].q75 / 256],
            },
            weightBytes: weightFileBytes(dir),
            agreement: teacher && agreementOf(a.predicted, teacher.predicted),
            ece: a.calibration.ece,
          });
        }
        const sameSession = Object.keys(timed)
          .filter((n) => !exported.some((e) => e.name === n))
          .map((n) => `${n} ${batch1[n].median.toFixed(3)} ms`);
        notes.push(
          `Rows exports/… are the model folders under exports/, measured when this report was written (backend ${tf.getBackend()}); the other rows come from results.json. Their latency reps were interleaved with the run's models (median at batch 1 in the same session: ${sameSession.join(', ') || 'none'}).`,
        );
      } finally {
        loadedExports.forEach((m) => m.dispose());
      }
    }
  } finally {
    await opened.dispose();
  }
  extraRows.sort((a, b) => b.weightBytes - a.weightBytes || a.name.localeCompare(b.name));
  extraRows.push(...(options.extraRows ?? []));
  const focus =
    models.find((m) => m.name === 'distilled') ??
    models.find((m) => m.name === 'scratch') ??
    models.find((m) => m.name === 'teacher');
  const teacher = models.find((m) => m.name === 'teacher');
  const viewer = exampleViewer(data);
  const misclassified: MisclassifiedExample[] = [];
  if (focus && viewer) {
    const wrong = [...focus.predicted.keys()].filter((i) => focus.predicted[i] !== data.test.y[i]);
    // Most confident mistakes first: those say the most about what the student learned.
    wrong.sort((a, b) => focus.confidence[b] - focus.confidence[a] || a - b);
    for (const index of wrong.slice(0, options.maxImages ?? 40)) {
      misclassified.push({
        index,
        actual: data.test.y[index],
        predicted: focus.predicted[index],
        confidence: focus.confidence[index],
        teacher: teacher && teacher !== focus ? teacher.predicted[index] : undefined,
        view: viewer.view(index),
      });
    }
  }

  return {
    run,
    classNames: data.classNames,
    labels: data.test.y,
    models,
    focus: focus?.name,
    misclassified,
    examples: viewer && { layout: viewer.layout, columns: viewer.columns },
    unmeasured: opened.unmeasured,
    extraRows,
    notes,
    environment: {
      distillery: results.distillery,
      'tfjs (report)': tf.version.tfjs,
      'backend (report)': tf.getBackend(),
      'node (report)': process.version,
      'platform (report)': `${platform()} ${arch()}, ${cpus().length} × ${cpus()[0]?.model?.trim() ?? 'CPU'}`,
    },
  };
}

/** Model folders under `exportsDir` (itself, or up to two levels down), named by their path. */
export function findExports(exportsDir: string): { name: string; dir: string }[] {
  const found: { name: string; dir: string }[] = [];
  const walk = (dir: string, depth: number) => {
    if (hasModel(dir)) found.push({ name: relative(dirname(exportsDir), dir), dir });
    else if (depth < 2 && existsSync(dir) && statSync(dir).isDirectory()) {
      for (const entry of readdirSync(dir).sort()) walk(join(dir, entry), depth + 1);
    }
  };
  walk(exportsDir, 0);
  return found;
}

function agreementOf(a: Int32Array, b: Int32Array): number {
  let same = 0;
  for (let i = 0; i < a.length; i++) if (a[i] === b[i]) same++;
  return same / a.length;
}

const hasModel = (dir: string) => existsSync(join(dir, 'model.json'));

/** Bytes of a saved model's weight files as stored (quantized weights are smaller). */
function weightFileBytes(dir: string): number {
  const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as ModelJson;
  return json.weightsManifest
    .flatMap((g) => g.paths)
    .reduce((sum, p) => sum + statSync(join(dir, p)).size, 0);
}

/** Analyses the run and writes report.html; returns its path. */
export async function writeReport(runDir: string, options: ReportOptions = {}): Promise<string> {
  const data = await analyseRun(runDir, options);
  const out = resolve(options.out ?? join(data.run.runDir, 'report.html'));
  const { writeAtomic } = await import('../io/atomic.ts');
  writeAtomic(out, await renderReport(data));
  return out;
}

// ---------------------------------------------------------------------------------------------
// The command that repeats a run

export interface ReproduceCommand {
  /** Arguments after `distillery`. */
  argv: string[];
  /** The shell line. */
  command: string;
  /** Config keys the flags cannot express (then use --config with the JSON). */
  inexpressible: string[];
}

/** Which commands take a flag: all, those that train a teacher, or those that train students. */
type FlagScope = 'all' | 'teacher' | 'student' | 'distill';

/** Config key → flag of the training commands (src/cli/options.ts and the command table). */
const CONFIG_FLAGS: [
  key: string,
  flag: string,
  scope: FlagScope,
  /** The flag's values (default: one, lists joined by commas); [] = a bare flag; undefined = none. */
  format?: (value: unknown) => string[] | undefined,
][] = [
  ['dataset', '--dataset', 'all'],
  ['data', '--data', 'all'],
  ['dataKind', '--data-kind', 'all'],
  ['transferSet', '--transfer-set', 'student'],
  ['dataOptions.imageSize', '--image-size', 'all'],
  ['dataOptions.channels', '--channels', 'all'],
  ['dataOptions.fit', '--fit', 'all'],
  ['dataOptions.labelColumn', '--label-column', 'all'],
  ['dataOptions.skipBadFiles', '--skip-bad-files', 'all', (v) => (v ? [] : undefined)],
  ['dataOptions.textField', '--text-field', 'all', (v) => (Array.isArray(v) ? v : [v]).map(String)],
  ['dataOptions.labelField', '--label-field', 'all'],
  ['teacherLogits', '--teacher-logits', 'distill'],
  ['teacherOptions.kind', '--teacher-kind', 'distill'],
  ['teacherOptions.inputName', '--teacher-input-name', 'distill'],
  ['teacherOptions.outputName', '--teacher-output-name', 'distill'],
  ['teacherOptions.layout', '--teacher-layout', 'distill'],
  ['teacherOptions.size', '--teacher-size', 'distill', (v) => [(v as number[]).join('x')]],
  ['teacherOptions.mean', '--teacher-mean', 'distill'],
  ['teacherOptions.std', '--teacher-std', 'distill'],
  ['dataDir', '--data-dir', 'all'],
  ['trainLimit', '--train-limit', 'all'],
  ['testLimit', '--test-limit', 'all'],
  ['validationSize', '--validation-size', 'all'],
  ['seed', '--seed', 'all'],
  ['backend', '--backend', 'all'],
  ['threads', '--threads', 'all'],
  ['batchSize', '--batch-size', 'all'],
  ['teacher.arch', '--teacher-arch', 'teacher'],
  ['teacher.epochs', '--teacher-epochs', 'teacher'],
  ['teacher.learningRate', '--teacher-lr', 'teacher'],
  ['teacher.dropout', '--teacher-dropout', 'teacher'],
  ['teacher.inputDropout', '--teacher-input-dropout', 'teacher'],
  ['teacher.shiftPixels', '--shift-pixels', 'teacher'],
  ['student.arch', '--student-arch', 'student'],
  ['student.epochs', '--student-epochs', 'student'],
  ['student.learningRate', '--student-lr', 'student'],
  ['student.dropout', '--student-dropout', 'student'],
  ['student.shiftPixels', '--student-shift-pixels', 'student'],
  ['teacherCache', '--teacher-cache', 'student'],
  ['autoTune', '--auto-tune', 'student'],
  ['ensemble.combine', '--ensemble', 'distill'],
  ['ensemble.weights', '--teacher-weights', 'distill'],
  ['outDir', '--out', 'all'],
];

const METHOD_FLAGS: Record<string, string> = {
  temperature: '--temperature',
  hardWeight: '--hard-weight',
  softWeight: '--soft-weight',
};

/**
 * The `distillery …` command line that reruns a config with flags only. Settings no flag
 * sets (e.g. different teacher and student optimizers) are listed in `inexpressible`: for
 * those, the config file route is exact.
 */
export function reproduceCommand(
  command: string,
  config: RunConfig,
  teacherDirs: string[] = [],
  /** The defaults a setting without a flag falls back to (without: all such are listed). */
  defaults?: RunConfig,
): ReproduceCommand {
  const argv = [command];
  const inexpressible: string[] = [];
  const inScope = (scope: FlagScope) =>
    scope === 'all' ||
    (scope === 'teacher' && command !== 'distill') ||
    (scope === 'student' && command !== 'train-teacher') ||
    (scope === 'distill' && command === 'distill');
  const flat = flatten(config as unknown as Record<string, unknown>);
  const { name: methodName, ...methodParams } = config.method;
  const covered = new Set<string>(['teacher.optimizer', 'student.optimizer', 'method.name']);
  for (const [key, flag, scope, format] of CONFIG_FLAGS) {
    covered.add(key);
    const value = flat[key];
    if (value === undefined || !inScope(scope)) continue;
    const values = format
      ? format(value)
      : [Array.isArray(value) ? value.join(',') : String(value)];
    if (values) argv.push(flag, ...values);
  }
  // Other options of the data source: --data-option key=value.
  for (const [key, value] of Object.entries(flat)) {
    if (!key.startsWith('dataOptions.') || covered.has(key)) continue;
    if (!['string', 'number', 'boolean'].includes(typeof value)) continue;
    covered.add(key);
    argv.push('--data-option', `${key.slice('dataOptions.'.length)}=${value}`);
  }
  // One --optimizer sets both roles: it repeats the run only if the roles that train agree.
  const optimizers = new Set(
    (['teacher', 'student'] as const)
      .filter((role) => inScope(role))
      .map((role) => config[role].optimizer),
  );
  if (optimizers.size === 1) argv.push('--optimizer', [...optimizers][0]);
  else inexpressible.push('teacher.optimizer ≠ student.optimizer');
  if (inScope('student')) {
    argv.push('--method', methodName);
    for (const [key, value] of Object.entries(methodParams)) {
      covered.add(`method.${key}`);
      if (key in METHOD_FLAGS) argv.push(METHOD_FLAGS[key], String(value));
      else if (['string', 'number', 'boolean'].includes(typeof value))
        argv.push('--param', `${key}=${value}`);
      else inexpressible.push(`method.${key}`);
    }
  }
  if (command === 'distill') for (const dir of teacherDirs) argv.push('--teacher', dir);
  // A setting no flag sets is repeated only if it has its default value.
  const flatDefaults = defaults ? flatten(defaults as unknown as Record<string, unknown>) : {};
  for (const key of Object.keys(flat)) {
    const role = key.split('.')[0];
    const irrelevant =
      (role === 'teacher' && !inScope('teacher')) ||
      ((role === 'student' || role === 'method') && !inScope('student'));
    const isDefault = JSON.stringify(flat[key]) === JSON.stringify(flatDefaults[key]);
    if (!covered.has(key) && !irrelevant && !key.startsWith('method.') && !isDefault)
      inexpressible.push(key);
  }
  return {
    argv,
    command: ['distillery', ...argv].map(shellQuote).join(' '),
    inexpressible,
  };
}

/** {a: {b: 1}, c: [1, 2]} → {'a.b': 1, c: [1, 2]}. */
function flatten(value: Record<string, unknown>, prefix = ''): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (v && typeof v === 'object' && !Array.isArray(v))
      Object.assign(out, flatten(v as Record<string, unknown>, key));
    else out[key] = v;
  }
  return out;
}

/** The command over several lines (`\` continuations), breaking only between flags. */
export function wrapCommand(argv: string[], width = 92): string {
  const groups: string[] = [['distillery', argv[0]].join(' ')];
  for (let i = 1; i < argv.length; i++) {
    const takesValue =
      argv[i].startsWith('--') && i + 1 < argv.length && !argv[i + 1].startsWith('--');
    groups.push(takesValue ? `${argv[i]} ${shellQuote(argv[++i])}` : shellQuote(argv[i]));
  }
  const lines = [groups[0]];
  for (const group of groups.slice(1)) {
    if (lines[lines.length - 1].length + group.length + 1 > width) lines.push(`  ${group}`);
    else lines[lines.length - 1] += ` ${group}`;
  }
  return lines.join(' \\\n');
}

function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

// ---------------------------------------------------------------------------------------------
// HTML

const CSS = `
:root { color-scheme: light; --fg: #1f2328; --muted: #59636e; --line: #d1d9e0; --soft: #f6f8fa;
  --good: #1a7f37; --bad: #cf222e; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial,
  sans-serif; color: var(--fg); background: #fff; }
main { max-width: 1180px; margin: 0 auto; padding: 24px 28px 64px; }
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 19px; margin: 40px 0 10px; padding-bottom: 6px; border-bottom: 1px solid var(--line); }
h3 { font-size: 15px; margin: 24px 0 8px; }
p { margin: 6px 0 10px; max-width: 900px; }
.muted { color: var(--muted); }
.verdict { font-size: 16px; margin: 14px 0; padding: 10px 14px; border-radius: 6px;
  background: var(--soft); border-left: 4px solid var(--muted); }
.verdict.good { border-left-color: var(--good); } .verdict.bad { border-left-color: var(--bad); }
nav { margin: 12px 0 0; display: flex; flex-wrap: wrap; gap: 6px 16px; font-size: 13px; }
nav a { color: #0969da; text-decoration: none; }
table { border-collapse: collapse; margin: 8px 0 12px; font-variant-numeric: tabular-nums; }
th, td { padding: 5px 10px; border-bottom: 1px solid var(--line); text-align: right; white-space: nowrap; }
th { background: var(--soft); font-weight: 600; font-size: 13px; vertical-align: bottom; }
.table-wrap { overflow-x: auto; }
th:first-child, td:first-child { text-align: left; }
td.text, th.text { text-align: left; white-space: normal; }
tr.extra td { color: var(--muted); }
tr.unmeasured td.text { color: var(--muted); font-style: italic; }
tr.teacher-wrong td { background: #fff8f0; }
td.message { min-width: 420px; max-width: 720px; overflow-wrap: anywhere; }
.figures { display: flex; flex-wrap: wrap; gap: 20px 28px; align-items: flex-start; }
figure { margin: 0; }
figcaption { font-size: 12px; color: var(--muted); max-width: 520px; }
svg { max-width: 100%; height: auto; }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(118px, 1fr)); gap: 10px; }
.cell { border: 1px solid var(--line); border-radius: 6px; padding: 6px; text-align: center;
  font-size: 11px; line-height: 1.35; }
.cell img { width: 84px; height: 84px; image-rendering: pixelated; display: block; margin: 0 auto 4px;
  background: #000; }
.cell .wrong { color: var(--bad); font-weight: 600; } .cell .right { color: var(--good); }
.cell.teacher-wrong { background: #fff8f0; }
pre { background: var(--soft); border: 1px solid var(--line); border-radius: 6px; padding: 10px 12px;
  overflow-x: auto; font-size: 12px; line-height: 1.45; white-space: pre-wrap; overflow-wrap: anywhere; }
details { margin: 10px 0; } summary { cursor: pointer; font-weight: 600; }
.notes { margin-top: 16px; background: #fff8c5; border: 1px solid #d4a72c66; border-radius: 6px; padding: 8px 14px; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 8px 0; }
dl.facts dt { color: var(--muted); } dl.facts dd { margin: 0; }
`;

/** A complete HTML document with the report's stylesheet. */
export function htmlPage(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${CSS}</style>
</head>
<body>
<main>
${body}
</main>
</body>
</html>
`;
}

/** One table cell holding a number: the formatted text plus the exact value as data. */
function numberCell(
  key: string,
  value: number | undefined,
  format: (v: number) => string,
  title?: (v: number) => string | undefined,
): string {
  if (typeof value !== 'number') return `<td data-key="${key}">–</td>`;
  const hint = title?.(value);
  return `<td data-key="${key}" data-value="${value}"${hint ? ` title="${escapeHtml(hint)}"` : ''}>${escapeHtml(format(value))}</td>`;
}

/** The formatted text of each comparison-table column (shared with the tests). */
export const comparisonFormats = {
  accuracy: (v: number) => percent(v),
  errors: (v: number) => v.toLocaleString('en-US'),
  parameters: (v: number) => v.toLocaleString('en-US'),
  weightBytes: (v: number) => formatBytes(v),
  latencyBatch1Ms: (v: number) => v.toFixed(3),
  latencyBatch256MsPerExample: (v: number) => v.toFixed(4),
  agreement: (v: number) => percent(v),
  ece: (v: number) => percent(v),
} satisfies Partial<Record<keyof ReportRow, (v: number) => string>>;

export function comparisonTable(
  rows: ReportRow[],
  reference?: string,
  unmeasured: UnmeasuredModel[] = [],
): string {
  const f = comparisonFormats;
  // Two-line headers (split at '|') keep the table narrow.
  const head = [
    'model',
    'test|accuracy',
    'errors',
    'parameters',
    'weights',
    'latency, batch 1|(ms)',
    'latency, batch 256|(ms / example)',
    reference ? `agreement|with ${reference}` : 'agreement',
    'ECE',
  ];
  const body = rows.map((r) => {
    const suffix = r.source && !r.name.startsWith(r.source) ? r.source : undefined;
    const label = `${escapeHtml(r.name)}${suffix ? ` <span class="muted">(${escapeHtml(suffix)})</span>` : ''}`;
    return (
      `<tr data-model="${escapeHtml(r.name)}"${r.source ? ' class="extra"' : ''}><td>${label}</td>` +
      numberCell('accuracy', r.accuracy, f.accuracy) +
      numberCell('errors', r.errors, f.errors, () =>
        r.examples === undefined ? undefined : `of ${r.examples} test examples`,
      ) +
      numberCell('parameters', r.parameters, f.parameters) +
      numberCell('weightBytes', r.weightBytes, f.weightBytes, (v) => `${v} bytes`) +
      numberCell('latencyBatch1Ms', r.latencyBatch1Ms, f.latencyBatch1Ms) +
      numberCell(
        'latencyBatch256MsPerExample',
        r.latencyBatch256MsPerExample,
        f.latencyBatch256MsPerExample,
      ) +
      numberCell('agreement', r.agreement, f.agreement) +
      numberCell('ece', r.ece, f.ece) +
      '</tr>'
    );
  });
  // A model without test predictions: one row saying what it is and why, never a row of NaN.
  body.unshift(
    ...unmeasured.map(
      (u) =>
        `<tr data-model="${escapeHtml(u.name)}" class="unmeasured"><td>${escapeHtml(u.name)}</td><td class="text" colspan="${head.length - 1}">${escapeHtml(u.what)}: ${escapeHtml(u.reason)}.</td></tr>`,
    ),
  );
  return `<div class="table-wrap"><table class="comparison"><thead><tr>${head.map((h) => `<th>${h.split('|').map(escapeHtml).join('<br>')}</th>`).join('')}</tr></thead><tbody>${body.join('')}</tbody></table></div>`;
}

/** One table: F1 per class for each model, precision and recall of the last student. */
function perClassSection(results: RunResults): string {
  const rows = results.evaluation.rows.filter((r) => r.perClass?.length);
  if (rows.length === 0) return '';
  const focus = rows.at(-1)!;
  const head = [
    'class',
    'support',
    ...rows.map((r) => `F1 ${r.name}`),
    `precision ${focus.name}`,
    `recall ${focus.name}`,
  ];
  const body = focus.perClass!.map((c, k) => [
    c.name,
    c.support,
    ...rows.map((r) => r.perClass![k].f1.toFixed(3)),
    c.precision.toFixed(3),
    c.recall.toFixed(3),
  ]);
  const macro = rows.map((r) => `${escapeHtml(r.name)} ${r.macroF1?.toFixed(4)}`).join(', ');
  // Per-group error rates (e.g. SpamAssassin's hard-ham folder), where the split has groups.
  const grouped = results.evaluation.rows.filter((r) => r.groupErrorRates);
  const groups = [...new Set(grouped.flatMap((r) => Object.keys(r.groupErrorRates!)))].sort();
  const groupTable = groups.length
    ? `<h3>Error rate per group</h3>
<p>The share of each group's test examples a model gets wrong (groups are the data's own subsets, e.g. the corpus folder a mail comes from).</p>
${simpleTable(
  ['group', ...grouped.map((r) => r.name)],
  groups.map((g) => [
    g,
    ...grouped.map((r) =>
      r.groupErrorRates![g] === undefined ? '–' : percent(r.groupErrorRates![g]),
    ),
  ]),
)}`
    : '';
  return `<h2 id="per-class">Per class</h2>
<p>Precision, recall and F1 of each class on the test split (one class against the rest); macro-F1 (the unweighted mean): ${macro}.</p>
<div class="table-wrap">${simpleTable(head, body)}</div>
${groupTable}`;
}

function verdict(results: RunResults): string {
  const { compression } = results.summary;
  const parts: string[] = [];
  let cls = '';
  const v = verdictOf(results);
  if (v) {
    cls = v.verdict === 'beyond-noise' ? (v.mean > 0 ? 'good' : 'bad') : '';
    parts.push(
      `Distillation over ${escapeHtml(baselineOf(results))}: <b>${escapeHtml(v.sentence)}</b>`,
    );
  }
  if (compression !== undefined)
    parts.push(`the student is ${sizeComparison(compression)} the teacher (parameters)`);
  return parts.length ? `<p class="verdict ${cls}">${parts.join('; ')}.</p>` : '';
}

/** Renders the report page (charts are rendered here, so this is async). */
export async function renderReport(data: ReportData): Promise<string> {
  const { run, models, classNames } = data;
  const { results } = run;
  const config = results.config;
  const name = (c: number) => classNames[c] ?? String(c);
  const model = (n: string) => models.find((m) => m.name === n);
  const sections: string[] = [];

  // Header
  const m = results.method;
  const teacherDirs = run.started.teacherDirs;
  const facts = [
    results.dataset.name,
    results.command,
    results.stages.teacher &&
      (teacherDirs.length > 1
        ? `teacher: ensemble (${config.ensemble?.combine}) of ${teacherDirs.join(', ')}`
        : teacherDirs.length
          ? `teacher loaded from ${teacherDirs[0]}`
          : results.stages.teacher.source === 'loaded' && results.teacher
            ? `teacher: ${results.teacher.kind} ${results.teacher.source}`
            : `teacher ${config.teacher.arch}`),
    results.stages.distilled && `student ${config.student.arch}`,
    results.stages.distilled && `method ${m.name}${m.paper ? ` (${m.paper})` : ''}`,
    results.createdAt,
  ].filter(Boolean);
  sections.push(`<h1>Distillery run ${escapeHtml(basename(run.runDir))}</h1>
<p class="muted">${facts.map(escapeHtml).join(' · ')}</p>
${verdict(results)}
<nav><a href="#comparison">Comparison</a><a href="#curves">Learning curves</a><a href="#roc">ROC</a><a href="#errors">Errors</a><a href="#calibration">Calibration</a><a href="#reproduce">Reproduce</a></nav>`);
  sections.push(autoTuneSection(results));
  if (data.notes.length)
    sections.push(
      `<div class="notes"><ul>${data.notes.map((n) => `<li>${escapeHtml(n)}</li>`).join('')}</ul></div>`,
    );

  // Comparison
  const rows: ReportRow[] = [
    ...results.evaluation.rows
      .map((r) => ({ ...r, ece: model(r.name)?.calibration.ece }))
      .sort((a, b) => rank(a.name) - rank(b.name)),
    ...data.extraRows,
  ];
  // Agreement needs the reference's predictions: a teacher that was not run has none.
  const reference = rows.some((r) => r.name === results.evaluation.reference)
    ? results.evaluation.reference
    : undefined;
  sections.push(`<h2 id="comparison">Comparison on the test split</h2>
<p>${results.dataset.test.toLocaleString('en-US')} test examples; ${results.dataset.train.toLocaleString('en-US')} training and ${results.dataset.validation.toLocaleString('en-US')} validation examples. Latency is the median wall time of predict + read-back on ${escapeHtml(results.backend.description)}; ${reference ? `agreement is top-1 agreement with the ${escapeHtml(reference)}` : 'no model to compare top-1 predictions with'}; ECE is the expected calibration error (see <a href="#calibration">calibration</a>).</p>
${comparisonTable(rows, reference, data.unmeasured)}`);
  sections.push(perClassSection(results));
  sections.push(await rocSection(models, data.labels, classNames, results.evaluation.rows));

  // Learning curves
  const trained = Object.fromEntries(
    Object.entries(run.metrics).filter(([, history]) => history?.length),
  );
  sections.push(`<h2 id="curves">Learning curves</h2>`);
  if (Object.keys(trained).length) {
    const specs = [
      ['loss', lossCurvesSpec(trained)],
      ['validation', validationCurvesSpec(trained)],
      ['learning-rate', learningRateSpec(trained)],
      ['aux-metrics', auxiliaryMetricsSpec(trained)],
    ] as const;
    const charts = await Promise.all(
      specs.filter(([, spec]) => spec).map(([id, spec]) => renderChart(spec!, id)),
    );
    sections.push(`<p>Mean of each loss term over an epoch's training batches (the terms are already weighted; their sum is what the optimiser minimised); the validation metrics on the ${results.dataset.validation.toLocaleString('en-US')} held-out validation examples after each epoch (the best validation epoch's weights are the ones kept)${specs[2][1] ? `; the learning rate each stage used, the mean over the epoch's steps (${escapeHtml(scheduleLine(config))})` : ''}.</p>
<div class="figures">${charts.map((c) => `<figure>${c}</figure>`).join('\n')}</div>`);
  } else {
    sections.push(`<p class="muted">No training history: every model was loaded, not trained.</p>`);
  }

  // Errors
  sections.push(`<h2 id="errors">Where the models go wrong</h2>`);
  const heatmaps = [model('teacher'), data.focus ? model(data.focus) : undefined].filter(
    (a, i, all): a is ModelAnalysis => !!a && all.indexOf(a) === i,
  );
  if (heatmaps.length) {
    const charts = await Promise.all(
      heatmaps.map((a, i) =>
        renderChart(
          // One legend, on the last matrix, so that two fit side by side.
          confusionSpec(`${a.name}: ${a.errors} errors`, a.confusion, classNames, {
            legend: i === heatmaps.length - 1,
          }),
          `confusion-${a.name}`,
        ),
      ),
    );
    sections.push(`<p>Confusion matrices on the test split: rows are the true class, columns the prediction; the colour is the share of the true class's examples (square-root scale, so that rare errors show), the number the count.</p>
<div class="figures">${charts.map((c) => `<figure>${c}</figure>`).join('')}</div>`);
  }
  const focus = data.focus ? model(data.focus) : undefined;
  if (focus) {
    const pairs = mostConfusedPairs(focus.confusion, 10);
    const others = models.filter((a) => a !== focus);
    sections.push(`<h3>Most confused pairs (${escapeHtml(focus.name)})</h3>`);
    sections.push(
      pairs.length
        ? simpleTable(
            ['true class', 'predicted as', focus.name, ...others.map((a) => a.name)],
            pairs.map((p) => [
              name(p.actual),
              name(p.predicted),
              p.count,
              ...others.map((a) => a.confusion[p.actual][p.predicted]),
            ]),
            2,
          )
        : `<p class="muted">No errors.</p>`,
    );
    if (data.examples && data.misclassified.length) {
      sections.push(
        misclassifiedSection({
          model: focus.name,
          errors: focus.errors,
          examples: data.misclassified,
          layout: data.examples.layout,
          columns: data.examples.columns,
          className: name,
        }),
      );
    } else if (!data.examples) {
      sections.push(
        `<p class="muted">The examples of this dataset have no view in the report (images, table rows and texts do): no examples shown.</p>`,
      );
    }
  }

  // Calibration
  sections.push(`<h2 id="calibration">Calibration</h2>
<p>How far each model's top-1 confidence is from its accuracy. Test predictions are split into ${models[0]?.calibration.bins.length ?? DEFAULT_CALIBRATION_BINS} equal-width confidence bins; bars show each bin's accuracy, the red part the gap between that accuracy and the bin's mean confidence (≈ the dashed diagonal): red above the diagonal means under-confident, below it over-confident; the grey histogram is the share of examples per bin. ECE = Σ<sub>b</sub> (n<sub>b</sub>/n) · |accuracy<sub>b</sub> − confidence<sub>b</sub>| (Guo et al. 2017). Distillation with a temperature tends to change calibration: compare the distilled student with the one trained from scratch.</p>`);
  if (models.length) {
    const charts = await Promise.all(
      models.map((a) =>
        renderChart(reliabilitySpec(a.name, a.calibration), `reliability-${a.name}`),
      ),
    );
    sections.push(
      `<div class="figures">${charts.map((c) => `<figure>${c}</figure>`).join('')}</div>`,
    );
    sections.push(
      simpleTable(
        ['model', 'ECE', 'accuracy', 'mean confidence', 'over- (+) / under-confidence (−)'],
        models.map((a) => [
          a.name,
          percent(a.calibration.ece),
          percent(a.calibration.accuracy),
          percent(a.calibration.meanConfidence),
          `${a.calibration.meanConfidence >= a.calibration.accuracy ? '+' : '−'}${percent(Math.abs(a.calibration.meanConfidence - a.calibration.accuracy))}`,
        ]),
      ),
    );
  }

  const { defaultConfig } = await import('../config.ts');
  sections.push(reproduceSection(data, defaultConfig));
  return htmlPage(`Distillery run ${basename(run.runDir)}`, sections.join('\n'));
}

function reproduceSection(data: ReportData, defaults: RunConfig): string {
  const { run } = data;
  const { results } = run;
  const config = results.config;
  const command = run.started.command ?? results.command;
  const teacherDirs = run.started.teacherDirs;
  const repro = reproduceCommand(command, config, teacherDirs, defaults);
  const configCommand = ['distillery', command, '--config', 'run-config.json']
    .concat(command === 'distill' ? teacherDirs.flatMap((d) => ['--teacher', d]) : [])
    .map(shellQuote)
    .join(' ');
  const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);
  const timings = Object.entries(results.stages).map(([stage, s]) => {
    const history = run.metrics[stage] ?? [];
    const speed = mean(history.map((r) => r.samplesPerSecond));
    return [
      stage,
      s!.source,
      s!.epochs,
      s!.bestEpoch ?? '–',
      s!.seconds.toFixed(1),
      Number.isFinite(speed) ? Math.round(speed).toLocaleString('en-US') : '–',
    ];
  });
  const facts: [string, string][] = [
    ['seed', String(config.seed)],
    [
      'backend',
      `${results.backend.description} (requested: ${results.backend.requested}), ${results.backend.threads} thread(s)`,
    ],
    ['dataset', `${results.dataset.name} from ${results.dataset.source}`],
    ['preprocessing', results.dataset.preprocessing],
    [
      'splits',
      `${results.dataset.train} train / ${results.dataset.validation} validation / ${results.dataset.test} test, ${results.dataset.classes} classes`,
    ],
    [
      'method',
      `${results.method.name} ${JSON.stringify(results.method.params)}${results.method.paper ? ` — ${results.method.paper}` : ''}`,
    ],
    ['run folder', run.runDir],
    ['created', results.createdAt],
    ['total time', `${results.seconds.toFixed(1)} s`],
    ...Object.entries(data.environment),
  ];
  const record = {
    distillery: results.distillery,
    command,
    teacherDirs: teacherDirs.length ? teacherDirs : undefined,
    config,
    backend: results.backend,
    // A tokenizer's vocabulary or a table's columns would fill the page: long lists are cut.
    dataset: shortenLists(results.dataset),
    method: results.method,
    stages: results.stages,
    seconds: results.seconds,
    environment: data.environment,
  };
  return `<h2 id="reproduce">Reproduce</h2>
<p>The same command, seed and backend repeat the same numbers (latency aside).</p>
<pre>${escapeHtml(wrapCommand(repro.argv))}</pre>
${repro.inexpressible.length ? `<p><b>Flags cannot express</b> ${escapeHtml(repro.inexpressible.join(', '))}: use the config file below.</p>` : ''}
<p class="muted">Or save the config below as <code>run-config.json</code> and run <code>${escapeHtml(configCommand)}</code>.</p>
<dl class="facts">${facts.map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd>${escapeHtml(v)}</dd>`).join('')}</dl>
<h3>Timings</h3>
${simpleTable(['stage', 'source', 'epochs', 'best epoch', 'seconds', 'samples / s'], timings)}
<details><summary>Config (run-config.json)</summary><pre>${escapeHtml(JSON.stringify(config, null, 2))}</pre></details>
<details><summary>Full run record: config, backend, versions, seed, timings</summary><pre>${escapeHtml(JSON.stringify(record, null, 2))}</pre></details>
<details><summary>Per-epoch metrics</summary>${epochTable(run.metrics)}</details>
<p class="muted">Report written ${escapeHtml(new Date().toISOString())} by Distillery ${escapeHtml(results.distillery)}.</p>`;
}

/** Each training role's schedule in words, e.g. 'student: cosine per step after 1 warm-up epoch'. */
function scheduleLine(config: RunConfig): string {
  const roles = (['teacher', 'student'] as const).map((role) => {
    const { lrSchedule: s, learningRate } = config[role];
    if (!s || s.shape === 'constant') return `${role}: constant ${learningRate}`;
    const warmup = s.warmupEpochs ? ` after ${s.warmupEpochs} warm-up epoch(s)` : '';
    return `${role}: ${s.shape} from ${learningRate} per ${s.per ?? 'epoch'}${warmup}`;
  });
  return roles.join('; ');
}

/** A copy of `value` with every array longer than `limit` cut to its first items and a count. */
export function shortenLists(value: unknown, limit = 24): unknown {
  if (Array.isArray(value))
    return value.length > limit
      ? [...value.slice(0, 8).map((v) => shortenLists(v, limit)), `… ${value.length - 8} more`]
      : value.map((v) => shortenLists(v, limit));
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, shortenLists(v, limit)]));
  return value;
}

function epochTable(metrics: Record<string, EpochRecord[]>): string {
  const terms = [
    ...new Set(Object.values(metrics).flatMap((h) => h.flatMap((r) => Object.keys(r.terms)))),
  ];
  const rows = Object.entries(metrics).flatMap(([stage, history]) =>
    history.map((r) => [
      stage,
      r.epoch,
      ...terms.map((t) => (r.terms[t] === undefined ? '–' : r.terms[t].toFixed(4))),
      r.loss.toFixed(4),
      r.learningRate === undefined ? '–' : r.learningRate.toPrecision(4),
      r.validationAccuracy === undefined ? '–' : percent(r.validationAccuracy),
      r.seconds.toFixed(2),
      Math.round(r.samplesPerSecond).toLocaleString('en-US'),
    ]),
  );
  return rows.length
    ? simpleTable(
        [
          'stage',
          'epoch',
          ...terms,
          'loss',
          'learning rate',
          'validation accuracy',
          'seconds',
          'samples / s',
        ],
        rows,
      )
    : '<p class="muted">No epochs.</p>';
}
