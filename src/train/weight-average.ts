// An exponential moving average of a model's trainable weights (Polyak & Juditsky 1992; the
// "model EMA" of TensorFlow's ExponentialMovingAverage and timm's ModelEmaV2): after every update,
// shadow ← d·shadow + (1 − d)·w with d = min(decay, (1 + t) / (10 + t)) at step t, TensorFlow's
// warm-up, so the first steps do not drag the average towards the random initialisation. The loop
// validates and keeps the averaged weights, and trains the live ones.
// Left out: non-trainable weights (batch-norm moving statistics stay those of the live model, as
// tfjs keeps them; timm averages them too) and SWA's cyclic schedule (averaging the ends of epochs).
import { tf, type Tensor } from '../tf.ts';

export class WeightAverage {
  /** Averaged weights, one per model variable, in the order of `trainableVariables(model)`. */
  readonly shadow: tf.Variable[];
  /** The live (trained) weights while the model holds the averaged ones (between swapIn/swapOut). */
  private live?: Tensor[];

  /** `start` are the weights the average starts from (the model's, or a checkpoint's average). */
  constructor(
    readonly decay: number,
    start: Tensor[],
  ) {
    this.shadow = start.map((w) => tf.variable(w, false)); // shares w's data until the first update
  }

  /** The decay at 0-based global step `step`: TensorFlow's num_updates warm-up, capped at `decay`. */
  decayAt(step: number): number {
    return Math.min(this.decay, (1 + step) / (10 + step));
  }

  /** Folds the weights after update number `step` (0-based, over the whole run) into the average. */
  update(variables: tf.Variable[], step: number) {
    const d = this.decayAt(step);
    tf.tidy(() => {
      variables.forEach((v, i) => {
        const s = this.shadow[i];
        s.assign(tf.add(tf.mul(s, d), tf.mul(v, 1 - d))); // same shape as v
      });
    });
  }

  /** Puts the averaged weights into `variables`, keeping the live ones aside. */
  swapIn(variables: tf.Variable[]) {
    if (this.live) return;
    this.live = variables.map((v) => tf.clone(v));
    variables.forEach((v, i) => v.assign(this.shadow[i]));
  }

  /** Puts the live weights back (after validation, or before training continues). */
  swapOut(variables: tf.Variable[]) {
    if (!this.live) return;
    variables.forEach((v, i) => v.assign(this.live![i]));
    tf.dispose(this.live);
    this.live = undefined;
  }

  dispose() {
    tf.dispose(this.shadow);
    tf.dispose(this.live);
    this.live = undefined;
  }
}
