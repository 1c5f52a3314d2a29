// Plain-text tables of a run's results, for the terminal and the README.
import type { RunResults } from '../run/record.ts';
import type { ModelEvaluation } from '../eval/evaluate.ts';

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
  const header = [
    'model',
    'test acc',
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
      `${(100 * r.accuracy).toFixed(2)}%`,
      `${r.errors}/${r.examples}`,
      r.parameters.toLocaleString('en-US'),
      formatBytes(r.weightBytes),
      r.latencyBatch1Ms === undefined ? '-' : r.latencyBatch1Ms.toFixed(3),
      r.latencyBatch256MsPerExample === undefined ? '-' : r.latencyBatch256MsPerExample.toFixed(4),
      r.agreement === undefined ? '-' : `${(100 * r.agreement).toFixed(2)}%`,
    ]),
  );
}

/** The table plus a one-line verdict on whether distillation helped. */
export function resultsSummary(results: RunResults): string {
  const lines = [evaluationTable(results.evaluation.rows, results.evaluation.reference)];
  const { distillationGain: gain, compression, generationAccuracies } = results.summary;
  const baseline = generationAccuracies
    ? 'the teacher (the same architecture trained without distillation)'
    : 'the same student trained from scratch';
  if (gain !== undefined) {
    const points = (100 * gain).toFixed(2);
    lines.push(
      '',
      gain > 0
        ? `Distillation helped: +${points} points of test accuracy over ${baseline}.`
        : gain < 0
          ? `Distillation did not help here: ${points} points against ${baseline}.`
          : `Distillation made no difference in test accuracy against ${baseline}.`,
    );
  }
  if (compression !== undefined)
    lines.push(`Student is ${sizeComparison(compression)} the teacher (parameters).`);
  const d = results.dataset;
  lines.push(
    `Data: ${d.name}, ${d.train} train / ${d.validation} validation / ${d.test} test. Backend: ${results.backend.description}, ${results.backend.threads} thread(s). ${results.seconds.toFixed(0)} s in all.`,
  );
  return lines.join('\n');
}

/** "4.0× smaller than" for teacher/student parameters = 4, "1.7× larger than" for 0.6. */
export function sizeComparison(compression: number): string {
  if (compression >= 1) return `${compression.toFixed(1)}× smaller than`;
  return `${(1 / compression).toFixed(1)}× larger than`;
}
