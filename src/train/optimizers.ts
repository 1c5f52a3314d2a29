// Optimizers by name. A backend may provide fused versions (one pass per variable per step);
// they are swapped in through `registerOptimizerProvider`, never by name checks in the loop.
// AdamW (Loshchilov & Hutter 2019, "Decoupled Weight Decay Regularization") is tfjs' Adam applied
// to the decayed weights w·(1 − lr·wd), PyTorch's torch.optim.AdamW order; it is also the
// reference of the fused native AdamW. L2 decay for the other optimizers is a gradient transform
// in the loop (see regularization.ts).
import { tf } from '../tf.ts';
import { decays, type WeightDecayExclusion } from './regularization.ts';

export const optimizerNames = ['adam', 'adamw', 'sgd', 'momentum'] as const;
export type OptimizerName = (typeof optimizerNames)[number];

export interface OptimizerOptions {
  name: OptimizerName;
  learningRate: number;
  /** For 'momentum' (default 0.9). */
  momentum?: number;
  /** For 'adamw': the decoupled decay rate (default 0.01, as PyTorch). */
  weightDecay?: number;
  /** For 'adamw': which variables decay (default 'none' excluded). */
  weightDecayExclude?: WeightDecayExclusion;
}

type Provider = (options: OptimizerOptions) => tf.Optimizer | undefined;
const providers = new Map<string, Provider>();

/** Lets a backend supply fused optimizers when it is the active backend. */
export function registerOptimizerProvider(backend: string, provider: Provider): void {
  providers.set(backend, provider);
}

type GradientList = Parameters<tf.AdamOptimizer['applyGradients']>[0];

/** Adam with decoupled weight decay: w ← w·(1 − lr·wd), then the Adam update on that w. */
export class AdamWOptimizer extends tf.AdamOptimizer {
  constructor(
    learningRate: number,
    readonly weightDecay: number,
    readonly weightDecayExclude: WeightDecayExclusion = 'none',
    beta1 = 0.9,
    beta2 = 0.999,
    epsilon?: number,
  ) {
    super(learningRate, beta1, beta2, epsilon as number);
  }

  /** The float32 factor a variable is multiplied by before the Adam update (1 = no decay). */
  decayFactor(variable: { shape: number[] }): number {
    return decays(variable, this.weightDecayExclude)
      ? Math.fround(1 - this.learningRate * this.weightDecay)
      : 1;
  }

  override applyGradients(variableGradients: GradientList): void {
    const names = Array.isArray(variableGradients)
      ? variableGradients.map((g) => g.name)
      : Object.keys(variableGradients);
    const variables = tf.engine().registeredVariables;
    for (const name of names) {
      const value = variables[name];
      const factor = this.decayFactor(value);
      if (factor !== 1) tf.tidy(() => value.assign(tf.mul(value, tf.scalar(factor))));
    }
    super.applyGradients(variableGradients);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      weightDecay: this.weightDecay,
      weightDecayExclude: this.weightDecayExclude,
    };
  }
}

export function createOptimizer(options: OptimizerOptions): tf.Optimizer {
  const fused = providers.get(tf.getBackend())?.(options);
  if (fused) return fused;
  switch (options.name) {
    case 'adam':
      return tf.train.adam(options.learningRate);
    case 'adamw':
      return new AdamWOptimizer(
        options.learningRate,
        options.weightDecay ?? 0.01,
        options.weightDecayExclude,
      );
    case 'sgd':
      return tf.train.sgd(options.learningRate);
    case 'momentum':
      return tf.train.momentum(options.learningRate, options.momentum ?? 0.9);
  }
}

/** Sets the rate the optimizer's next update uses (schedules call this before each step). */
export function setLearningRate(optimizer: tf.Optimizer, learningRate: number): void {
  const o = optimizer as tf.Optimizer & {
    learningRate?: number;
    setLearningRate?: (lr: number) => void;
  };
  if (o.learningRate === learningRate) return;
  // SGD and Momentum keep −lr as a scalar tensor: setLearningRate rebuilds it; Adam reads the field.
  if (typeof o.setLearningRate === 'function') o.setLearningRate(learningRate);
  else o.learningRate = learningRate;
}
