// Knowledge distillation, Hinton, Vinyals & Dean 2015, "Distilling the Knowledge in a Neural
// Network": hardWeight·CE(y, s) + softWeight·T²·KL(softmax(t/T) ‖ softmax(s/T)).
// T² scaling, the reduction and KL vs soft cross-entropy are explicit (libraries disagree).
import { z } from 'zod';
import { tf } from '../../tf.ts';
import { crossEntropy, klDiv, reductions, softCrossEntropy } from '../../losses/index.ts';
import { defineMethod } from '../method.ts';

export interface KdParams {
  /** Softmax temperature T for teacher and student. */
  temperature: number;
  /** Weight of the cross-entropy with the true labels. */
  hardWeight: number;
  /** Weight of the soft-target term. */
  softWeight: number;
  /** Multiply the soft term by T² so its gradients keep their scale as T changes (Hinton §2). */
  scaleByTemperatureSquared: boolean;
  /** Reduction of the soft term: 'batchmean' (the true KL) | 'mean' | 'sum'. */
  reduction: 'batchmean' | 'mean' | 'sum';
  /** 'kl' = KL divergence; 'cross-entropy' = −Σ p log q as in the paper (same gradient). */
  softLoss: 'kl' | 'cross-entropy';
}

export const kdSchema = z
  .object({
    temperature: z.number().positive(),
    hardWeight: z.number().min(0),
    softWeight: z.number().min(0),
    scaleByTemperatureSquared: z.boolean(),
    reduction: z.enum(reductions as ['batchmean', 'mean', 'sum']),
    softLoss: z.enum(['kl', 'cross-entropy']),
  })
  .strict();

export const kd = defineMethod<KdParams>({
  name: 'kd',
  description:
    "Hinton's knowledge distillation: hard labels + temperature-softened teacher outputs",
  paper: 'Hinton, Vinyals & Dean 2015, Distilling the Knowledge in a Neural Network',
  defaults: {
    temperature: 4,
    hardWeight: 0.5,
    softWeight: 0.5,
    scaleByTemperatureSquared: true,
    reduction: 'batchmean',
    softLoss: 'kl',
  },
  schema: kdSchema,
  losses({ studentLogits, teacherLogits, labels }, p) {
    const options = { temperature: p.temperature, reduction: p.reduction };
    const soft =
      p.softLoss === 'kl'
        ? klDiv(teacherLogits, studentLogits, options)
        : softCrossEntropy(teacherLogits, studentLogits, options);
    const scale = p.softWeight * (p.scaleByTemperatureSquared ? p.temperature ** 2 : 1);
    return {
      hard: tf.mul(p.hardWeight, crossEntropy(labels, studentLogits)),
      soft: tf.mul(scale, soft),
    };
  },
});
