// Reproducing a recipe's published table: the whole pipeline once per seed, mean ± std over seeds
// next to the published numbers and their source, and the recipe's goal checked. Each seed runs in
// <outDir>/<recipe>/seed-<n>/; a finished run there with the same config is read back (not rerun),
// an unfinished one is resumed, and a finished teacher with the same settings is reused (command
// 'distill') instead of retrained.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunConfig } from '../config.ts';
import { runPipeline, type PipelineEvents } from '../pipeline/pipeline.ts';
import type { RunResults } from '../run/record.ts';
import { gapClosed, pairedDifference, summarize, type Summary } from '../eval/seed-stats.ts';
import type { RecipeInfo } from './recipe.ts';

export const reproducedStages = ['teacher', 'scratch', 'distilled'] as const;
export type ReproducedStage = (typeof reproducedStages)[number];

export interface SeedOutcome {
  seed: number;
  runDir: string;
  /** Test errors per stage (count of misclassified test examples). */
  errors: Partial<Record<ReproducedStage, number>>;
  /** Test accuracy per stage, in [0, 1]. */
  accuracy: Partial<Record<ReproducedStage, number>>;
  testExamples: number;
  /** Wall time of this seed's pipeline. */
  seconds: number;
  /** Seconds per stage as trained in this run (0 = reused). */
  stageSeconds: Partial<Record<ReproducedStage, number>>;
  teacherReused: boolean;
  backend: string;
}

export interface ReproduceOptions {
  /** The resolved recipe config (its `recipe` section names it). */
  config: RunConfig;
  seeds: number[];
  /** Reuse a finished teacher of the same seed and settings (default true). */
  reuseTeacher?: boolean;
  /** false: only read back seeds that already finished, train nothing (default true). */
  train?: boolean;
  events?: PipelineEvents & { onSeedStart?(seed: number): void };
  /** After each seed (e.g. to rewrite docs/reproductions.md with what has finished). */
  onSeedEnd?(outcome: SeedOutcome, all: SeedOutcome[]): void | Promise<void>;
}

/** Runs the recipe once per seed, in order; returns each seed's outcome. */
export async function reproduce(options: ReproduceOptions): Promise<SeedOutcome[]> {
  const { config, seeds, events = {} } = options;
  const name = config.recipe?.name ?? 'run';
  const outcomes: SeedOutcome[] = [];
  for (const seed of seeds) {
    events.onSeedStart?.(seed);
    const seedConfig: RunConfig = {
      ...config,
      seed,
      outDir: join(config.outDir, name, `seed-${seed}`),
    };
    const done = finishedRun(seedConfig);
    if (done) {
      events.onInfo?.(`seed ${seed}: already finished in ${done}`);
      const saved = JSON.parse(readFileSync(join(done, 'results.json'), 'utf8')) as RunResults;
      outcomes.push(seedOutcome(seed, saved, saved.command === 'distill'));
      await options.onSeedEnd?.(outcomes.at(-1)!, outcomes);
      continue;
    }
    if (options.train === false) {
      events.onInfo?.(`seed ${seed}: not finished, skipped (nothing is trained)`);
      continue;
    }
    const resumeDir = unfinishedRun(seedConfig);
    const teacherDir =
      !resumeDir && (options.reuseTeacher ?? true) ? finishedTeacher(seedConfig) : undefined;
    if (resumeDir) events.onInfo?.(`seed ${seed}: resuming ${resumeDir}`);
    if (teacherDir) events.onInfo?.(`seed ${seed}: reusing the teacher in ${teacherDir}`);
    const results = await runPipeline({
      config: seedConfig,
      command: resumeDir ? savedCommand(resumeDir) : teacherDir ? 'distill' : 'run',
      teacherDirs: resumeDir ? savedTeachers(resumeDir) : teacherDir ? [teacherDir] : undefined,
      resumeDir,
      events,
    });
    const outcome = seedOutcome(seed, results, Boolean(teacherDir));
    outcomes.push(outcome);
    await options.onSeedEnd?.(outcome, outcomes);
  }
  return outcomes;
}

function seedOutcome(seed: number, results: RunResults, teacherReused: boolean): SeedOutcome {
  const test = results.dataset.test;
  const errors: SeedOutcome['errors'] = {};
  const accuracy: SeedOutcome['accuracy'] = {};
  const stageSeconds: SeedOutcome['stageSeconds'] = {};
  for (const stage of reproducedStages) {
    const row = results.evaluation.rows.find((r) => r.name === stage);
    if (!row) continue;
    accuracy[stage] = row.accuracy;
    errors[stage] = Math.round((1 - row.accuracy) * test);
    stageSeconds[stage] = results.stages[stage]?.seconds ?? 0;
  }
  return {
    seed,
    runDir: results.runDir,
    errors,
    accuracy,
    testExamples: test,
    seconds: results.seconds,
    stageSeconds,
    teacherReused,
    backend: results.backend.description,
  };
}

/** Run folders directly under the seed's outDir, newest first. */
function runDirs(config: RunConfig): string[] {
  if (!existsSync(config.outDir)) return [];
  return readdirSync(config.outDir)
    .filter((d) => existsSync(join(config.outDir, d, 'config.json')))
    .sort()
    .reverse()
    .map((d) => join(config.outDir, d));
}

function savedRun(dir: string): {
  command: 'run' | 'distill';
  config: RunConfig;
  teacherDirs?: string[];
} {
  return JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
}
const savedCommand = (dir: string) => savedRun(dir).command;
const savedTeachers = (dir: string) => savedRun(dir).teacherDirs;

/** Same training: equal configs once the recipe's description (not a setting) is left out. */
const same = (a: RunConfig, b: RunConfig) => {
  const settings = ({ recipe: _recipe, ...rest }: RunConfig) => rest;
  return JSON.stringify(settings(a)) === JSON.stringify(settings(b));
};

/** A finished run of exactly this config. */
function finishedRun(config: RunConfig): string | undefined {
  return runDirs(config).find(
    (d) => existsSync(join(d, 'results.json')) && same(savedRun(d).config, config),
  );
}

/** An interrupted run of exactly this config (no results.json yet). */
function unfinishedRun(config: RunConfig): string | undefined {
  return runDirs(config).find(
    (d) => !existsSync(join(d, 'results.json')) && same(savedRun(d).config, config),
  );
}

/** A teacher trained by an earlier run of this seed with the same data and teacher settings. */
function finishedTeacher(config: RunConfig): string | undefined {
  const key = (c: RunConfig) => [c.dataset, c.trainLimit, c.validationSize, c.batchSize, c.teacher];
  for (const d of runDirs(config)) {
    const saved = savedRun(d);
    const teacher = join(d, 'models', 'teacher');
    const sameTeacher = JSON.stringify(key(saved.config)) === JSON.stringify(key(config));
    if (saved.command === 'run' && sameTeacher && existsSync(teacher))
      if (existsSync(join(teacher, 'model.json'))) return teacher;
  }
  return undefined;
}

export interface ReproductionSummary {
  seeds: number[];
  errors: Partial<Record<ReproducedStage, Summary>>;
  /** distilled − scratch test errors over the same seeds (negative = distillation helped). */
  distilledMinusScratch?: ReturnType<typeof pairedDifference>;
  /** (scratch − distilled) / (scratch − teacher), on the means. */
  gapClosed?: number;
  goalMet?: { teacher?: boolean; gapClosed?: boolean };
}

export function summarizeReproduction(
  outcomes: SeedOutcome[],
  info?: RecipeInfo,
): ReproductionSummary {
  const errors: ReproductionSummary['errors'] = {};
  for (const stage of reproducedStages) {
    const values = outcomes.map((o) => o.errors[stage]).filter((v) => v !== undefined);
    if (values.length === outcomes.length && values.length > 0) errors[stage] = summarize(values);
  }
  const { teacher, scratch, distilled } = errors;
  // Errors are lower-is-better: negated, the gap is the same (scratch − distilled) / (scratch − teacher).
  const closed =
    teacher && scratch && distilled
      ? gapClosed(-teacher.mean, -scratch.mean, -distilled.mean)
      : undefined;
  const goal = info?.goal;
  return {
    seeds: outcomes.map((o) => o.seed),
    errors,
    distilledMinusScratch:
      scratch && distilled ? pairedDifference(scratch.values, distilled.values) : undefined,
    gapClosed: closed,
    goalMet: goal
      ? {
          teacher: goal.teacher !== undefined && teacher ? teacher.mean <= goal.teacher : undefined,
          gapClosed:
            goal.gapClosed !== undefined && closed !== undefined
              ? closed >= goal.gapClosed
              : undefined,
        }
      : undefined,
  };
}
