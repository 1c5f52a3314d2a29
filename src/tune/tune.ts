// `distillery tune`: searches a distillation method's hyper-parameters (temperature, loss weights,
// any declared parameter) by successive halving (Jamieson & Talwalkar 2016): every candidate
// trains a few epochs, the best third continue, and so on until the survivors have the full
// epoch budget. Scores are validation accuracies only — the test split is never read.
// Known bias: early rungs favour settings that learn fast in the first epochs (e.g. a low
// temperature or a high hard weight), which may not be the best at the full budget. Two
// budget-aware counters: `minRungEpochs` (more epochs before the first cut) and `finalTopK` (the
// top k are trained again from scratch for the full budget, and the best of those wins).
import { join } from 'node:path';
import type { LayersModel } from '../tf.ts';
import type { RunConfig } from '../config.ts';
import { validateConfig } from '../config.ts';
import type { Split } from '../data/index.ts';
import { buildModel } from '../models/index.ts';
import { writeAtomic } from '../io/atomic.ts';
import { fit, weightAverageFor, type EpochRecord, type TrainingRecipe } from '../train/loop.ts';
import type { WeightAverage } from '../train/weight-average.ts';
import { stageTraining } from '../train/recipe.ts';
import { createOptimizer } from '../train/optimizers.ts';
import { checkTeacherStudent, Distiller } from '../distill/distiller.ts';
import { methods } from '../distill/methods/index.ts';
import type { BackendInfo } from '../backend/index.ts';
import { createRng, deriveSeed } from '../random.ts';
import { usageError } from '../errors.ts';
import { VERSION } from '../run/record.ts';
import { openRun } from '../pipeline/context.ts';
import { teacherStage } from '../pipeline/teacher-stage.ts';
import { buildOptions } from '../pipeline/stages.ts';
import { transferLogits } from '../pipeline/transfer.ts';
import { tf } from '../tf.ts';

/** Values to try per method parameter, e.g. { temperature: [1, 2, 4, 8] }. */
export type SearchSpace = Record<string, unknown[]>;

export interface TuneOptions {
  /** Base config: dataset, student, optimizer, epochs (the full budget), method and its fixed params. */
  config: RunConfig;
  /** A saved teacher; optional when config.teacherLogits names a logit store (the teacher table). */
  teacherDir?: string;
  space: SearchSpace;
  /** Sample at most this many candidates from the grid (default: the whole grid, capped at 27). */
  trials?: number;
  /** Keep the best 1/eta at each rung (default 3). */
  eta?: number;
  /** The first rung trains at least this many epochs (default 1). */
  minRungEpochs?: number;
  /** Re-train the top k for the full budget from scratch and choose among them (default 1 = off). */
  finalTopK?: number;
  /** When hardWeight is searched and softWeight is not, set softWeight = 1 − hardWeight. */
  tieSoftWeight?: boolean;
  events?: {
    onInfo?(message: string): void;
    onCandidate?(row: TuneRow): void;
  };
}

export interface TuneRow {
  id: number;
  params: Record<string, unknown>;
  /** Epochs trained when it was last scored. */
  epochs: number;
  /** Best validation accuracy over the epochs trained. */
  validationAccuracy: number;
  /** Rung (0-based) at which it stopped; the winners reach the last rung. */
  rung: number;
  /** Stopped early by halving, then re-trained for the full budget by finalTopK. */
  rescored?: boolean;
}

export interface TuneResults {
  distillery: string;
  createdAt: string;
  dir: string;
  backend: BackendInfo;
  config: RunConfig;
  space: SearchSpace;
  rungs: { epochs: number; candidates: number }[];
  rows: TuneRow[];
  best: TuneRow;
  /** Path of the best full config, usable as `distillery distill --config <it>`. */
  bestConfigPath: string;
  seconds: number;
}

export const DEFAULT_SPACE: SearchSpace = {
  temperature: [1, 2, 4, 8, 16],
  hardWeight: [0.1, 0.3, 0.5, 0.7, 0.9],
};

/** Cartesian product of a search space. */
export function grid(space: SearchSpace): Record<string, unknown>[] {
  return Object.entries(space).reduce<Record<string, unknown>[]>(
    (acc, [key, values]) => acc.flatMap((partial) => values.map((v) => ({ ...partial, [key]: v }))),
    [{}],
  );
}

/** Epoch budget per rung: geometric, ending at the full budget. */
export function rungEpochs(
  candidates: number,
  epochs: number,
  eta: number,
  minEpochs = 1,
): number[] {
  const rungs = Math.max(1, Math.ceil(Math.log(candidates) / Math.log(eta)) + 1);
  const out: number[] = [];
  for (let i = 0; i < rungs; i++) {
    const e = Math.min(epochs, Math.max(1, minEpochs, Math.round(epochs / eta ** (rungs - 1 - i))));
    if (out.length === 0 || e > out[out.length - 1]) out.push(e);
  }
  out[out.length - 1] = epochs;
  return out;
}

export async function tune(options: TuneOptions): Promise<TuneResults> {
  const started = performance.now();
  const { config, events = {} } = options;
  const eta = options.eta ?? 3;
  if (!(eta >= 2)) throw usageError(`--eta must be at least 2, got ${eta}`);
  const { name: methodName, ...baseParams } = config.method;
  const method = methods[methodName as keyof typeof methods];
  for (const key of Object.keys(options.space)) {
    if (!(key in method.definition.defaults)) {
      throw usageError(
        `--search ${key}: method '${methodName}' has no parameter '${key}' (it has ${Object.keys(method.definition.defaults).join(', ')})`,
      );
    }
    if (options.space[key].length === 0) throw usageError(`--search ${key}: no values given`);
  }
  const tie =
    (options.tieSoftWeight ?? true) &&
    'hardWeight' in options.space &&
    !('softWeight' in options.space);
  let candidates = grid(options.space).map((p) =>
    tie ? { ...p, softWeight: Math.round((1 - (p.hardWeight as number)) * 1e9) / 1e9 } : p,
  );
  const limit = options.trials ?? Math.min(candidates.length, 27);
  if (candidates.length > limit) {
    const rng = createRng(deriveSeed(config.seed, 'tune-sample'));
    candidates = candidates
      .map((c) => ({ c, r: rng() }))
      .sort((a, b) => a.r - b.r)
      .slice(0, limit)
      .map((x) => x.c);
  }
  // Validate every candidate's parameters before training anything.
  const bound = candidates.map((p) => {
    try {
      return method({ ...baseParams, ...p } as never);
    } catch (e) {
      throw usageError(`search candidate ${JSON.stringify(p)}: ${(e as Error).message}`);
    }
  });

  // The same orchestration as run/distill: backend, folder, data (never the test split), teacher
  // (a saved model, or a logit store through config.teacherLogits, or both: then they must match).
  const teacherDirs = options.teacherDir ? [options.teacherDir] : [];
  if (teacherDirs.length === 0 && !config.teacherLogits)
    throw usageError('tune needs a teacher: teacherDir, or config.teacherLogits (a logit store)');
  const ctx = await openRun({
    config,
    command: 'tune',
    teacherDirs: teacherDirs,
    splits: ['train', 'validation'],
    prefix: 'tune-',
  });
  const { backend, data, runDir: dir } = ctx;
  const { teacher } = await teacherStage(ctx, teacherDirs);
  const epochsPerRung = rungEpochs(
    candidates.length,
    config.student.epochs,
    eta,
    options.minRungEpochs,
  );
  events.onInfo?.(
    `${candidates.length} candidates, rungs at ${epochsPerRung.join(' / ')} epochs, keeping the best 1/${eta} each time (validation split: ${data.validation.count} examples)`,
  );

  // Candidates differ in parameters only, never in taps: one cache decision serves them all.
  const cache = await transferLogits({
    config,
    data,
    teacher,
    method: bound[0],
    onInfo: events.onInfo,
  });

  interface State {
    id: number;
    params: Record<string, unknown>;
    student: LayersModel;
    optimizer: tf.Optimizer;
    distiller: Distiller;
    history: EpochRecord[];
    /** The weights' moving average, carried from rung to rung (recipes with weightAverage). */
    average?: WeightAverage;
  }
  // The stage's training recipe (schedule, decay, max-norm, …) as in run/distill.
  const training = stageTraining(config.student);
  const newState = async (id: number): Promise<State> => {
    const student = await buildModel(
      config.student.arch,
      buildOptions(ctx, config.student, 'student'),
    );
    checkTeacherStudent(teacher, student);
    return {
      id,
      params: candidates[id],
      student,
      optimizer: createOptimizer(training.optimizer),
      average: weightAverageFor(student, training.recipe),
      distiller: new Distiller({
        teacher,
        student,
        method: bound[id],
        teacherLogits: cache,
        seed: deriveSeed(config.seed, 'student'),
        schedules: config.schedules,
        labelSmoothing: training.labelSmoothing,
      }),
      history: [],
    };
  };
  const states: State[] = [];
  for (let id = 0; id < bound.length; id++) states.push(await newState(id));
  const train = (s: State, target: number) =>
    trainTo(s, data.train, data.validation, target, config, training.recipe);
  const score = (history: EpochRecord[]) =>
    Math.max(...history.map((r) => r.validationAccuracy ?? 0));

  const rows = new Map<number, TuneRow>();
  let alive = states;
  for (let rung = 0; rung < epochsPerRung.length; rung++) {
    const target = epochsPerRung[rung];
    for (const s of alive) {
      s.history = await train(s, target);
      const row: TuneRow = {
        id: s.id,
        params: s.params,
        epochs: target,
        validationAccuracy: score(s.history),
        rung,
      };
      rows.set(s.id, row);
      events.onCandidate?.(row);
    }
    if (rung < epochsPerRung.length - 1) {
      const keep = Math.max(1, Math.ceil(alive.length / eta));
      const ranked = [...alive].sort(
        (a, b) =>
          rows.get(b.id)!.validationAccuracy - rows.get(a.id)!.validationAccuracy || a.id - b.id,
      );
      for (const s of ranked.slice(keep)) dispose(s);
      alive = ranked.slice(0, keep);
    }
  }
  for (const s of alive) dispose(s);
  // Budget-aware re-scoring: the top k that halving stopped early train the full budget too.
  const last = epochsPerRung.length - 1;
  const ranked = [...rows.values()].sort(
    (a, b) => b.rung - a.rung || b.validationAccuracy - a.validationAccuracy || a.id - b.id,
  );
  for (const row of ranked.slice(0, options.finalTopK ?? 1).filter((r) => r.rung < last)) {
    const s = await newState(row.id);
    s.history = await train(s, config.student.epochs);
    const rescored: TuneRow = {
      ...row,
      epochs: config.student.epochs,
      validationAccuracy: score(s.history),
      rung: last,
      rescored: true,
    };
    rows.set(row.id, rescored);
    events.onCandidate?.(rescored);
    dispose(s);
  }
  await teacher.dispose();

  const table = [...rows.values()].sort(
    (a, b) => b.rung - a.rung || b.validationAccuracy - a.validationAccuracy || a.id - b.id,
  );
  const best = table[0];
  // The search is done: distilling with this config must not search again.
  const bestConfig = validateConfig({
    ...config,
    autoTune: 'off',
    method: { name: methodName, ...baseParams, ...best.params },
  });
  const bestConfigPath = join(dir, 'best.json');
  writeAtomic(bestConfigPath, JSON.stringify(bestConfig, null, 2));
  const results: TuneResults = {
    distillery: VERSION,
    createdAt: new Date().toISOString(),
    dir,
    backend,
    config,
    space: options.space,
    rungs: epochsPerRung.map((epochs, i) => ({
      epochs,
      candidates: [...rows.values()].filter((r) => r.rung >= i).length,
    })),
    rows: table,
    best,
    bestConfigPath,
    seconds: (performance.now() - started) / 1000,
  };
  writeAtomic(join(dir, 'search.json'), JSON.stringify(results, null, 2));
  ctx.folder.close(false); // releases the folder's lock (a failure releases it at exit)
  return results;
}

/** Continues a candidate's training up to `target` epochs, exactly as one uninterrupted run would. */
async function trainTo(
  s: {
    distiller: Distiller;
    student: LayersModel;
    optimizer: tf.Optimizer;
    history: EpochRecord[];
    average?: WeightAverage;
  },
  train: Split,
  validation: Split,
  target: number,
  config: RunConfig,
  recipe: TrainingRecipe,
): Promise<EpochRecord[]> {
  const result = await fit({
    model: s.student,
    step: s.distiller.trainStep(),
    optimizer: s.optimizer,
    train,
    validation,
    inputShape: s.student.inputs[0].shape.slice(1) as number[],
    // The schedules span the full budget; a rung stops part-way.
    epochs: config.student.epochs,
    stopAfterEpoch: target,
    batchSize: config.batchSize,
    // The same seed as `distillery distill` uses for its students, so the winner reproduces.
    seed: deriveSeed(config.seed, 'student'),
    shiftPixels: config.student.shiftPixels,
    recipe,
    startEpoch: s.history.length,
    history: s.history,
    average: s.average,
    // Weights are not restored between rungs: that would change what later rungs train.
    restoreBest: false,
  });
  return result.history;
}

function dispose(s: { student: LayersModel; optimizer: tf.Optimizer; average?: WeightAverage }) {
  s.student.dispose();
  s.optimizer.dispose();
  s.average?.dispose();
}

/** Parses `--search key=v1,v2,…` values (numbers, booleans or strings). */
export function parseSearch(specs: string[]): SearchSpace {
  const space: SearchSpace = {};
  for (const spec of specs) {
    const eq = spec.indexOf('=');
    if (eq <= 0) throw usageError(`--search ${spec}: expected key=value1,value2,…`);
    const key = spec.slice(0, eq);
    space[key] = spec
      .slice(eq + 1)
      .split(',')
      .filter((v) => v !== '')
      .map((v) =>
        v === 'true' ? true : v === 'false' ? false : Number.isFinite(Number(v)) ? Number(v) : v,
      );
  }
  return space;
}
