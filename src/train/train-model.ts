// Supervised training with the true labels only: how the teacher and the scratch baseline train.
// Same loop as distillation; only the step differs.
import { tf, type LayersModel, type Tensor } from '../tf.ts';
import type { Split } from '../data/dataset.ts';
import { crossEntropy } from '../losses/index.ts';
import { inputShapeOf } from '../models/index.ts';
import { fit, type FitOptions, type FitResult, type TrainStep } from './loop.ts';
import { createOptimizer, type OptimizerOptions } from './optimizers.ts';

export type TrainOptions = Partial<Omit<FitOptions, 'model' | 'step' | 'train' | 'optimizer'>> & {
  model: LayersModel;
  data: Split;
  /** An optimizer instance, or options for one (default Adam, learning rate 1e-3). */
  optimizer?: tf.Optimizer | OptimizerOptions;
  /** Label smoothing ε of the cross-entropy (default 0). */
  labelSmoothing?: number;
};

export const DEFAULT_OPTIMIZER: OptimizerOptions = { name: 'adam', learningRate: 1e-3 };

export function resolveOptimizer(optimizer?: tf.Optimizer | OptimizerOptions): tf.Optimizer {
  if (optimizer && 'minimize' in optimizer) return optimizer;
  return createOptimizer(optimizer ?? DEFAULT_OPTIMIZER);
}

/** The supervised step: cross-entropy with the labels (optionally smoothed), as the term `hard`. */
export function supervisedStep(
  model: LayersModel,
  options: { labelSmoothing?: number } = {},
): TrainStep {
  return {
    terms: (batch) => ({
      hard: crossEntropy(
        batch.labels,
        model.apply(batch.x, { training: true }) as Tensor, // [batch, classes]
        options.labelSmoothing ?? 0,
      ),
    }),
  };
}

/** Trains a model on labelled data (defaults: 10 epochs, batch 128, seed 1, Adam 1e-3). */
export async function trainModel(options: TrainOptions): Promise<FitResult> {
  const { model, data, optimizer, labelSmoothing, ...rest } = options;
  return fit({
    epochs: 10,
    batchSize: 128,
    seed: 1,
    inputShape: inputShapeOf(model),
    ...rest,
    model,
    train: data,
    step: supervisedStep(model, { labelSmoothing }),
    optimizer: resolveOptimizer(optimizer),
  });
}
