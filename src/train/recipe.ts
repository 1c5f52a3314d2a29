// A stage's training recipe as config (the optional keys of each stage's training section) and its
// translation into the optimizer options and the loop's TrainingRecipe. One place maps config to
// training, so the pipeline, tune and the library read the same keys the same way.
import { z } from 'zod';
import { lrScheduleSchema } from './lr-schedule.ts';
import { weightDecayExclusions } from './regularization.ts';
import type { OptimizerName, OptimizerOptions } from './optimizers.ts';
import type { TrainingRecipe } from './loop.ts';

/** The recipe keys of a stage's training config; all optional (absent = off / the default). */
export const trainingRecipeShape = {
  /** Momentum of 'momentum' (default 0.9). */
  momentum: z.number().min(0).max(1).optional(),
  /** Learning-rate schedule over `learningRate`, e.g. { shape: 'cosine', warmupEpochs: 1 }. */
  lrSchedule: lrScheduleSchema.optional(),
  /** Weight decay: decoupled for 'adamw' (default 0.01 there), L2 on the gradient otherwise. */
  weightDecay: z.number().min(0).optional(),
  /** 'biases-and-norms' leaves biases and normalisation scales undecayed (default 'none'). */
  weightDecayExclude: z.enum(weightDecayExclusions).optional(),
  /** Max-norm constraint on each unit's incoming weights, after every step (Srivastava 2014). */
  maxNorm: z.number().positive().optional(),
  /** Clip the gradients' global norm to this value. */
  clipNorm: z.number().positive().optional(),
  /** Label smoothing ε of the hard (true-label) term. */
  labelSmoothing: z.number().min(0).lt(1).optional(),
  /** Stop after `patience` epochs without a validation improvement larger than minDelta. */
  earlyStopping: z
    .object({ patience: z.number().int().positive(), minDelta: z.number().min(0).optional() })
    .strict()
    .optional(),
  /**
   * Which epoch's weights the stage keeps: 'best' validation accuracy (default) or 'last' (what
   * papers with a fixed schedule report; the validation split then only logs the curve).
   */
  keepEpoch: z.enum(['best', 'last']).optional(),
  /**
   * An exponential moving average of the weights with this decay per step (e.g. 0.999), validated
   * and kept instead of the live weights (src/train/weight-average.ts).
   */
  weightAverage: z
    .object({ decay: z.number().gt(0).lt(1) })
    .strict()
    .optional(),
};

export interface StageTrainingSettings {
  optimizer: OptimizerName;
  learningRate: number;
  momentum?: number;
  lrSchedule?: TrainingRecipe['schedule'];
  weightDecay?: number;
  weightDecayExclude?: (typeof weightDecayExclusions)[number];
  maxNorm?: number;
  clipNorm?: number;
  labelSmoothing?: number;
  earlyStopping?: TrainingRecipe['earlyStopping'];
  keepEpoch?: TrainingRecipe['keepEpoch'];
  weightAverage?: TrainingRecipe['weightAverage'];
}

/** Which optimizers decay decoupled inside the update (the rest get L2 on the gradient). */
const decoupledDecay: Partial<Record<OptimizerName, true>> = { adamw: true };

/** The optimizer options, loop recipe and label smoothing of one stage's settings. */
export function stageTraining(settings: StageTrainingSettings): {
  optimizer: OptimizerOptions;
  recipe: TrainingRecipe;
  labelSmoothing: number;
} {
  const exclude = settings.weightDecayExclude ?? 'none';
  const decoupled = decoupledDecay[settings.optimizer] === true;
  const l2 = !decoupled && settings.weightDecay ? settings.weightDecay : 0;
  return {
    optimizer: {
      name: settings.optimizer,
      learningRate: settings.learningRate,
      momentum: settings.momentum,
      ...(decoupled ? { weightDecay: settings.weightDecay, weightDecayExclude: exclude } : {}),
    },
    recipe: {
      learningRate: settings.learningRate,
      schedule: settings.lrSchedule,
      clipNorm: settings.clipNorm,
      l2: l2 > 0 ? { rate: l2, exclude } : undefined,
      maxNorm: settings.maxNorm,
      earlyStopping: settings.earlyStopping,
      keepEpoch: settings.keepEpoch,
      weightAverage: settings.weightAverage,
    },
    labelSmoothing: settings.labelSmoothing ?? 0,
  };
}
