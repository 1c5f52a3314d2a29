// Soft-target cross-entropy, the form of Hinton, Vinyals & Dean 2015 ("Distilling the Knowledge
// in a Neural Network", §2): hardWeight·CE(y, s) + softWeight·[T²]·(−Σ p·log q),
// p = softmax(t/T), q = softmax(s/T).
// It differs from kd's KL by the teacher's entropy, a constant for the student: same gradient, but
// the soft term does not reach 0 when the student matches. Leaves out: the paper's T-annealing and
// its specialist ensembles; kd with softLoss 'cross-entropy' computes the same thing.
import { z } from 'zod';
import { tf } from '../../tf.ts';
import { crossEntropy, reductions, softCrossEntropy, type Reduction } from '../../losses/index.ts';
import { defineMethod } from '../method.ts';

export interface SoftCeParams {
  /** Softmax temperature T for teacher and student. */
  temperature: number;
  /** Weight of the cross-entropy with the true labels. */
  hardWeight: number;
  /** Weight of the soft cross-entropy. */
  softWeight: number;
  /** Multiply the soft term by T², so its gradients keep their scale as T changes (paper, §2). */
  scaleByTemperatureSquared: boolean;
  /** 'batchmean' (sum over classes, mean over the batch) | 'mean' (also over classes) | 'sum'. */
  reduction: Reduction;
}

export const softCeSchema = z
  .object({
    temperature: z.number().positive(),
    hardWeight: z.number().min(0),
    softWeight: z.number().min(0),
    scaleByTemperatureSquared: z.boolean(),
    reduction: z.enum(reductions as [Reduction, ...Reduction[]]),
  })
  .strict();

export const softCe = defineMethod<SoftCeParams>({
  name: 'soft-ce',
  description: "Cross-entropy against the teacher's temperature-softened outputs, plus hard labels",
  paper: 'Hinton, Vinyals & Dean 2015, Distilling the Knowledge in a Neural Network',
  // kd's defaults, so that switching between the two changes the reported soft value only. The
  // paper fixes no pair: it reports T = 20 (and 2.5–4 for tiny students) on MNIST and "a
  // considerably lower weight" on the hard term.
  defaults: {
    temperature: 4,
    hardWeight: 0.5,
    softWeight: 0.5,
    scaleByTemperatureSquared: true,
    reduction: 'batchmean',
  },
  schema: softCeSchema,
  losses({ studentLogits, teacherLogits, labels, labelSmoothing }, p) {
    return tf.tidy(() => {
      const options = { temperature: p.temperature, reduction: p.reduction };
      const soft = softCrossEntropy(teacherLogits, studentLogits, options); // scalar
      const scale = p.softWeight * (p.scaleByTemperatureSquared ? p.temperature ** 2 : 1);
      return {
        hard: tf.mul(p.hardWeight, crossEntropy(labels, studentLogits, labelSmoothing)),
        softCrossEntropy: tf.mul(scale, soft),
      };
    });
  },
});
