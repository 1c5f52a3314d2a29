// Several seeds of one job: runPipeline once per seed into <parent>/seed-<s>/, then mean ± std of
// every model's test accuracy (and macro-F1), the gain paired by seed with its noise verdict, and
// the share of the scratch–teacher gap the distilled student closes. The teacher is
// trained once (first seed) and reused when it is not one of the compared arms; in born-again runs
// it is the baseline, so each seed trains its own. Leaves out: parallel seeds (2 cores), per-seed
// teachers for run (a stated design choice, see docs/auto-temperature.md).
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { RunConfig } from '../config.ts';
import { validateConfig } from '../config.ts';
import { writeAtomic } from '../io/atomic.ts';
import { createRunDir } from '../run/folder.ts';
import { VERSION, type RunResults } from '../run/record.ts';
import { usageError } from '../errors.ts';
import {
  gainVerdict,
  gapClosed,
  summarize,
  type GainVerdict,
  type Summary,
} from '../eval/seed-stats.ts';
import { runPipeline, type PipelineEvents } from './pipeline.ts';

export type SeedsCommand = 'run' | 'distill' | 'born-again';

export interface SeedsOptions {
  config: RunConfig;
  command: SeedsCommand;
  /** At least one; distinct. */
  seeds: number[];
  /** Saved teacher(s) (distill): shared by every seed. */
  teacherDirs?: string[];
  /** A parent folder written by an interrupted runSeeds: finished seeds are read, others resumed. */
  resumeDir?: string;
  events?: PipelineEvents & { onSeedStart?(seed: number, index: number, total: number): void };
}

export interface SeedRow {
  name: string;
  /** Test accuracy over the seeds, in seed order. */
  accuracy: Summary;
  /** Test macro-F1 over the seeds, when every seed's evaluation has it. */
  macroF1?: Summary;
}

export interface SeedsResults {
  distillery: string;
  kind: 'seeds';
  createdAt: string;
  dir: string;
  command: SeedsCommand;
  seeds: number[];
  /** How the teacher was shared across seeds, in words (also printed). */
  teacher: string;
  runs: { seed: number; runDir: string; seconds: number }[];
  /** Model rows present in every seed's evaluation, in the first run's order. */
  rows: SeedRow[];
  /** Candidate − baseline, paired by seed. */
  gain?: GainVerdict & { baseline: string; candidate: string };
  /** The same paired difference on test macro-F1 (the metric of imbalanced data, e.g. spam). */
  macroF1Gain?: GainVerdict;
  /**
   * (distilled − scratch) / (teacher − scratch) on the means over seeds, per metric; absent where
   * the teacher is not above the scratch student (no gap to close) or a row is missing.
   */
  gapClosed?: { accuracy?: number; macroF1?: number };
  /** The automatic temperature and weights of each seed, when the search ran. */
  autoTune?: { seed: number; chosen?: Record<string, unknown>; reason: string; seconds?: number }[];
  seconds: number;
}

/** Parses `--seeds 1,2,3`. */
export function parseSeeds(text: string): number[] {
  const seeds = text.split(',').map((s) => s.trim());
  const values = seeds.map(Number);
  if (seeds.some((s) => !/^\d+$/.test(s)))
    throw usageError(
      `--seeds ${text}: expected non-negative integers separated by commas, e.g. 1,2,3`,
    );
  if (new Set(values).size !== values.length) throw usageError(`--seeds ${text}: a seed repeats`);
  return values;
}

/** `--repeats n`: n seeds counting up from the configured seed. */
export function repeatSeeds(first: number, repeats: number): number[] {
  if (!(Number.isInteger(repeats) && repeats >= 1))
    throw usageError(`--repeats ${repeats}: expected a positive integer`);
  return Array.from({ length: repeats }, (_, i) => first + i);
}

const PLAN = 'seeds-plan.json';
export const AGGREGATE = 'aggregate.json';

/** Reads the plan of a multi-seed parent folder, or undefined if `dir` is not one. */
export function readSeedsPlan(
  dir: string,
):
  | { config: RunConfig; command: SeedsCommand; seeds: number[]; teacherDirs?: string[] }
  | undefined {
  const path = join(resolve(dir), PLAN);
  if (!existsSync(path)) return undefined;
  const plan = JSON.parse(readFileSync(path, 'utf8'));
  return { ...plan, config: validateConfig(plan.config) };
}

export async function runSeeds(options: SeedsOptions): Promise<SeedsResults> {
  const started = performance.now();
  const { config, command, seeds, events = {} } = options;
  if (seeds.length === 0) throw usageError('--seeds: give at least one seed');
  const dir = options.resumeDir
    ? resolve(options.resumeDir)
    : createRunDir(config.outDir, `seeds-${seeds.join('-')}_`);
  if (options.resumeDir && existsSync(join(dir, AGGREGATE)))
    throw usageError(`${dir} already finished (${AGGREGATE} exists): start a new run instead`);
  if (!options.resumeDir) {
    mkdirSync(dir, { recursive: true });
    const plan = { command, seeds, teacherDirs: options.teacherDirs, config };
    writeAtomic(join(dir, PLAN), JSON.stringify(plan, null, 2));
  }

  const shareTeacher = command === 'run';
  const teacherNote =
    command === 'distill'
      ? `the saved teacher is shared by all ${seeds.length} seeds`
      : command === 'born-again'
        ? `each seed trains its own teacher (the teacher is the baseline the generations are compared with)`
        : seeds.length === 1
          ? `one seed (${seeds[0]})`
          : `the teacher is trained once (seed ${seeds[0]}) and reused for ${seeds.length === 2 ? 'seed' : 'seeds'} ${seeds.slice(1).join(', ')}; scratch and distilled students are paired by seed`;
  events.onInfo?.(`${seeds.length} seed(s) into ${dir}: ${teacherNote}`);

  const results: RunResults[] = [];
  let teacherDirs = options.teacherDirs;
  for (const [i, seed] of seeds.entries()) {
    events.onSeedStart?.(seed, i, seeds.length);
    const runDir = join(dir, `seed-${seed}`);
    const seedConfig = { ...config, seed };
    let result: RunResults;
    if (existsSync(join(runDir, 'results.json'))) {
      result = JSON.parse(readFileSync(join(runDir, 'results.json'), 'utf8'));
      events.onInfo?.(`seed ${seed}: already finished, read ${runDir}`);
    } else {
      result = await runPipeline({
        config: seedConfig,
        command,
        teacherDirs,
        ...(existsSync(join(runDir, 'config.json')) ? { resumeDir: runDir } : { runDir }),
        events,
      });
    }
    results.push(result);
    if (shareTeacher && i === 0) teacherDirs = [join(result.runDir, 'models', 'teacher')];
  }

  const rows = aggregateRows(results);
  const gain = pairedGain(results);
  const aggregate: SeedsResults = {
    distillery: VERSION,
    kind: 'seeds',
    createdAt: new Date().toISOString(),
    dir,
    command,
    seeds,
    teacher: teacherNote,
    runs: results.map((r, i) => ({ seed: seeds[i], runDir: r.runDir, seconds: r.seconds })),
    rows,
    gain,
    macroF1Gain: gain && gain.baseline === 'scratch' ? pairedMacroF1Gain(results) : undefined,
    gapClosed: gain?.baseline === 'scratch' ? gapsClosed(rows) : undefined,
    autoTune: results.some((r) => r.autoTune)
      ? results.map((r, i) => ({
          seed: seeds[i],
          chosen: r.autoTune?.record?.chosen,
          reason: r.autoTune?.record?.reason ?? r.autoTune?.skipped ?? 'not run',
          seconds: r.autoTune?.record?.seconds,
        }))
      : undefined,
    seconds: (performance.now() - started) / 1000,
  };
  writeAtomic(join(dir, AGGREGATE), JSON.stringify(aggregate, null, 2));
  try {
    const { writeSeedsReport } = await import('../report/seeds-html.ts');
    events.onInfo?.(`report: ${writeSeedsReport(aggregate, results)}`);
  } catch (e) {
    events.onInfo?.(`report.html of the seeds not written (${(e as Error).message})`);
  }
  return aggregate;
}

/** Mean ± std of each model row's test accuracy and macro-F1 over the runs (rows every run has). */
export function aggregateRows(results: RunResults[]): SeedRow[] {
  const names = results[0].evaluation.rows.map((r) => r.name);
  return names
    .filter((name) => results.every((r) => r.evaluation.rows.some((row) => row.name === name)))
    .map((name) => {
      const found = results.map((r) => r.evaluation.rows.find((row) => row.name === name)!);
      const f1 = found.map((row) => row.macroF1);
      return {
        name,
        accuracy: summarize(found.map((row) => row.accuracy)),
        ...(f1.every((v) => v !== undefined) ? { macroF1: summarize(f1 as number[]) } : {}),
      };
    });
}

/** Test macro-F1 of distilled − scratch, paired by seed (when every seed has both rows). */
function pairedMacroF1Gain(results: RunResults[]): GainVerdict | undefined {
  const of = (r: RunResults, name: string) =>
    r.evaluation.rows.find((row) => row.name === name)?.macroF1;
  const scratch = results.map((r) => of(r, 'scratch'));
  const distilled = results.map((r) => of(r, 'distilled'));
  if ([...scratch, ...distilled].some((v) => v === undefined)) return undefined;
  return gainVerdict(scratch as number[], distilled as number[]);
}

/** The share of the scratch–teacher gap closed by the distilled student, on the seeds' means. */
function gapsClosed(rows: SeedRow[]): SeedsResults['gapClosed'] {
  const [teacher, scratch, distilled] = ['teacher', 'scratch', 'distilled'].map((n) =>
    rows.find((r) => r.name === n),
  );
  if (!teacher || !scratch || !distilled) return undefined;
  const on = (metric: 'accuracy' | 'macroF1') => {
    const [t, s, d] = [teacher[metric], scratch[metric], distilled[metric]];
    return t && s && d ? gapClosed(t.mean, s.mean, d.mean) : undefined;
  };
  return { accuracy: on('accuracy'), macroF1: on('macroF1') };
}

/** distilled − scratch (or last generation − teacher in born-again runs), paired by seed. */
export function pairedGain(results: RunResults[]): SeedsResults['gain'] {
  const arms = (r: RunResults): [string, number | undefined, string, number | undefined] =>
    r.summary.generationAccuracies
      ? [
          'teacher',
          r.summary.teacherAccuracy,
          `generation-${r.summary.generationAccuracies.length}`,
          r.summary.generationAccuracies.at(-1),
        ]
      : ['scratch', r.summary.scratchAccuracy, 'distilled', r.summary.distilledAccuracy];
  const all = results.map(arms);
  if (all.some(([, b, , c]) => b === undefined || c === undefined)) return undefined;
  const verdict = gainVerdict(
    all.map(([, b]) => b!),
    all.map(([, , , c]) => c!),
  );
  return { ...verdict, baseline: all[0][0], candidate: all[0][2] };
}
