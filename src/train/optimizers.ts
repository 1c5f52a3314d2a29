// Optimizers by name. A backend may provide fused versions (one pass per variable per step);
// they are swapped in through `registerOptimizerProvider`, never by name checks in the loop.
import { tf } from '../tf.ts';

export const optimizerNames = ['adam', 'sgd', 'momentum'] as const;
export type OptimizerName = (typeof optimizerNames)[number];

export interface OptimizerOptions {
  name: OptimizerName;
  learningRate: number;
  /** For 'momentum' (default 0.9). */
  momentum?: number;
}

type Provider = (options: OptimizerOptions) => tf.Optimizer | undefined;
const providers = new Map<string, Provider>();

/** Lets a backend supply fused optimizers when it is the active backend. */
export function registerOptimizerProvider(backend: string, provider: Provider): void {
  providers.set(backend, provider);
}

export function createOptimizer(options: OptimizerOptions): tf.Optimizer {
  const fused = providers.get(tf.getBackend())?.(options);
  if (fused) return fused;
  switch (options.name) {
    case 'adam':
      return tf.train.adam(options.learningRate);
    case 'sgd':
      return tf.train.sgd(options.learningRate);
    case 'momentum':
      return tf.train.momentum(options.learningRate, options.momentum ?? 0.9);
  }
}
