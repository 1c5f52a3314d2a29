// Logit matching, Ba & Caruana 2014 ("Do Deep Nets Really Need to be Deep?"): regress the
// teacher's logits with squared error, L = 1/(2N) Σ ‖s − t‖², i.e. softWeight 0.5 under
// 'batchmean'; an optional hard-label term (the paper's mimic nets used none). Leaves out: the
// paper's linear bottleneck layer (a student-architecture choice) and its unlabeled transfer set.
import { z } from 'zod';
import { tf, type Scalar, type Tensor } from '../../tf.ts';
import { crossEntropy, reductions, type Reduction } from '../../losses/index.ts';
import { defineMethod } from '../method.ts';

export interface LogitsMseParams {
  /** Weight of the cross-entropy with the true labels (0: logits only, as in the paper). */
  hardWeight: number;
  /** Weight of the squared error between logits (0.5 = the paper's ½). */
  softWeight: number;
  /**
   * 'batchmean': sum over classes, mean over the batch (the paper's ‖·‖² per case);
   * 'mean': mean over every element (PyTorch's F.mse_loss, tf.losses.meanSquaredError); 'sum'.
   */
  reduction: Reduction;
}

export const logitsMseSchema = z
  .object({
    hardWeight: z.number().min(0),
    softWeight: z.number().min(0),
    reduction: z.enum(reductions as [Reduction, ...Reduction[]]),
  })
  .strict();

/** Squared error between two logit matrices, reduced as asked. */
function squaredError(student: Tensor, teacher: Tensor, reduction: Reduction): Scalar {
  const perElement = tf.squaredDifference(student, teacher); // [batch, classes]
  switch (reduction) {
    case 'batchmean':
      return tf.div(tf.sum(perElement), student.shape[0] ?? 1) as Scalar;
    case 'mean':
      return tf.mean(perElement) as Scalar;
    case 'sum':
      return tf.sum(perElement) as Scalar;
  }
}

export const logitsMse = defineMethod<LogitsMseParams>({
  name: 'logits-mse',
  description: "Regresses the teacher's logits with squared error (no softmax, no temperature)",
  paper: 'Ba & Caruana 2014, Do Deep Nets Really Need to be Deep?',
  defaults: { hardWeight: 0, softWeight: 0.5, reduction: 'batchmean' },
  presets: {
    /** `F.mse_loss(s, t)` or `tf.losses.meanSquaredError`: the mean over all elements. */
    'mse-loss': { softWeight: 1, reduction: 'mean' },
  },
  schema: logitsMseSchema,
  losses({ studentLogits, teacherLogits, labels, labelSmoothing }, p) {
    return tf.tidy(() => ({
      hard: tf.mul(p.hardWeight, crossEntropy(labels, studentLogits, labelSmoothing)) as Scalar,
      logitsMse: tf.mul(p.softWeight, squaredError(studentLogits, teacherLogits, p.reduction)),
    }));
  },
});
