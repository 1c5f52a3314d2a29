// Plain-text tables of a run's results, for the terminal and the README.
import type { RunResults } from '../run/record.ts';
import type { ModelEvaluation } from '../eval/evaluate.ts';
import { gainVerdict, type GainVerdict, type Summary } from '../eval/seed-stats.ts';
import type { SeedsResults } from '../pipeline/seeds.ts';
import { autoTuneLines } from './auto-tune.ts';

export function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${(bytes / 1024 / 1024).toFixed(2)} MiB`;
  if (bytes >= 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${bytes} B`;
}

/** Renders rows as an aligned text table (first column left, others right). */
export function renderTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

export function evaluationTable(rows: ModelEvaluation[], reference?: string): string {
  // Two-class runs (spam) add the positive class's F1, ROC-AUC and the costly error: negatives
  // (ham) called positive. More than 10 classes add top-5.
  const top5 = rows.some((r) => r.top5Accuracy !== undefined);
  const binary = rows.some((r) => r.binary);
  const pct = (v?: number) =>
    v === undefined || Number.isNaN(v) ? '-' : `${(100 * v).toFixed(2)}%`;
  const header = [
    'model',
    'test acc',
    ...(top5 ? ['top-5'] : []),
    'macro-F1',
    ...(binary ? ['F1 (pos)', 'ROC-AUC', 'FPR (neg)'] : []),
    'errors',
    'params',
    'weights',
    'ms/ex @1',
    'ms/ex @256',
    reference ? `agree w/ ${reference}` : 'agreement',
  ];
  return renderTable(
    header,
    rows.map((r) => [
      r.name,
      pct(r.accuracy),
      ...(top5 ? [pct(r.top5Accuracy)] : []),
      r.macroF1 === undefined ? '-' : r.macroF1.toFixed(4),
      ...(binary
        ? [
            pct(r.binary?.f1),
            r.binary ? r.binary.rocAuc.toFixed(4) : '-',
            pct(r.binary?.falsePositiveRate),
          ]
        : []),
      `${r.errors}/${r.examples}`,
      r.parameters.toLocaleString('en-US'),
      formatBytes(r.weightBytes),
      r.latencyBatch1Ms === undefined ? '-' : r.latencyBatch1Ms.toFixed(3),
      r.latencyBatch256MsPerExample === undefined ? '-' : r.latencyBatch256MsPerExample.toFixed(4),
      r.agreement === undefined ? '-' : pct(r.agreement),
    ]),
  );
}

/** The table plus a one-line verdict on whether distillation helped, and if noise can tell. */
export function resultsSummary(results: RunResults): string {
  const lines = [evaluationTable(results.evaluation.rows, results.evaluation.reference)];
  const { compression } = results.summary;
  const verdict = verdictOf(results);
  if (verdict) lines.push('', `Distillation over ${baselineOf(results)}: ${verdict.sentence}.`);
  if (results.teacherCheck?.teacherNotAbove || results.teacherCheck?.marginWithinNoise)
    lines.push(results.teacherCheck.note + '.');
  lines.push(...autoTuneLines(results));
  if (compression !== undefined)
    lines.push(`Student is ${sizeComparison(compression)} the teacher (parameters).`);
  const focus = results.evaluation.rows.at(-1);
  if (focus?.perClass && focus.perClass.length <= 20)
    lines.push('', `Per class (${focus.name}):`, perClassTable(focus));
  const d = results.dataset;
  lines.push(
    `Data: ${d.name}, ${d.train} train / ${d.validation} validation / ${d.test} test. Backend: ${results.backend.description}, ${results.backend.threads} thread(s). ${results.seconds.toFixed(0)} s in all.`,
  );
  return lines.join('\n');
}

/** Per-class precision / recall / F1 of one evaluated model (e.g. the distilled student). */
export function perClassTable(row: ModelEvaluation): string {
  return renderTable(
    ['class', 'precision', 'recall', 'F1', 'support'],
    (row.perClass ?? []).map((c) => [
      c.name,
      c.precision.toFixed(3),
      c.recall.toFixed(3),
      c.f1.toFixed(3),
      String(c.support),
    ]),
  );
}

/** What the gain is measured against, in words. */
export function baselineOf(results: Pick<RunResults, 'summary'>): string {
  return results.summary.generationAccuracies
    ? 'the teacher (the same architecture trained without distillation)'
    : 'the same student trained from scratch';
}

/** The run's verdict; results.json files written before verdicts existed get one computed. */
export function verdictOf(results: Pick<RunResults, 'summary'>): GainVerdict | undefined {
  const { verdict, distillationGain } = results.summary;
  return (
    verdict ?? (distillationGain === undefined ? undefined : gainVerdict([0], [distillationGain]))
  );
}

/** "97.91% ± 0.12" (std in points). */
export function meanStd(s: Summary): string {
  return `${(100 * s.mean).toFixed(2)}% ± ${(100 * s.std).toFixed(2)}`;
}

/** "0.9622 ± 0.0020" (macro-F1, not in points). */
export function meanStdF1(s: Summary): string {
  return `${s.mean.toFixed(4)} ± ${s.std.toFixed(4)}`;
}

/**
 * "75% of a 0.51-point gap" (the teacher − scratch difference of the means, in points of the
 * metric, so that a share of a gap within seed noise reads as what it is), or why there is none.
 */
export function gapText(
  results: Pick<SeedsResults, 'rows' | 'gapClosed'>,
  metric: 'accuracy' | 'macroF1',
): string {
  const closed = results.gapClosed?.[metric];
  const mean = (name: string) => results.rows.find((r) => r.name === name)?.[metric]?.mean;
  const [teacher, scratch] = [mean('teacher'), mean('scratch')];
  if (closed === undefined || teacher === undefined || scratch === undefined)
    return 'no gap (the teacher is not above scratch)';
  return `${(100 * closed).toFixed(0)}% of a ${(100 * (teacher - scratch)).toFixed(2)}-point gap`;
}

/**
 * The multi-seed table: mean ± std and each seed's accuracy per model (macro-F1 beside it), then
 * the verdicts and the share of the scratch–teacher gap closed.
 */
export function seedsSummary(results: SeedsResults): string {
  const f1 = results.rows.every((r) => r.macroF1);
  const table = renderTable(
    [
      'model',
      'test acc (mean ± std)',
      ...(f1 ? ['macro-F1 (mean ± std)'] : []),
      ...results.seeds.map((s) => `seed ${s}`),
    ],
    results.rows.map((r) => [
      r.name,
      meanStd(r.accuracy),
      ...(f1 ? [meanStdF1(r.macroF1!)] : []),
      ...r.accuracy.values.map((v) => `${(100 * v).toFixed(2)}%`),
    ]),
  );
  const lines = [table, ''];
  if (results.gain)
    lines.push(
      `Distillation (${results.gain.candidate} − ${results.gain.baseline}, paired by seed): ${results.gain.sentence}.`,
    );
  if (results.macroF1Gain)
    lines.push(`On macro-F1 (points of F1): ${results.macroF1Gain.sentence}.`);
  if (results.gapClosed)
    lines.push(
      `Scratch–teacher gap closed by the distilled student (on the means): accuracy ${gapText(results, 'accuracy')}${
        f1 ? `, macro-F1 ${gapText(results, 'macroF1')}` : ''
      }.`,
    );
  for (const a of results.autoTune ?? [])
    lines.push(
      `Seed ${a.seed}: ${
        a.chosen
          ? `chose ${Object.entries(a.chosen)
              .map(([k, v]) => `${k} ${v}`)
              .join(', ')} — `
          : 'automatic choice: '
      }${a.reason}.`,
    );
  lines.push(
    `Seeds ${results.seeds.join(', ')}: ${results.teacher}. ${results.seconds.toFixed(0)} s in all.`,
  );
  return lines.join('\n');
}

/**
 * "4.0× smaller than" for teacher/student parameters = 4, "1.7× larger than" for 0.6, "the same
 * size as" for 1 (and "about the same size as" for what rounds to 1.0×).
 */
export function sizeComparison(compression: number): string {
  if (compression === 1) return 'the same size as';
  if (compression.toFixed(1) === '1.0' && (1 / compression).toFixed(1) === '1.0')
    return 'about the same size as';
  if (compression >= 1) return `${compression.toFixed(1)}× smaller than`;
  return `${(1 / compression).toFixed(1)}× larger than`;
}
