// The one training loop. A TrainStep says what to compute outside the gradient (e.g. the frozen
// teacher's logits) and which named loss terms to minimise; the loop sums the terms, updates the
// trainable variables, averages the terms per epoch, validates, keeps the best epoch's weights,
// emits events (never prints) and stops on a non-finite loss. A TrainingRecipe adds what papers'
// recipes do around the update: a learning-rate schedule, gradient clipping, L2 decay, max-norm
// constraints, early stopping and a moving average of the weights (validated and kept in place of
// the live ones), all derived from (epoch, batch) and the history so resumes repeat.
import { tf, type LayersModel, type Scalar, type Tensor } from '../tf.ts';
import { batchCount, batches, type Batch } from '../data/batches.ts';
import type { Split } from '../data/dataset.ts';
import { createRng, deriveSeed, withRandom } from '../random.ts';
import { trainingError } from '../errors.ts';
import { accuracyOf } from '../eval/metrics.ts';
import { learningRateAt, type LrSchedule } from './lr-schedule.ts';
import { setLearningRate } from './optimizers.ts';
import {
  addL2,
  applyMaxNorm,
  clipByGlobalNorm,
  type NamedGradients,
  type WeightDecayExclusion,
} from './regularization.ts';
import { WeightAverage } from './weight-average.ts';

/** Where training stands, for schedules and warm-ups. */
export interface StepContext {
  /** 1-based epoch. */
  epoch: number;
  epochs: number;
  /** 0-based batch index within the epoch. */
  batch: number;
  batches: number;
  /** Fraction of training done before this step, in [0, 1). */
  progress: number;
}

export interface TrainStep {
  /** Trainable variables besides the model's own (e.g. a FitNets regressor). */
  variables?: tf.Variable[];
  /**
   * Tensors computed outside the gradient for this batch (may be asynchronous, e.g. an ONNX or
   * remote teacher); disposed after the step.
   */
  prepare?(
    batch: Batch,
    context: StepContext,
  ): Record<string, Tensor> | Promise<Record<string, Tensor>>;
  /** Named, weighted loss terms; their sum is minimised. Runs inside the gradient tape. */
  terms(
    batch: Batch,
    prepared: Record<string, Tensor>,
    context: StepContext,
  ): Record<string, Scalar>;
  /** Values logged after each update and averaged per epoch, not part of the loss. */
  metrics?(context: StepContext): Record<string, Scalar>;
}

/** What a paper's recipe does around the optimizer update (all optional; none = plain steps). */
export interface TrainingRecipe {
  /** Base rate of the schedule (default: the optimizer's own learningRate). */
  learningRate?: number;
  schedule?: LrSchedule;
  /** Clip the gradients' global L2 norm to this value before the update. */
  clipNorm?: number;
  /** L2 decay added to the gradients (g + rate·w), after clipping; AdamW decays in the optimizer. */
  l2?: { rate: number; exclude: WeightDecayExclusion };
  /** After each update, rescale each unit's incoming weights of the model to norm ≤ maxNorm. */
  maxNorm?: number;
  /** Stop when the validation accuracy has not improved by more than minDelta for `patience` epochs. */
  earlyStopping?: { patience: number; minDelta?: number };
  /** 'best' (default): end with the weights of the best validation epoch; 'last': the last epoch's. */
  keepEpoch?: 'best' | 'last';
  /**
   * Keep an exponential moving average of the weights (weight-average.ts) with this decay; the
   * average is what is validated, kept as the best epoch and returned, the live weights train on.
   */
  weightAverage?: { decay: number };
}

export interface EpochRecord {
  epoch: number;
  /** Mean learning rate over the epoch's steps (the rate itself with a per-epoch schedule). */
  learningRate?: number;
  /** Mean of each loss term over the epoch's batches. */
  terms: Record<string, number>;
  /** Mean of each of the step's auxiliary metrics (e.g. a learned temperature), if any. */
  metrics?: Record<string, number>;
  loss: number;
  validationAccuracy?: number;
  seconds: number;
  samplesPerSecond: number;
}

export interface BatchInfo {
  epoch: number;
  batch: number;
  batches: number;
  terms: Record<string, number>;
}

export interface FitOptions {
  model: LayersModel;
  step: TrainStep;
  optimizer: tf.Optimizer;
  train: Split;
  inputShape: number[];
  epochs: number;
  batchSize: number;
  seed: number;
  validation?: Split;
  /** Random ±N px shifts of training images (0 = off). */
  shiftPixels?: number;
  /**
   * Train only up to this epoch of the `epochs`-long run (successive halving's rungs): schedules
   * still span `epochs`, so a candidate continued later trains exactly as one uninterrupted run.
   */
  stopAfterEpoch?: number;
  /** Epochs already done (resume): training continues at startEpoch + 1. */
  startEpoch?: number;
  /** History of the epochs already done (resume). */
  history?: EpochRecord[];
  /** Schedule, clipping, decay, constraints, early stopping. */
  recipe?: TrainingRecipe;
  /** Keep the weights of the epoch with the best validation accuracy (default: recipe.keepEpoch !== 'last'). */
  restoreBest?: boolean;
  /** Weights of the best epoch so far (resume); owned by the loop from then on. */
  bestWeights?: Tensor[];
  /**
   * The moving average to continue (a resume, or tune's next rung), owned by the caller; without
   * it, a recipe with weightAverage starts one from the model's weights and disposes of it.
   */
  average?: WeightAverage;
  onBatchEnd?(info: BatchInfo): void;
  /**
   * Awaited after each epoch, e.g. to write a checkpoint: the model holds the live weights then,
   * and `state.average` is the moving average (if any) to checkpoint with them.
   */
  onEpochEnd?(
    record: EpochRecord,
    state: { history: EpochRecord[]; improved: boolean; average?: Tensor[] },
  ): void | Promise<void>;
}

export interface FitResult {
  history: EpochRecord[];
  /** The epoch whose weights the model ends with (the best one, or the last without restoreBest). */
  bestEpoch: number;
  seconds: number;
  /** The epoch after which early stopping ended training, if it did. */
  stoppedEarly?: number;
}

/** Trains `model` with `step`; returns the per-epoch history. */
export async function fit(options: FitOptions): Promise<FitResult> {
  const { model, step, optimizer, train, epochs, batchSize, seed } = options;
  const recipe = options.recipe ?? {};
  const baseRate = recipe.learningRate ?? baseRateOf(optimizer);
  const modelVariables = trainableVariables(model);
  const variables = [...modelVariables, ...(step.variables ?? [])];
  const history = [...(options.history ?? [])];
  const restoreBest = options.restoreBest ?? recipe.keepEpoch !== 'last';
  let best = bestOf(history);
  let bestWeights: Tensor[] | undefined = options.bestWeights;
  const started = performance.now();
  const nBatches = batchCount(train.count, batchSize);
  let stoppedEarly: number | undefined;
  const average = options.average ?? weightAverageFor(model, recipe);
  // A continuation trains on from the live weights, not from the average the last call ended with.
  average?.swapOut(modelVariables);

  const lastEpoch = Math.min(epochs, options.stopAfterEpoch ?? epochs);
  try {
    for (let epoch = (options.startEpoch ?? 0) + 1; epoch <= lastEpoch; epoch++) {
      // Checked before the epoch, so a run resumed after the stopping epoch stops too.
      if (recipe.earlyStopping && shouldStop(history, recipe.earlyStopping)) {
        stoppedEarly = epoch - 1;
        break;
      }
      const t0 = performance.now();
      const sums: Record<string, number> = {};
      const metricSums: Record<string, number> = {};
      let rateSum = 0;
      // Independent, resumable streams: shuffling, augmentation and dropout are derived from
      // (seed, epoch), so a resumed run repeats exactly what an uninterrupted one would do.
      const dropoutRng = createRng(deriveSeed(seed, 'dropout', epoch));
      let b = 0;
      for (const batch of batches(train, {
        batchSize,
        inputShape: options.inputShape,
        shuffleSeed: deriveSeed(seed, 'shuffle', epoch),
        augmentSeed: deriveSeed(seed, 'augment', epoch),
        shiftPixels: options.shiftPixels ?? 0,
      })) {
        let values: Record<string, number>;
        try {
          const context: StepContext = {
            epoch,
            epochs,
            batch: b,
            batches: nBatches,
            progress: (epoch - 1 + b / nBatches) / epochs,
          };
          // The schedule is a function of (epoch, batch) only: a resumed run sets the same rates.
          const rate = learningRateAt(baseRate, recipe.schedule, context);
          setLearningRate(optimizer, rate);
          rateSum += rate;
          values = await runStep(step, batch, context, optimizer, variables, dropoutRng, recipe);
          if (recipe.maxNorm !== undefined) applyMaxNorm(modelVariables, recipe.maxNorm);
          average?.update(modelVariables, (epoch - 1) * nBatches + b);
          if (step.metrics) {
            for (const [k, v] of Object.entries(readMetrics(step, context)))
              metricSums[k] = (metricSums[k] ?? 0) + v;
          }
        } finally {
          tf.dispose([batch.x, batch.labels]);
        }
        const loss = Object.values(values).reduce((a, v) => a + v, 0);
        if (!Number.isFinite(loss)) {
          // Checkpoints are written after finished epochs (onEpochEnd): in the first epoch of a
          // fresh run there is none, and saying "kept" would send the user looking for it.
          const kept =
            epoch === 1
              ? 'no epoch had finished, so there is no checkpoint to resume from'
              : `checkpoints written after epochs up to ${epoch - 1} are kept (a run continues with --resume)`;
          throw trainingError(
            `loss became ${loss} at epoch ${epoch}, batch ${b + 1} (${formatTerms(values)}): lower the learning rate, or check the method's parameters (e.g. --temperature); ${kept}`,
          );
        }
        for (const [k, v] of Object.entries(values)) sums[k] = (sums[k] ?? 0) + v * batch.size;
        b++;
        options.onBatchEnd?.({ epoch, batch: b, batches: nBatches, terms: values });
        // Steps are synchronous: give signals (Ctrl-C) and timers a turn between batches.
        await new Promise((resolve) => setImmediate(resolve));
      }
      const terms = Object.fromEntries(Object.entries(sums).map(([k, v]) => [k, v / train.count]));
      const seconds = (performance.now() - t0) / 1000;
      average?.swapIn(modelVariables); // the average is what is validated and kept
      const record: EpochRecord = {
        epoch,
        learningRate: rateSum / nBatches,
        terms,
        metrics: step.metrics
          ? Object.fromEntries(Object.entries(metricSums).map(([k, v]) => [k, v / nBatches]))
          : undefined,
        loss: Object.values(terms).reduce((a, v) => a + v, 0),
        validationAccuracy: options.validation
          ? accuracyOf(model, options.validation, options.inputShape)
          : undefined,
        seconds,
        samplesPerSecond: train.count / seconds,
      };
      history.push(record);
      const improved = isBetter(record, best);
      if (restoreBest && options.validation && improved) {
        best = record;
        tf.dispose(bestWeights);
        bestWeights = modelVariables.map((v) => tf.clone(v));
      }
      average?.swapOut(modelVariables);
      await options.onEpochEnd?.(record, { history, improved, average: average?.shadow });
    }
  } catch (e) {
    if (average && !options.average) average.dispose(); // the fit owned it
    throw e;
  }
  average?.swapIn(modelVariables); // the last epoch's average, unless a better epoch replaces it
  if (restoreBest && bestWeights && best && best.epoch !== history.at(-1)?.epoch) {
    modelVariables.forEach((v, i) => v.assign(bestWeights![i]));
  }
  tf.dispose(bestWeights);
  if (average && !options.average) average.dispose();
  return {
    history,
    bestEpoch: (restoreBest ? best?.epoch : undefined) ?? history.at(-1)?.epoch ?? 0,
    seconds: (performance.now() - started) / 1000,
    stoppedEarly,
  };
}

function readMetrics(step: TrainStep, context: StepContext): Record<string, number> {
  return tf.tidy(() =>
    Object.fromEntries(
      Object.entries(step.metrics!(context)).map(([k, v]) => [k, v.dataSync()[0]]),
    ),
  );
}

// An optimizer's rate before any schedule touched it: a second fit() with the same optimizer (a
// resume in the same process) must schedule from the base rate, not from the last scheduled one.
const baseRates = new WeakMap<tf.Optimizer, number>();
function baseRateOf(optimizer: tf.Optimizer): number {
  if (!baseRates.has(optimizer))
    baseRates.set(optimizer, (optimizer as unknown as { learningRate: number }).learningRate);
  return baseRates.get(optimizer)!;
}

async function runStep(
  step: TrainStep,
  batch: Batch,
  context: StepContext,
  optimizer: tf.Optimizer,
  variables: tf.Variable[],
  dropoutRng: () => number,
  recipe: TrainingRecipe,
): Promise<Record<string, number>> {
  const pending = step.prepare ? step.prepare(batch, context) : {};
  // Synchronous teachers stay synchronous: no await (and no microtask) on the hot path.
  const prepared = pending instanceof Promise ? await pending : pending;
  try {
    const names: string[] = [];
    const termTensors: Scalar[] = [];
    withRandom(dropoutRng, () =>
      tf.tidy(() => {
        const { value: cost, grads } = optimizer.computeGradients(() => {
          const terms = step.terms(batch, prepared, context);
          names.length = 0;
          termTensors.length = 0;
          for (const [name, value] of Object.entries(terms)) {
            names.push(name);
            termTensors.push(tf.keep(value));
          }
          return tf.addN(Object.values(terms)) as Scalar;
        }, variables);
        // Clip first, then add L2 (PyTorch's order: clip_grad_norm_, then weight_decay in step()).
        let g: NamedGradients = grads;
        if (recipe.clipNorm !== undefined) g = clipByGlobalNorm(g, recipe.clipNorm);
        if (recipe.l2 && recipe.l2.rate > 0)
          g = addL2(g, variables, recipe.l2.rate, recipe.l2.exclude);
        // As tfjs' minimize does: one entry per variable in a fixed order, undefined where a
        // variable got no gradient this step (e.g. FitNets' hint stage). tfjs' Adam and momentum
        // keep their slots by position, so a map that skips variables would mix up their state.
        optimizer.applyGradients(
          variables.map((v) => ({ name: v.name, tensor: g[v.name] })) as {
            name: string;
            tensor: tf.Tensor;
          }[],
        );
        if (cost) tf.dispose(cost);
      }),
    );
    const values = termTensors.map((t) => t.dataSync()[0]);
    tf.dispose(termTensors);
    return Object.fromEntries(names.map((n, i) => [n, values[i]]));
  } finally {
    tf.dispose(Object.values(prepared));
  }
}

/**
 * A moving average of `model`'s current weights (or of `start`, a checkpoint's average) if
 * `recipe` keeps one: what a caller that trains in several fit() calls (tune's rungs, a resume)
 * passes to each, so they train as one run; it disposes it.
 */
export function weightAverageFor(
  model: LayersModel,
  recipe: TrainingRecipe | undefined,
  start?: Tensor[],
): WeightAverage | undefined {
  return recipe?.weightAverage
    ? new WeightAverage(recipe.weightAverage.decay, start ?? trainableVariables(model))
    : undefined;
}

/** The tf.Variables behind a model's trainable weights. */
export function trainableVariables(model: LayersModel): tf.Variable[] {
  return model.trainableWeights.map((w) => (w as unknown as { read(): tf.Variable }).read());
}

/**
 * Early stopping from the history alone (so a resumed run decides the same): true when none of the
 * last `patience` epochs beat the best accuracy before them by more than minDelta.
 */
export function shouldStop(
  history: EpochRecord[],
  rule: { patience: number; minDelta?: number },
): boolean {
  const scored = history.filter((r) => r.validationAccuracy !== undefined);
  if (scored.length <= rule.patience) return false;
  const before = scored.slice(0, -rule.patience);
  const bestBefore = Math.max(...before.map((r) => r.validationAccuracy!));
  return scored
    .slice(-rule.patience)
    .every((r) => r.validationAccuracy! <= bestBefore + (rule.minDelta ?? 0));
}

function bestOf(history: EpochRecord[]): EpochRecord | undefined {
  let best: EpochRecord | undefined;
  for (const r of history) if (isBetter(r, best)) best = r;
  return best;
}

function isBetter(r: EpochRecord, best: EpochRecord | undefined): boolean {
  return (
    r.validationAccuracy !== undefined &&
    (!best || r.validationAccuracy > (best.validationAccuracy ?? -1))
  );
}

export function formatTerms(terms: Record<string, number>): string {
  return Object.entries(terms)
    .map(([k, v]) => `${k} ${v.toFixed(4)}`)
    .join(', ');
}
