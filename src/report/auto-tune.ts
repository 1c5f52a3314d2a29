// How the automatic temperature and weights were chosen, for the terminal and the report: what
// was tried, each validation score, why the winner won and what the search cost.
import type { RunResults } from '../run/record.ts';
import type { AutoTuneRecord } from '../tune/auto.ts';
import { escapeHtml } from './html.ts';

const describe = (p: Record<string, unknown>) =>
  Object.entries(p)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
const pct = (x: number | undefined) => (x === undefined ? '–' : `${(100 * x).toFixed(2)}%`);

function cost(record: AutoTuneRecord, results: RunResults): string {
  const stage = results.stages.distilled?.seconds;
  const share = stage
    ? ` = ${((100 * record.seconds) / stage).toFixed(0)}% of the distilled stage`
    : '';
  return `${record.candidates.length} candidates in ${record.seconds.toFixed(1)} s${share} (bound ${Math.round(100 * record.plan.budget)}%)`;
}

/** One or two lines for the terminal summary; empty when the choice did not run. */
export function autoTuneLines(results: RunResults): string[] {
  const auto = results.autoTune;
  if (!auto) return [];
  if (!auto.record) return [`Automatic temperature and weights skipped: ${auto.skipped}.`];
  const r = auto.record;
  return [
    `Chosen on the validation split: ${describe(r.chosen)} — ${r.reason}. ${cost(r, results)}${r.stoppedEarly ? `; ${r.stoppedEarly}` : ''}.`,
  ];
}

/** The report section, or '' when the choice did not run. */
export function autoTuneSection(results: RunResults): string {
  const auto = results.autoTune;
  if (!auto) return '';
  if (!auto.record)
    return `<h2 id="auto-tune">Automatic temperature and weights</h2><p>Skipped: ${escapeHtml(auto.skipped)}.</p>`;
  const r = auto.record;
  const p = r.plan;
  const rows = r.candidates
    .map((c) => {
      const chosen = describe(c.params) === describe(r.chosen);
      return `<tr${chosen ? ' class="chosen"' : ''}><td>#${c.id}</td><td class="text">${escapeHtml(describe(c.params))}${c.incumbent ? ' (configured)' : ''}</td><td>${pct(c.shortScore)}</td><td>${pct(c.longScore)}</td><td class="text">${chosen ? '<b>chosen</b>' : ''}</td></tr>`;
    })
    .join('');
  return `<h2 id="auto-tune">Automatic temperature and weights</h2>
<p>Chosen on the validation split (never the test split): <b>${escapeHtml(describe(r.chosen))}</b> — ${escapeHtml(r.reason)}.</p>
<p class="muted">Each candidate trained ${epochs(p.shortEpochs)} on ${p.trialExamples.toLocaleString('en-US')} of ${p.trainExamples.toLocaleString('en-US')} training examples from ${r.start === 'scratch student' ? `the trained scratch student (${r.startScore === undefined ? '' : `${pct(r.startScore)} on validation; `}fine-tuned with its loss${r.learningRate === undefined ? '' : ` at learning rate ${+r.learningRate.toPrecision(6)}`})` : "the distilled student's own initialisation"}; the best two and the configured setting continued to ${epochs(p.longEpochs)}; scores are accuracies on the ${p.validationExamples.toLocaleString('en-US')} validation examples. Cost: ${escapeHtml(cost(r, results))}${r.stoppedEarly ? `; ${escapeHtml(r.stoppedEarly)}` : ''}.</p>
<table><thead><tr><th>#</th><th class="text">setting</th><th>val acc, ${epochs(p.shortEpochs)}</th><th>val acc, ${epochs(p.longEpochs)}</th><th></th></tr></thead><tbody>${rows}</tbody></table>`;
}

const epochs = (n: number) => `${n} epoch${n === 1 ? '' : 's'}`;
