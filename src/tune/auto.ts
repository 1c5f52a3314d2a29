// The automatic choice of temperature and loss weights, run before the distilled stage when the
// user set neither: a small candidate set (T ∈ {1, 2, 4, 8} × three weightings), equal-budget short
// trials on a slice of the training split, scored on the validation split only (this file is
// never given the test split), then the top two and the configured setting continue to a longer
// budget; ties go to the configured setting (one paired standard error). In a run the trials
// fine-tune the trained scratch student rather than start from the initialisation: a trial of a
// few percent of the stage's steps from scratch ranks settings by how fast they learn (on a table
// the trials stood at 19-34% accuracy against 81% at the end), from a trained student it ranks
// them where the final accuracy is decided; they fine-tune at a tenth of the stage's learning rate
// (FINE_TUNE_RATE) and otherwise train as the stage does (its schedule, decay, max-norm, clipping,
// label smoothing). The whole search is planned to cost at most `budget`
// (default 50%) of the distilled stage, counted in example passes; each trial is a plain student
// run on cached teacher logits. Leaves out: learned temperatures (CTKD) and schedules as
// candidates.
import { ioError } from '../errors.ts';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LayersModel } from '../tf.ts';
import { tf } from '../tf.ts';
import type { RunConfig } from '../config.ts';
import { defaultConfig } from '../config.ts';
import { sliceSplit, type Split } from '../data/dataset.ts';
import { buildModel } from '../models/index.ts';
import { fit, weightAverageFor, type EpochRecord } from '../train/loop.ts';
import type { WeightAverage } from '../train/weight-average.ts';
import { createOptimizer } from '../train/optimizers.ts';
import { stageTraining } from '../train/recipe.ts';
import { Distiller } from '../distill/distiller.ts';
import type { DistillMethod } from '../distill/method.ts';
import { methods } from '../distill/methods/index.ts';
import type { TeacherLogits } from '../distill/teacher-cache.ts';
import { correctnessOf } from '../eval/metrics.ts';
import { pairedStandardError } from '../eval/seed-stats.ts';
import { isModelDir, loadModel } from '../models/io.ts';
import { writeAtomic } from '../io/atomic.ts';
import { runFiles } from '../run/folder.ts';
import type { AutoTuneOutcome } from '../run/record.ts';
import type { RunContext } from '../pipeline/context.ts';
import { transferLogits } from '../pipeline/transfer.ts';
import type { Teacher } from '../teachers/teacher.ts';
import { deriveSeed } from '../random.ts';
import { primaryInput, type InputSpec } from '../data/spec.ts';
import { grid } from './tune.ts';
import { AUTO_KEYS } from './auto-mode.ts';

/**
 * A validation example costs about a third of a training example (forward only) in theory, more
 * in practice (measured ~2×: small batches of work, a sync per batch): counted as a half.
 */
const EVAL_COST = 1 / 2;
/**
 * The plan fills this share of the budget; the rest absorbs per-trial overheads (model builds,
 * warm-up) so that the time guard rarely has to cut the search, which keeps the choice a function
 * of the seed and the data, not of the machine's load.
 */
const PLAN_SHARE = 0.8;
/**
 * The time guard is a safety net at this multiple of the budget: the plan (in example passes)
 * is what bounds the cost. A guard at the budget itself made the choice depend on the machine's
 * load (CI with parallel test files cut the search after one candidate), and so made "the same
 * seed repeats the same numbers" false; at 2× it only catches a machine that slowed down badly.
 */
const GUARD_FACTOR = 2;
/**
 * Trials that fine-tune the trained scratch student do so at this fraction of the stage's learning
 * rate (and of every rate of its schedule), the usual rate for fine-tuning a trained network. At
 * the full rate a fresh Adam moves every weight by about the rate from its first step, which
 * knocks the trained student off its solution, and a 2-epoch trial then measures in good part how
 * fast each loss recovers it: the hard-heavy weighting, closest to the student's own training, won
 * there (7 of 10 MNIST seeds, against the tune's 0.5/0.5 from the initialisation). Chosen on
 * bench:auto's seeds 11-15 (85% of the tune's gain on MNIST against 60% at the full rate); on the
 * table's seeds 1-10, held out from that choice, 71% against 45% (docs/auto-temperature.md).
 */
export const FINE_TUNE_RATE = 0.1;
const TEMPERATURES = [1, 2, 4, 8];
/**
 * The weightings tried besides the configured one: soft-heavy (mdistiller's) and hard-heavy. The
 * hard-heavy one is the way out when the teacher is barely better than the student: bench:auto
 * measured distillation hurting on Fashion-MNIST beyond seed noise at 0.5/0.5 and at 0.1/0.9, and
 * a full tune avoiding the loss at 0.9/0.1.
 */
const WEIGHTINGS = [
  { hardWeight: 0.5, softWeight: 0.5 },
  { hardWeight: 0.1, softWeight: 0.9 },
  { hardWeight: 0.9, softWeight: 0.1 },
];

export interface AutoTuneCandidate {
  id: number;
  /** The searched parameters of this candidate. */
  params: Record<string, unknown>;
  /** Validation accuracy after the short trial. */
  shortScore: number;
  /** Validation accuracy after the longer trial (finalists only). */
  longScore?: number;
  incumbent: boolean;
}

export interface AutoTuneRecord {
  /** Searched parameter names, e.g. ['temperature', 'hardWeight', 'softWeight']. */
  searched: string[];
  /** The configured setting: it wins ties. */
  incumbent: Record<string, unknown>;
  candidates: AutoTuneCandidate[];
  /** The winning parameters (searched keys only) and the full method parameters used. */
  chosen: Record<string, unknown>;
  methodParams: Record<string, unknown>;
  /** Why the winner won, in one sentence (also printed). */
  reason: string;
  /** Where the trials started: the trained scratch student's weights, or the initialisation. */
  start?: 'scratch student' | 'initialisation';
  /** The trials' base learning rate (the stage's, times FINE_TUNE_RATE from the scratch student). */
  learningRate?: number;
  /** Validation accuracy of the weights the trials started from (the scratch stage's kept epoch). */
  startScore?: number;
  plan: {
    budget: number;
    trialExamples: number;
    trainExamples: number;
    validationExamples: number;
    shortEpochs: number;
    longEpochs: number;
    finalists: number;
    /** Example passes planned for the search and for the distilled stage (training + validation/3). */
    plannedUnits: number;
    stageUnits: number;
  };
  /** Wall time of the trials (the teacher-logit cache, shared with the stage, not included). */
  seconds: number;
  /** The time guard's safety bound in seconds, and why the search stopped early if it did. */
  timeBound?: number;
  stoppedEarly?: string;
}

export interface AutoTuneOptions {
  config: RunConfig;
  /** Only the training and validation splits: the choice cannot see the test split. */
  train: Split;
  validation: Split;
  inputShape: number[];
  classes: number;
  /** The dataset's input (text students read their vocabulary size from it). */
  input?: InputSpec;
  /** Any teacher kind (the Distiller checks it fits the student). */
  teacher: Teacher;
  /** The method as configured; its searched parameters are the incumbent. */
  method: DistillMethod;
  /** Cached teacher logits of `train` (rows in split order), or undefined for a live teacher. */
  teacherLogits?: TeacherLogits;
  /** Fraction of the distilled stage's cost the search may use (default 0.5). */
  budget?: number;
  /**
   * Seconds of a plain student stage (see plainStageSeconds; no slower than the distilled one):
   * a safety net stops the search before a trial that would take it past twice `budget` of this
   * (the plan, in example passes, is the bound), and it chooses among what it scored.
   */
  stageSeconds?: number;
  /**
   * Trials start from these weights instead of the distilled student's initialisation: the
   * pipeline passes the trained scratch student's (same architecture), so that every trial
   * fine-tunes a trained student with its candidate loss (each with a fresh optimizer).
   */
  startWeights?: tf.Tensor[];
  /**
   * Validation accuracy of `startWeights` on `validation`, if known (the pipeline reads it from the
   * scratch stage's history, at no cost): recorded, and said when no trial ended above it.
   */
  startScore?: number;
  /**
   * Whether ties (a lead within one paired standard error) go to the configured setting: true
   * (the default) when the user gave its values (`--temperature auto` with weights set); the
   * pipeline passes false when the configured setting is the library's defaults, a hand-set
   * guess with no claim to win ties, and the best validation score wins.
   */
  protectConfigured?: boolean;
  onInfo?(message: string): void;
}

export type AutoTuneResult =
  { record: AutoTuneRecord; method: DistillMethod } | { skipped: string; method: DistillMethod };

/**
 * The search space of a method, in two rounds (coordinate search, for the keys it has): first the
 * temperatures at the configured weights (the configured setting among them), then the other
 * weightings at the temperature that won the first round. 4 + 2 short trials for kd instead of
 * the 12 of the full grid: each trial gets twice the examples in the same budget.
 */
export function candidateSpace(
  params: Record<string, unknown>,
  scheduled: string[] = [],
): {
  keys: string[];
  incumbent: Record<string, unknown>;
  /** Round 1: full candidate settings (the incumbent first). */
  temperatures: Record<string, unknown>[];
  /** Round 2: weightings, each completed with round 1's winning temperature. */
  weightings: Record<string, unknown>[];
} {
  const has = (k: string) => k in params && typeof params[k] === 'number' && !scheduled.includes(k);
  const weights = has('hardWeight') && has('softWeight');
  const keys = AUTO_KEYS.filter((k) => (k === 'temperature' ? has(k) : weights)) as string[];
  const incumbent = Object.fromEntries(keys.map((k) => [k, params[k]]));
  if (!keys.length) return { keys, incumbent, temperatures: [], weightings: [] };
  const current = weights ? { hardWeight: params.hardWeight, softWeight: params.softWeight } : {};
  const temperatures = has('temperature')
    ? [
        incumbent,
        ...TEMPERATURES.filter((t) => t !== params.temperature).map((temperature) => ({
          temperature,
          ...current,
        })),
      ]
    : [incumbent];
  // The configured weighting and the others; a configured weighting of its own keeps the two
  // extremes (soft-heavy and hard-heavy).
  const others = weights ? WEIGHTINGS.filter((w) => !sameParams(w, current)) : [];
  return { keys, incumbent, temperatures, weightings: others.slice(others.length - 2) };
}

/** The plan: trial slice size and epochs within `budget` of the stage (units: example passes). */
export function planSearch(options: {
  candidates: number;
  trainExamples: number;
  validationExamples: number;
  epochs: number;
  batchSize: number;
  budget: number;
}): AutoTuneRecord['plan'] | { skipped: string } {
  const {
    candidates,
    trainExamples: n,
    validationExamples: v,
    epochs,
    batchSize,
    budget,
  } = options;
  // 2 epochs, then 4 for the finalists. Measured against 1 then 2 (twice the examples per trial):
  // level on MNIST and the table, but on Fashion-MNIST the shorter trials always kept the
  // defaults, which lost 0.89 points (bench:auto, 3 seeds).
  const shortEpochs = Math.min(2, epochs);
  const longEpochs = Math.min(4, epochs);
  const finalists = longEpochs > shortEpochs ? Math.min(3, candidates) : 0;
  const stageUnits = epochs * (n + v * EVAL_COST);
  const evalUnits = (candidates + finalists) * v * EVAL_COST;
  const perExample = candidates * shortEpochs + finalists * (longEpochs - shortEpochs);
  const trialExamples = Math.min(
    n,
    Math.floor((PLAN_SHARE * budget * stageUnits - evalUnits) / perExample),
  );
  const minimum = 4 * batchSize;
  if (trialExamples < minimum)
    return {
      skipped: `the budget (${Math.round(budget * 100)}% of the distilled stage) affords ${Math.max(0, trialExamples)} training examples per trial, fewer than 4 batches (${minimum}): kept the configured setting; train on more data or epochs, or run 'distillery tune'`,
    };
  return {
    budget,
    trialExamples,
    trainExamples: n,
    validationExamples: v,
    shortEpochs,
    longEpochs,
    finalists,
    plannedUnits: trialExamples * perExample + evalUnits,
    stageUnits,
  };
}

/** Searches the candidates and returns the chosen method. */
export async function chooseAutomatically(options: AutoTuneOptions): Promise<AutoTuneResult> {
  const { config, method, onInfo } = options;
  const factory = methods[method.name as keyof typeof methods];
  const params = { ...method.params } as Record<string, unknown>;
  const space = candidateSpace(params, Object.keys(config.schedules));
  const { keys, incumbent } = space;
  const shortTrials = space.temperatures.length + space.weightings.length;
  if (shortTrials < 2)
    return {
      skipped: `method ${method.name} has no temperature or loss weights to choose`,
      method,
    };
  const plan = planSearch({
    candidates: shortTrials,
    trainExamples: options.train.count,
    validationExamples: options.validation.count,
    epochs: config.student.epochs,
    batchSize: config.batchSize,
    budget: options.budget ?? 0.5,
  });
  if ('skipped' in plan) return { skipped: plan.skipped, method };

  const started = performance.now();
  // Trials train as the stage does (optimizer options, schedule, decay, max-norm, clipping, label
  // smoothing), at a fine-tuning rate from a trained start. The schedule spans the longer trial,
  // so a finalist's continuation is one uninterrupted run (as tune's rungs); no early stopping,
  // and every trial is scored on its last epoch.
  const training = stageTraining(config.student);
  const trialRate = config.student.learningRate * (options.startWeights ? FINE_TUNE_RATE : 1);
  const train = sliceSplit(options.train, 0, plan.trialExamples);
  const table = options.teacherLogits;
  const logits: TeacherLogits | undefined = table && {
    logits: table.logits.subarray(0, plan.trialExamples * table.classes),
    count: plan.trialExamples,
    classes: table.classes,
  };
  onInfo?.(
    `auto temperature: ${shortTrials} candidates (${space.temperatures.length} temperatures${space.weightings.length ? `, then ${space.weightings.length} weightings at the best of them` : ''}) × ${epochs(plan.shortEpochs)} on ${plan.trialExamples} of ${plan.trainExamples} training examples from the ${options.startWeights ? `trained scratch student at learning rate ${+trialRate.toPrecision(6)} (${FINE_TUNE_RATE} × the stage's)` : 'initialisation'}, then the best 2 and the configured setting to ${epochs(plan.longEpochs)}; scored on the ${plan.validationExamples} validation examples; planned cost ${((100 * plan.plannedUnits) / plan.stageUnits).toFixed(0)}% of the distilled stage (bound ${Math.round(100 * plan.budget)}%)`,
  );

  interface Trial {
    candidate: AutoTuneCandidate;
    student: LayersModel;
    optimizer: tf.Optimizer;
    distiller: Distiller;
    /** The weights' moving average, carried from the short trial to the long one. */
    average?: WeightAverage;
    epochs: number;
    /** 1 where the last evaluation was right, per validation example (paired comparisons). */
    correct?: Uint8Array;
  }
  const describe = (p: Record<string, unknown>) =>
    Object.entries(p)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ');
  const trainTo = async (trial: Trial, epochs: number) => {
    await fit({
      model: trial.student,
      step: trial.distiller.trainStep(),
      optimizer: trial.optimizer,
      train,
      inputShape: options.inputShape,
      epochs: plan.longEpochs,
      stopAfterEpoch: epochs,
      recipe: { ...training.recipe, learningRate: trialRate, earlyStopping: undefined },
      batchSize: config.batchSize,
      // The distilled stage's own seed: same initialisation, batch order and dropout.
      seed: deriveSeed(config.seed, 'student'),
      shiftPixels: config.student.shiftPixels,
      startEpoch: trial.epochs,
      average: trial.average,
      restoreBest: false,
    });
    trial.epochs = epochs;
    trial.correct = correctnessOf(trial.student, options.validation, options.inputShape);
    return mean(trial.correct);
  };
  const disposed = new Set<Trial>();
  const dispose = (trial: Trial) => {
    if (disposed.has(trial)) return;
    disposed.add(trial);
    trial.student.dispose();
    trial.optimizer.dispose();
    trial.average?.dispose();
  };

  // The time guard: predicts each trial from the seconds per unit measured so far.
  const timeBound =
    options.stageSeconds === undefined
      ? undefined
      : GUARD_FACTOR * plan.budget * options.stageSeconds;
  let unitsDone = 0;
  let stopped = false;
  const stops: string[] = [];
  const evalUnits = plan.validationExamples * EVAL_COST;
  const shortUnits = plan.trialExamples * plan.shortEpochs + evalUnits;
  const longUnits = plan.trialExamples * (plan.longEpochs - plan.shortEpochs) + evalUnits;
  // Short trials leave room for the longer trials of the incumbent and the best challenger:
  // when time is short, fewer candidates are tried rather than skipping the longer look.
  const reserve = plan.finalists ? 2 * longUnits : 0;
  const affordable = (units: number, what: string, reserved = 0) => {
    if (timeBound === undefined || unitsDone === 0 || stopped) return !stopped;
    const elapsed = (performance.now() - started) / 1000;
    const rate = elapsed / unitsDone; // seconds per unit, trial overheads included
    const predicted = elapsed + rate * (units + reserved);
    if (predicted <= timeBound) return true;
    stopped = true;
    stops.push(
      `stopped before ${what}: the search would reach ${predicted.toFixed(1)} s${reserved ? ' (with the longer trials to come)' : ''}, past its safety bound of ${timeBound.toFixed(1)} s (${GUARD_FACTOR} × the ${Math.round(100 * plan.budget)}% budget of ${options.stageSeconds!.toFixed(1)} s, the scratch stage's time)`,
    );
    onInfo?.(`auto temperature: ${stops.at(-1)}`);
    return false;
  };

  const trials: Trial[] = [];
  const shortTrial = async (id: number, p: Record<string, unknown>) => {
    const student = await buildModel(config.student.arch, {
      inputShape: options.inputShape,
      classes: options.classes,
      dropout: config.student.dropout,
      inputDropout: config.student.inputDropout,
      seed: deriveSeed(config.seed, 'student', 'init'),
      name: 'student',
      input: options.input,
    });
    if (options.startWeights) student.setWeights(options.startWeights);
    const trial: Trial = {
      candidate: { id, params: p, shortScore: 0, incumbent: sameParams(p, incumbent) },
      student,
      optimizer: createOptimizer({ ...training.optimizer, learningRate: trialRate }),
      average: weightAverageFor(student, training.recipe),
      distiller: new Distiller({
        teacher: options.teacher,
        student,
        method: factory({ ...params, ...p } as never),
        teacherLogits: logits,
        seed: deriveSeed(config.seed, 'student'),
        schedules: config.schedules,
        labelSmoothing: training.labelSmoothing,
      }),
      epochs: 0,
    };
    trials.push(trial);
    trial.candidate.shortScore = await trainTo(trial, plan.shortEpochs);
    unitsDone += shortUnits;
    onInfo?.(
      `auto  #${id} ${describe(p)}${trial.candidate.incumbent ? ' (configured)' : ''}: val acc ${pct(trial.candidate.shortScore)} after ${epochs(plan.shortEpochs)}`,
    );
  };
  // Best first; ties go to the configured setting, then to the earlier candidate.
  const byShortScore = (a: Trial, b: Trial) =>
    b.candidate.shortScore - a.candidate.shortScore ||
    Number(b.candidate.incumbent) - Number(a.candidate.incumbent) ||
    a.candidate.id - b.candidate.id;
  try {
    // Round 1: the temperatures, the configured setting first so that it is always scored.
    let id = 0;
    for (const p of space.temperatures) {
      if (!affordable(shortUnits, `candidate #${id}`, reserve)) break;
      await shortTrial(id++, p);
    }
    // Round 2: the other weightings at round 1's winning temperature.
    const bestTemperature = [...trials].sort(byShortScore)[0].candidate.params.temperature;
    for (const w of space.weightings) {
      const p = {
        ...(bestTemperature === undefined ? {} : { temperature: bestTemperature }),
        ...w,
      };
      if (!affordable(shortUnits, `candidate #${id}`, reserve)) break;
      await shortTrial(id++, p);
    }
    // Finalists: the best two short trials and the incumbent, continued to the longer budget.
    const ranked = [...trials].sort(byShortScore);
    const finalists = plan.finalists
      ? [
          ...new Set([
            ...ranked.slice(0, plan.finalists - 1),
            trials.find((t) => t.candidate.incumbent)!,
          ]),
        ]
      : [];
    for (const t of trials) if (!finalists.includes(t)) dispose(t);
    // The incumbent continues first, then the challengers by short score. If the time bound
    // leaves fewer than two longer trials, only the short scores count.
    finalists.sort(
      (a, b) =>
        Number(b.candidate.incumbent) - Number(a.candidate.incumbent) ||
        b.candidate.shortScore - a.candidate.shortScore,
    );
    stopped = false;
    for (const t of finalists) {
      if (!affordable(longUnits, `the longer trial of #${t.candidate.id}`)) {
        if (finalists.filter((f) => f.candidate.longScore !== undefined).length < 2)
          for (const f of finalists) delete f.candidate.longScore;
        break;
      }
      t.candidate.longScore = await trainTo(t, plan.longEpochs);
      unitsDone += longUnits;
      onInfo?.(
        `auto  #${t.candidate.id} ${describe(t.candidate.params)}: val acc ${pct(t.candidate.longScore)} after ${epochs(plan.longEpochs)}`,
      );
    }
  } finally {
    for (const t of trials) dispose(t);
  }

  const all = trials.map((t) => t.candidate).sort((a, b) => a.id - b.id);
  const correct = new Map(trials.map((t) => [t.candidate.id, t.correct!]));
  const { winner, reason } = pickWinner(
    all,
    plan.validationExamples,
    (a, b) => pairedStandardError(correct.get(a.id)!, correct.get(b.id)!),
    options.protectConfigured ?? true,
  );
  const chosenScore = winner.longScore ?? winner.shortScore;
  const start = options.startScore;
  onInfo?.(
    `auto temperature: ${describe(winner.params)}: ${reason}${start !== undefined && chosenScore <= start ? `; no trial ended above the scratch student it started from (${pct(start)} on validation): distillation may not help here, compare the students by seed (--seeds)` : ''}`,
  );
  const methodParams = { ...params, ...winner.params };
  return {
    method: factory(methodParams as never),
    record: {
      searched: keys,
      incumbent,
      candidates: all,
      chosen: winner.params,
      methodParams,
      reason,
      start: options.startWeights ? 'scratch student' : 'initialisation',
      learningRate: trialRate,
      startScore: options.startScore,
      plan,
      seconds: (performance.now() - started) / 1000,
      timeBound,
      stoppedEarly: stops.length ? stops.join('; ') : undefined,
    },
  };
}

/**
 * The winner: the best score at the longest budget reached; it replaces the incumbent only if it
 * beats it by more than one standard error: of the paired difference on the same validation
 * examples when `pairedError` is given (the trials are scored on one set, so their errors are
 * correlated and the paired error is the right one, usually several times smaller), else the
 * binomial standard error of the incumbent's accuracy.
 */
export function pickWinner(
  candidates: AutoTuneCandidate[],
  validationExamples: number,
  pairedError?: (best: AutoTuneCandidate, incumbent: AutoTuneCandidate) => number,
  protectConfigured = true,
): { winner: AutoTuneCandidate; reason: string } {
  const long = candidates.some((c) => c.longScore !== undefined);
  const score = (c: AutoTuneCandidate) => (long ? c.longScore : c.shortScore);
  const budget = long ? 'longer trials' : 'short trials';
  const incumbent = candidates.find((c) => c.incumbent)!;
  const best = candidates
    .filter((c) => score(c) !== undefined)
    .sort((a, b) => score(b)! - score(a)! || Number(b.incumbent) - Number(a.incumbent))[0];
  const p = score(incumbent)!;
  if (best === incumbent)
    return {
      winner: incumbent,
      reason: `the configured setting scored best in the ${budget} (${pct(p)} on validation)`,
    };
  const margin = pairedError
    ? pairedError(best, incumbent)
    : Math.sqrt(Math.max(p * (1 - p), 1e-12) / validationExamples);
  const error = `${pairedError ? 'paired ' : ''}standard error`;
  const lead = score(best)! - p;
  if (!protectConfigured)
    return {
      winner: best,
      reason: `best in the ${budget}: ${pct(score(best)!)} on validation vs ${pct(p)} for the defaults (+${(100 * lead).toFixed(2)} points; ${error} ${(100 * margin).toFixed(2)}; the defaults win no ties: nothing was configured)`,
    };
  if (lead <= margin)
    return {
      winner: incumbent,
      reason: `kept the configured setting: the best (#${best.id}, ${pct(score(best)!)}) leads it by ${(100 * lead).toFixed(2)} points in the ${budget}, within one ${error} (${(100 * margin).toFixed(2)} points) on ${validationExamples} validation examples`,
    };
  return {
    winner: best,
    reason: `best in the ${budget}: ${pct(score(best)!)} on validation vs ${pct(p)} for the configured setting (+${(100 * lead).toFixed(2)} points, more than one ${error}: ${(100 * margin).toFixed(2)})`,
  };
}

function mean(xs: Uint8Array): number {
  let s = 0;
  for (const x of xs) s += x;
  return s / xs.length;
}

/**
 * The hook of the students' stages, before the distilled one: decides whether to search (run and
 * distill; mode 'on', or 'auto' with the method at its defaults), reuses the choice of an
 * interrupted run, records the outcome in the context and returns the method to distil with.
 */
export async function autoTuneStage(
  ctx: RunContext,
  teacher: Teacher,
  method: DistillMethod,
): Promise<DistillMethod> {
  const { config, data } = ctx;
  if (ctx.command !== 'run' && ctx.command !== 'distill') return method;
  if (!wanted(config)) return method;
  const onInfo = ctx.events.onInfo;
  const path = join(ctx.runDir, 'stages', 'auto-tune.json');
  const factory = methods[method.name as keyof typeof methods];
  if (existsSync(path)) {
    let saved: AutoTuneOutcome;
    try {
      saved = JSON.parse(readFileSync(path, 'utf8')) as AutoTuneOutcome;
    } catch (e) {
      throw ioError(
        `${path} is unreadable (${(e as Error).message.split('\n')[0]}): delete it to search again`,
      );
    }
    onInfo?.(`auto temperature: reusing the choice of this run (${path})`);
    ctx.autoTune = saved;
    return saved.record ? factory(saved.record.methodParams as never) : method;
  }
  if (isModelDir(join(ctx.runDir, runFiles.model('distilled')))) return method;
  const scratchDir = join(ctx.runDir, runFiles.model('scratch'));
  // Trials fine-tune the trained scratch student (see AutoTuneOptions.startWeights).
  const scratch = isModelDir(scratchDir) ? await loadModel(scratchDir) : undefined;
  const result = await chooseAutomatically({
    startWeights: scratch?.getWeights(),
    startScore: scratch ? keptScore(ctx.metrics.scratch, ctx.stages.scratch?.bestEpoch) : undefined,
    config,
    train: data.train,
    validation: data.validation,
    inputShape: data.inputShape,
    classes: data.classes,
    input: primaryInput(data.spec),
    teacher,
    method,
    // The shared rule of every job: cached when the transfer set is fixed (the stage reuses it).
    teacherLogits: await transferLogits({ config, data, teacher, method, onInfo }),
    protectConfigured: !atDefaults(config),
    stageSeconds: plainStageSeconds(
      ctx.metrics.scratch,
      config.student.epochs,
      ctx.stages.scratch?.seconds,
    ),
    onInfo,
  });
  scratch?.dispose();
  if ('skipped' in result) onInfo?.(`auto temperature skipped: ${result.skipped}`);
  ctx.autoTune = 'skipped' in result ? { skipped: result.skipped } : { record: result.record };
  writeAtomic(path, JSON.stringify(ctx.autoTune, null, 2));
  return result.method;
}

/** Validation accuracy of the kept epoch of a stage's history (undefined if not recorded). */
function keptScore(history: EpochRecord[] | undefined, epoch: number | undefined) {
  return history?.find((r) => r.epoch === epoch)?.validationAccuracy;
}

/**
 * The scratch stage's time without the first epoch's kernel warm-up (its wall time minus the
 * first epoch's excess over the median epoch; without the wall time, median epoch × epochs): the
 * scratch student is the distilled one without the soft term, so this underestimates the
 * distilled stage.
 */
export function plainStageSeconds(
  history: EpochRecord[] | undefined,
  epochs: number,
  totalSeconds?: number,
) {
  if (!history?.length) return undefined;
  const sorted = history.map((r) => r.seconds).sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  // With the stage's wall time: all of it (validation, checkpoints) but the first epoch's excess.
  if (totalSeconds && history.length === epochs && epochs >= 2)
    return totalSeconds - Math.max(0, history[0].seconds - median);
  return median * epochs;
}

/** 'on', or 'auto' in a config that did not pass resolveConfig and keeps the method's defaults. */
function wanted(config: RunConfig): boolean {
  if (config.autoTune !== 'auto') return config.autoTune === 'on';
  return atDefaults(config);
}

/** The method's parameters are its defaults and no schedule sets a searched one. */
function atDefaults(config: RunConfig): boolean {
  const { name, ...params } = config.method;
  const defaults =
    name === defaultConfig.method.name
      ? defaultConfig.method
      : { name, ...methods[name as keyof typeof methods].definition.defaults };
  const scheduled = AUTO_KEYS.some((k) => k in config.schedules);
  return !scheduled && sameParams({ name, ...params }, defaults);
}

function sameParams(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].every((k) => a[k] === b[k]);
}

const epochs = (n: number) => `${n} epoch${n === 1 ? '' : 's'}`;
const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
