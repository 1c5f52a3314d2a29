// A reproduction as text: the table (published vs measured mean ± std per stage, per-seed values),
// the goal's verdict and the timings, as Markdown; and docs/reproductions.md updated section by
// section (one per recipe, between markers), so reproducing one recipe keeps the others.
import { existsSync, readFileSync } from 'node:fs';
import { writeAtomic } from '../io/atomic.ts';
import type { RecipeInfo } from './recipe.ts';
import { summarize } from '../eval/seed-stats.ts';
import {
  reproducedStages,
  summarizeReproduction,
  type ReproductionSummary,
  type SeedOutcome,
} from './reproduce.ts';

const fmt = (x: number, digits = 1) => x.toFixed(digits);

export interface ReproductionContext {
  info: RecipeInfo;
  /** Seeds asked for (the table says how many finished). */
  requestedSeeds: number[];
  /** Free text: machine, load, commit. */
  environment?: string;
}

/** The Markdown section of one recipe's reproduction. */
export function reproductionMarkdown(
  outcomes: SeedOutcome[],
  context: ReproductionContext,
): string {
  const { info, requestedSeeds } = context;
  const summary = summarizeReproduction(outcomes, info);
  const lines: string[] = [];
  lines.push(`## ${info.title}`, '');
  lines.push(
    `Recipe: \`recipes/${info.name}.json\` — \`distillery reproduce ${info.name} --seeds ${requestedSeeds.join(',')}\``,
    '',
  );
  lines.push(`Source: ${info.source}.`, '');
  if (outcomes.length < requestedSeeds.length) {
    lines.push(
      `**Partial: ${outcomes.length} of ${requestedSeeds.length} seeds finished** (${outcomes.map((o) => o.seed).join(', ') || 'none'}); the statistics below cover those only.`,
      '',
    );
  }
  const published = info.published;
  // Measured in the published metric: test errors, or test accuracy in %.
  const asAccuracy = published?.metric === 'test accuracy %';
  const unit = asAccuracy ? 'test accuracy %' : 'test errors';
  const digits = asAccuracy ? 2 : 1;
  lines.push(
    `| stage | published (${published?.metric ?? '—'}) | measured ${unit}, mean ± std | per seed (${outcomes.map((o) => o.seed).join(', ')}) |`,
    '|---|---:|---:|---|',
  );
  for (const stage of reproducedStages) {
    const errors = summary.errors[stage];
    if (!errors) continue;
    const values = asAccuracy ? outcomes.map((o) => 100 * (o.accuracy[stage] ?? 0)) : errors.values;
    const s = asAccuracy ? summarize(values) : errors;
    const perSeed = values.map((v) => (asAccuracy ? v.toFixed(2) : String(v))).join(', ');
    lines.push(
      `| ${stage} | ${published?.values[stage] ?? '—'} | ${fmt(s.mean, digits)} ± ${fmt(s.std, digits)} | ${perSeed} |`,
    );
  }
  lines.push('');
  if (published) lines.push(`Published: ${published.source}.`, '');
  lines.push(...verdictLines(summary, info));
  lines.push('', ...timingLines(outcomes));
  if (info.deviations?.length) {
    lines.push('', 'Where the recipe departs from the paper:', '');
    for (const d of info.deviations) lines.push(`- ${d}`);
  }
  if (context.environment) lines.push('', context.environment);
  return lines.join('\n');
}

function verdictLines(summary: ReproductionSummary, info: RecipeInfo): string[] {
  const out: string[] = [];
  const d = summary.distilledMinusScratch;
  if (d) {
    const interval = d.interval
      ? `, 95% interval [${fmt(d.interval[0])}, ${fmt(d.interval[1])}] (${d.verdict})`
      : ' (one seed: no interval)';
    out.push(`Distilled − scratch: ${fmt(d.mean)} test errors on average${interval}.`);
  }
  if (summary.gapClosed !== undefined) {
    out.push(
      `Gap closed: ${fmt(100 * summary.gapClosed)}% of the scratch–teacher gap (on the means; the paper: ${gapOfPublished(info)}).`,
    );
  }
  if (info.goal) {
    const met = summary.goalMet ?? {};
    const word = (v: boolean | undefined) =>
      v === undefined ? 'not measured' : v ? 'met' : 'NOT met';
    out.push(`Goal (${info.goal.text}): teacher ${word(met.teacher)}, gap ${word(met.gapClosed)}.`);
  }
  return out;
}

function gapOfPublished(info: RecipeInfo): string {
  const v = info.published?.values;
  if (!v || v.teacher === undefined || v.scratch === undefined || v.distilled === undefined)
    return '—';
  return `${fmt((100 * (v.scratch - v.distilled)) / (v.scratch - v.teacher))}%`;
}

function timingLines(outcomes: SeedOutcome[]): string[] {
  if (outcomes.length === 0) return [];
  const rows = outcomes.map((o) => {
    const st = o.stageSeconds;
    const teacher = o.teacherReused ? 'reused' : `${fmt(st.teacher ?? 0, 0)} s`;
    return `| ${o.seed} | ${teacher} | ${fmt(st.scratch ?? 0, 0)} s | ${fmt(st.distilled ?? 0, 0)} s | ${fmt(o.seconds, 0)} s | ${o.backend} |`;
  });
  return [
    '| seed | teacher | scratch | distilled | whole run | backend |',
    '|---:|---:|---:|---:|---:|---|',
    ...rows,
  ];
}

const begin = (name: string) => `<!-- reproduction:${name} -->`;
const end = (name: string) => `<!-- /reproduction:${name} -->`;

/** Replaces (or appends) the recipe's section of the document at `path`. */
export function writeReproductionSection(path: string, name: string, markdown: string): void {
  const header =
    '# Reproductions\n\nPublished tables rerun with `distillery reproduce <recipe>` (`npm run bench:reproduce`). Each section is rewritten by its own reproduction; numbers are test errors on the 10,000 test images unless stated.\n';
  let text = existsSync(path) ? readFileSync(path, 'utf8') : header;
  const section = `${begin(name)}\n${markdown}\n${end(name)}`;
  const from = text.indexOf(begin(name));
  const to = text.indexOf(end(name));
  if (from >= 0 && to > from) {
    text = text.slice(0, from) + section + text.slice(to + end(name).length);
  } else {
    text = `${text.trimEnd()}\n\n${section}\n`;
  }
  writeAtomic(path, text);
}
