// Several run folders side by side: the config settings that differ between them, each model's
// test accuracy and the gain from distillation, as a text table, JSON or an HTML page. Reads
// results.json and metrics.json only (no models, no data), so it is quick on any number of runs.
import { existsSync } from 'node:fs';
import { basename, dirname, relative, resolve } from 'node:path';
import { escapeHtml, htmlPage, percent } from './html.ts';
import { readRun, type RunRecord } from '../run/folder.ts';
import { renderTable } from './table.ts';
import { renderChart, runAccuracySpec, runCurvesSpec } from './charts.ts';

export interface ComparedRun {
  runDir: string;
  /** Short name: the folder name, or the path as given when folder names collide. */
  label: string;
  /** Value of each differing setting in this run (flattened keys, e.g. 'method.temperature'). */
  settings: Record<string, unknown>;
  teacherAccuracy?: number;
  scratchAccuracy?: number;
  distilledAccuracy?: number;
  /** distilled − scratch test accuracy. */
  distillationGain?: number;
  compression?: number;
  seconds: number;
}

export interface Comparison {
  /** Settings whose values differ between the runs, in config order. */
  differences: string[];
  /** Settings every run shares, with their value. */
  common: Record<string, unknown>;
  runs: ComparedRun[];
}

// Where a run's files went says nothing about how it was trained.
const IGNORED = new Set(['outDir']);

/** Flattens a run's settings: its command, the config and the backend actually used. */
export function runSettings(run: RunRecord): Record<string, unknown> {
  const flat: Record<string, unknown> = { command: run.started.command ?? run.results.command };
  const walk = (value: unknown, prefix: string) => {
    if (value && typeof value === 'object' && !Array.isArray(value)) {
      for (const [k, v] of Object.entries(value)) walk(v, prefix ? `${prefix}.${k}` : k);
    } else if (!IGNORED.has(prefix)) {
      flat[prefix] = value;
    }
  };
  walk(run.results.config, '');
  flat['backend used'] = run.results.backend.description;
  if (run.started.teacherDirs.length) flat.teacher = run.started.teacherDirs.join(', ');
  return flat;
}

export function compareRuns(runDirs: string[]): Comparison {
  const records = runDirs.map((dir) => readRun(dir));
  const settings = records.map(runSettings);
  const keys = [...new Set(settings.flatMap((s) => Object.keys(s)))];
  const same = (key: string) =>
    settings.every((s) => JSON.stringify(s[key]) === JSON.stringify(settings[0][key]));
  const differences = keys.filter((k) => !same(k));
  const common = Object.fromEntries(keys.filter(same).map((k) => [k, settings[0][k]]));
  const names = records.map((r) => basename(r.runDir));
  const labels = names.map((n, i) => (names.indexOf(n) === names.lastIndexOf(n) ? n : runDirs[i]));
  return {
    differences,
    common,
    runs: records.map((r, i) => ({
      runDir: r.runDir,
      label: labels[i],
      settings: Object.fromEntries(differences.map((k) => [k, settings[i][k]])),
      ...r.results.summary,
      seconds: r.results.seconds,
    })),
  };
}

const show = (value: unknown) =>
  value === undefined ? '–' : typeof value === 'string' ? value : JSON.stringify(value);
const pct = (x?: number) => (x === undefined ? '–' : percent(x));
const gainText = (x?: number) =>
  x === undefined ? '–' : `${x >= 0 ? '+' : '−'}${(100 * Math.abs(x)).toFixed(2)}`;

function rowsOf(comparison: Comparison): { header: string[]; rows: string[][] } {
  return {
    header: ['run', ...comparison.differences, 'teacher', 'scratch', 'distilled', 'gain (points)'],
    rows: comparison.runs.map((r) => [
      r.label,
      ...comparison.differences.map((k) => show(r.settings[k])),
      pct(r.teacherAccuracy),
      pct(r.scratchAccuracy),
      pct(r.distilledAccuracy),
      gainText(r.distillationGain),
    ]),
  };
}

/** The comparison as an aligned text table plus one line on what the runs share. */
export function comparisonText(comparison: Comparison): string {
  const { header, rows } = rowsOf(comparison);
  const lines = [renderTable(header, rows)];
  const shared = Object.keys(comparison.common).length;
  lines.push(
    '',
    comparison.runs.length > 1
      ? comparison.differences.length
        ? `Test accuracy; gain = distilled − scratch. ${shared} other settings are the same in every run (see --json).`
        : `The runs have the same settings (${shared} compared): differences are noise.`
      : `One run: nothing to compare it with.`,
  );
  return lines.join('\n');
}

/** The comparison as a self-contained HTML page; `outFile` is where it will be written. */
export async function renderComparisonHtml(
  comparison: Comparison,
  outFile: string,
): Promise<string> {
  const { header, rows } = rowsOf(comparison);
  const table = `<div class="table-wrap"><table><thead><tr>${header.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r, i) => {
      const report = resolve(comparison.runs[i].runDir, 'report.html');
      const link = existsSync(report)
        ? `<a href="${escapeHtml(encodeURI(relative(dirname(resolve(outFile)), report)))}">${escapeHtml(r[0])}</a>`
        : escapeHtml(r[0]);
      return `<tr><td>${link}</td>${r
        .slice(1)
        .map((c) => `<td>${escapeHtml(c)}</td>`)
        .join('')}</tr>`;
    })
    .join('')}</tbody></table></div>`;
  const accuracies = comparison.runs.flatMap((r) =>
    (
      [
        ['teacher', r.teacherAccuracy],
        ['scratch', r.scratchAccuracy],
        ['distilled', r.distilledAccuracy],
      ] as const
    )
      .filter(([, a]) => a !== undefined)
      .map(([model, accuracy]) => ({ run: r.label, model, accuracy: accuracy! })),
  );
  const curves = comparison.runs.flatMap((r) => {
    const { metrics } = readRun(r.runDir);
    return ['scratch', 'distilled'].flatMap((model) =>
      (metrics[model] ?? [])
        .filter((e) => e.validationAccuracy !== undefined)
        .map((e) => ({ run: r.label, model, epoch: e.epoch, accuracy: e.validationAccuracy! })),
    );
  });
  const body = [
    `<h1>Distillery: ${comparison.runs.length} runs compared</h1>`,
    `<p>Test accuracy of each model; gain = distilled − scratch in points. Columns between <i>run</i> and <i>teacher</i> are the settings that differ; the run names link to each run's report when it has one.</p>`,
    table,
    accuracies.length
      ? `<figure>${await renderChart(runAccuracySpec(accuracies), 'runs')}</figure>`
      : '',
    curves.length
      ? `<h2>Validation accuracy of the students</h2><figure>${await renderChart(runCurvesSpec(curves), 'run-curves')}</figure>`
      : '',
    `<details><summary>Settings shared by every run</summary><pre>${escapeHtml(JSON.stringify(comparison.common, null, 2))}</pre></details>`,
    `<details><summary>Run folders</summary><pre>${escapeHtml(comparison.runs.map((r) => r.runDir).join('\n'))}</pre></details>`,
  ];
  return htmlPage(`Distillery: ${comparison.runs.length} runs compared`, body.join('\n'));
}
