// The report of a multi-seed job: <parent>/report.html with each model's mean ± std and per-seed
// test accuracy (and mean ± std macro-F1), the paired gain with its noise verdict, the share of the
// scratch–teacher gap closed, and links to each seed's own report.
// Everything comes from the aggregate record and the per-seed results; nothing is recomputed.
import { join, relative } from 'node:path';
import { writeFileSync } from 'node:fs';
import type { RunResults } from '../run/record.ts';
import type { SeedsResults } from '../pipeline/seeds.ts';
import { escapeHtml, htmlPage, percent } from './html.ts';
import { gapText, meanStd, meanStdF1 } from './table.ts';

export function renderSeedsReport(aggregate: SeedsResults, results: RunResults[]): string {
  const link = (i: number) =>
    `<a href="${escapeHtml(relative(aggregate.dir, join(aggregate.runs[i].runDir, 'report.html')))}">seed ${aggregate.seeds[i]}</a>`;
  const f1 = aggregate.rows.every((r) => r.macroF1);
  const head = [
    'model',
    'test accuracy (mean ± std, points)',
    ...(f1 ? ['macro-F1 (mean ± std)'] : []),
    ...aggregate.seeds.map((_, i) => link(i)),
  ];
  const body = aggregate.rows.map(
    (r) =>
      `<tr><td>${escapeHtml(r.name)}</td><td data-key="mean" data-value="${r.accuracy.mean}">${escapeHtml(meanStd(r.accuracy))}</td>${
        f1
          ? `<td data-key="macro-f1" data-value="${r.macroF1!.mean}">${escapeHtml(meanStdF1(r.macroF1!))}</td>`
          : ''
      }${r.accuracy.values
        .map((v) => `<td data-key="seed" data-value="${v}">${percent(v)}</td>`)
        .join('')}</tr>`,
  );
  const gain = aggregate.gain;
  const cls = gain?.verdict === 'beyond-noise' ? (gain.mean > 0 ? 'good' : 'bad') : '';
  const verdict = gain
    ? `<p class="verdict ${cls}">Distillation (${escapeHtml(gain.candidate)} − ${escapeHtml(gain.baseline)}, paired by seed): <b>${escapeHtml(gain.sentence)}</b>.</p>`
    : '';
  const f1Gain = aggregate.macroF1Gain
    ? `<p>On macro-F1 (points of F1): ${escapeHtml(aggregate.macroF1Gain.sentence)}.</p>`
    : '';
  const gap = aggregate.gapClosed
    ? `<p>Scratch–teacher gap closed by the distilled student (on the means): accuracy <b>${escapeHtml(gapText(aggregate, 'accuracy'))}</b>${
        f1 ? `, macro-F1 <b>${escapeHtml(gapText(aggregate, 'macroF1'))}</b>` : ''
      }.</p>`
    : '';
  const perSeedGain = gain
    ? `<p class="muted">Per-seed gains (points): ${results
        .map((r, i) => {
          const s = r.summary;
          const g = s.generationAccuracies
            ? s.generationAccuracies.at(-1)! - s.teacherAccuracy!
            : s.distilledAccuracy! - s.scratchAccuracy!;
          return `seed ${aggregate.seeds[i]} ${(100 * g).toFixed(2)}`;
        })
        .join(', ')}.</p>`
    : '';
  const timings = aggregate.runs
    .map((r) => `<tr><td>seed ${r.seed}</td><td>${r.seconds.toFixed(1)}</td></tr>`)
    .join('');
  return htmlPage(
    `Distillery seeds ${aggregate.seeds.join(', ')}`,
    `<h1>Distillery: ${aggregate.seeds.length} seeds (${escapeHtml(aggregate.command)})</h1>
<p class="muted">${escapeHtml(results[0]?.dataset.name ?? '')} · seeds ${escapeHtml(aggregate.seeds.join(', '))} · ${escapeHtml(aggregate.createdAt)}</p>
${verdict}
${f1Gain}
${gap}
<p>${escapeHtml(aggregate.teacher)}.</p>
<div class="table-wrap"><table><thead><tr>${head.map((h) => `<th>${h}</th>`).join('')}</tr></thead><tbody>${body.join('')}</tbody></table></div>
${perSeedGain}
${
  aggregate.autoTune
    ? `<h2>Automatic temperature and weights</h2><ul>${aggregate.autoTune
        .map(
          (a) =>
            `<li>seed ${a.seed}: ${
              a.chosen
                ? `<b>${escapeHtml(
                    Object.entries(a.chosen)
                      .map(([k, v]) => `${k} ${v}`)
                      .join(', '),
                  )}</b> — `
                : ''
            }${escapeHtml(a.reason)}</li>`,
        )
        .join('')}</ul>`
    : ''
}
<h2>Timings</h2>
<table><thead><tr><th>run</th><th>seconds</th></tr></thead><tbody>${timings}</tbody></table>
<p class="muted">${escapeHtml(aggregate.seconds.toFixed(1))} s in all. Aggregate record: aggregate.json.</p>`,
  );
}

/** Writes <parent>/report.html and returns its path. */
export function writeSeedsReport(aggregate: SeedsResults, results: RunResults[]): string {
  const path = join(aggregate.dir, 'report.html');
  writeFileSync(path, renderSeedsReport(aggregate, results));
  return path;
}
