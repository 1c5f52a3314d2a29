// Gradient and weight transforms around an optimizer step: clipping by global norm (Pascanu et al.
// 2013), L2 weight decay added to the gradient (SGD's classic form; AdamW's decoupled decay lives
// in the optimizer), and max-norm constraints on each unit's incoming weights (Srivastava et al.
// 2014, §5.1; the recipe of Hinton et al. 2015's MNIST nets). Plain tfjs ops, no syncs.
import { tf, type Tensor } from '../tf.ts';

export type NamedGradients = Record<string, Tensor>;

/** Which variables weight decay applies to: all, or all but biases and normalisation scales. */
export const weightDecayExclusions = ['none', 'biases-and-norms'] as const;
export type WeightDecayExclusion = (typeof weightDecayExclusions)[number];

/**
 * Whether weight decay applies to `variable`. 'biases-and-norms' skips rank ≤ 1 tensors (biases,
 * batch/layer-norm gamma and beta): the rule of timm and most recipes, by shape not by name.
 */
export function decays(variable: { shape: number[] }, exclude: WeightDecayExclusion): boolean {
  return exclude === 'none' || variable.shape.length > 1;
}

/** Scales all gradients by min(1, maxNorm / ‖g‖₂) where ‖g‖₂ is over every gradient together. */
export function clipByGlobalNorm(grads: NamedGradients, maxNorm: number): NamedGradients {
  return tf.tidy(() => {
    const tensors = Object.values(grads);
    if (tensors.length === 0) return grads;
    const squares = tensors.map((g) => tf.sum(tf.square(g))); // [] each
    const norm = tf.sqrt(tf.addN(squares)); // []
    const factor = tf.minimum(1, tf.div(maxNorm, tf.add(norm, 1e-6))); // []
    return Object.fromEntries(Object.entries(grads).map(([k, g]) => [k, tf.mul(g, factor)]));
  });
}

/** g + rate · w for each decaying variable (the L2 penalty rate/2 · ‖w‖², as PyTorch's SGD). */
export function addL2(
  grads: NamedGradients,
  variables: tf.Variable[],
  rate: number,
  exclude: WeightDecayExclusion,
): NamedGradients {
  const byName = new Map(variables.map((v) => [v.name, v]));
  return tf.tidy(() =>
    Object.fromEntries(
      Object.entries(grads).map(([name, g]) => {
        const v = byName.get(name);
        return [name, v && decays(v, exclude) ? tf.add(g, tf.mul(v, rate)) : tf.clone(g)];
      }),
    ),
  );
}

/**
 * Rescales each unit's incoming weight vector to norm ≤ maxNorm. A unit is the last axis of a
 * kernel (dense [in, out], conv [h, w, in, out]); its incoming weights are all the other axes, as
 * in Keras' MaxNorm(axis=0) / PyTorch's renorm. Biases (rank 1) are left alone.
 */
export function applyMaxNorm(variables: tf.Variable[], maxNorm: number): void {
  for (const v of variables) {
    if (v.shape.length < 2) continue;
    tf.tidy(() => {
      const axes = v.shape.slice(0, -1).map((_, i) => i);
      const norms = tf.sqrt(tf.sum(tf.square(v), axes, true)); // [1, …, 1, units]
      // Exactly 1 for units within the bound, so they are not touched at all.
      const factor = tf.minimum(1, tf.div(maxNorm, tf.maximum(norms, 1e-12))); // [1, …, 1, units]
      v.assign(tf.mul(v, factor));
    });
  }
}
