// Pure tensor loss functions for distillation. Every function works on logits and goes through
// log-softmax, so no log(0) and no overflow for large logits. These are also the reference
// oracle for any fused kernel. Shapes: logits [batch, classes], labels [batch] int32.
import { tf, type Scalar, type Tensor } from '../tf.ts';

/**
 * How a per-example, per-class loss is reduced to a scalar:
 * - `batchmean`: sum over classes, mean over the batch (the true KL; Hinton, PyTorch's default for KD)
 * - `mean`: mean over every element (= batchmean / classes; PyTorch's reduction='mean' pitfall)
 * - `sum`: sum over everything
 */
export type Reduction = 'batchmean' | 'mean' | 'sum';
export const reductions: readonly Reduction[] = ['batchmean', 'mean', 'sum'];

export interface SoftLossOptions {
  temperature: number;
  reduction?: Reduction;
}

function checkLogits(logits: Tensor, what: string): void {
  if (logits.rank !== 2) {
    throw new TypeError(
      `${what} must be [batch, classes] logits, got shape [${logits.shape.join(', ')}]`,
    );
  }
}

function checkTemperature(temperature: number): void {
  if (!(temperature > 0) || !Number.isFinite(temperature)) {
    throw new RangeError(`temperature must be a positive finite number, got ${temperature}`);
  }
}

/** softmax(logits / T): the teacher's "soft targets". [batch, classes] */
export function softTargets(logits: Tensor, temperature: number): Tensor {
  checkLogits(logits, 'softTargets');
  checkTemperature(temperature);
  return tf.tidy(() => tf.softmax(tf.div(logits, temperature)));
}

/** log softmax(logits / T). [batch, classes] */
export function logSoftTargets(logits: Tensor, temperature: number): Tensor {
  checkLogits(logits, 'logSoftTargets');
  checkTemperature(temperature);
  return tf.tidy(() => tf.logSoftmax(tf.div(logits, temperature)));
}

function reduce(perElement: Tensor, reduction: Reduction): Scalar {
  // perElement: [batch, classes]
  switch (reduction) {
    case 'batchmean':
      return tf.div(tf.sum(perElement), perElement.shape[0] ?? 1) as Scalar;
    case 'mean':
      return tf.mean(perElement) as Scalar;
    case 'sum':
      return tf.sum(perElement) as Scalar;
  }
}

/**
 * Cross-entropy against integer labels, averaged over the batch: mean(-log softmax(s)[y]).
 * Labels outside [0, classes) contribute zero (as tf.oneHot makes them): loaders validate labels.
 */
export function crossEntropy(labels: Tensor, logits: Tensor, labelSmoothing = 0): Scalar {
  checkLogits(logits, 'crossEntropy');
  if (labels.size !== logits.shape[0]) {
    throw new TypeError(
      `crossEntropy: ${labels.size} labels for ${logits.shape[0]} rows of logits`,
    );
  }
  return tf.tidy(() => {
    const classes = logits.shape[1] as number;
    const logProbs = tf.logSoftmax(logits); // [batch, classes]
    let target = tf.oneHot(tf.reshape(tf.cast(labels, 'int32'), [-1]), classes); // [batch, classes]
    // Label smoothing (Szegedy et al. 2016, §7): (1 − ε)·one-hot + ε/classes, PyTorch's form.
    if (labelSmoothing > 0)
      target = tf.add(tf.mul(target, 1 - labelSmoothing), labelSmoothing / classes);
    return tf.neg(tf.div(tf.sum(tf.mul(target, logProbs)), logits.shape[0] ?? 1)) as Scalar;
  });
}

/**
 * KL(softmax(t/T) ‖ softmax(s/T)) = Σ p (log p − log q), reduced as asked (default batchmean).
 * Not multiplied by T²: that is the method's choice (see distill/methods/kd.ts).
 */
export function klDiv(
  teacherLogits: Tensor,
  studentLogits: Tensor,
  options: SoftLossOptions,
): Scalar {
  return tf.tidy(() => {
    const logP = logSoftTargets(teacherLogits, options.temperature); // [batch, classes]
    const logQ = logSoftTargets(studentLogits, options.temperature); // [batch, classes]
    const perElement = tf.mul(tf.exp(logP), tf.sub(logP, logQ)); // [batch, classes]
    return reduce(perElement, options.reduction ?? 'batchmean');
  });
}

/**
 * Cross-entropy against the teacher's soft targets, −Σ p log q (the form in Hinton et al.).
 * Differs from klDiv by the teacher's entropy, a constant for the student: same gradient.
 */
export function softCrossEntropy(
  teacherLogits: Tensor,
  studentLogits: Tensor,
  options: SoftLossOptions,
): Scalar {
  return tf.tidy(() => {
    const p = softTargets(teacherLogits, options.temperature); // [batch, classes]
    const logQ = logSoftTargets(studentLogits, options.temperature); // [batch, classes]
    return reduce(tf.neg(tf.mul(p, logQ)), options.reduction ?? 'batchmean');
  });
}

/** Top-1 class per row. [batch] int32 */
export function argmaxClasses(logits: Tensor): Tensor {
  return tf.argMax(logits, -1);
}
