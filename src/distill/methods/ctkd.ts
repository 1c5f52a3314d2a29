// Curriculum temperature for KD (CTKD), Li et al., AAAI 2023: the temperature is learned
// adversarially — a gradient-reversal layer makes it *maximise* the distillation loss the student
// minimises, with a curriculum that grows the reversal strength λ from 0 to 1 by a cosine over
// the first epochs. Global temperature T = tStart + tRange · sigmoid(θ), θ one learned scalar.
// Leaves out: CTKD's instance-wise temperature (a small MLP per example).
import { z } from 'zod';
import { tf, type Scalar, type Tensor } from '../../tf.ts';
import { crossEntropy } from '../../losses/index.ts';
import { defineMethod } from '../method.ts';

export interface CtkdParams {
  /** Lowest temperature: T = tStart + tRange · sigmoid(θ). */
  tStart: number;
  tRange: number;
  /** Epochs over which the reversal strength grows from 0 to its maximum (cosine). */
  curriculumEpochs: number;
  /** Maximum reversal strength λ (1 = the temperature ascends the loss at full rate). */
  maxReversal: number;
  hardWeight: number;
  softWeight: number;
}

export const ctkdSchema = z
  .object({
    tStart: z.number().positive(),
    tRange: z.number().positive(),
    curriculumEpochs: z.number().int().min(1),
    maxReversal: z.number().min(0),
    hardWeight: z.number().min(0),
    softWeight: z.number().min(0),
  })
  .strict();

/** λ at a 1-based epoch: 0 at the start, rising by a cosine to maxReversal after curriculumEpochs. */
export function reversalStrength(
  epoch: number,
  p: Pick<CtkdParams, 'curriculumEpochs' | 'maxReversal'>,
): number {
  const i = epoch - 1;
  if (i >= p.curriculumEpochs) return p.maxReversal;
  return (p.maxReversal * (1 - Math.cos((Math.PI * i) / p.curriculumEpochs))) / 2;
}

/** Identity forward; the gradient is multiplied by −λ on the way back. */
export function gradientReversal(x: Tensor, lambda: number): Tensor {
  const f = tf.customGrad(((input: Tensor) => ({
    value: tf.clone(input),
    gradFunc: (dy: Tensor) => tf.mul(dy, -lambda),
  })) as unknown as Parameters<typeof tf.customGrad>[0]);
  return f(x);
}

/** The current temperature (a scalar tensor, reversed gradient to θ). */
export function learnedTemperature(
  theta: Tensor,
  lambda: number,
  p: Pick<CtkdParams, 'tStart' | 'tRange'>,
): Tensor {
  return tf.add(p.tStart, tf.mul(p.tRange, tf.sigmoid(gradientReversal(theta, lambda))));
}

export const ctkd = defineMethod<CtkdParams>({
  name: 'ctkd',
  description:
    'KD with a temperature learned adversarially through gradient reversal, with a curriculum',
  paper: 'Li et al., AAAI 2023, Curriculum Temperature for Knowledge Distillation',
  // Defaults from the authors' code: T = 1 + 20·sigmoid(θ), λ 0 → 1 over 10 epochs; KD weights as mdistiller.
  defaults: {
    tStart: 1,
    tRange: 20,
    curriculumEpochs: 10,
    maxReversal: 1,
    hardWeight: 0.1,
    softWeight: 0.9,
  },
  schema: ctkdSchema,
  createVariables: (_p, _shapes, seed) => ({
    temperatureLogit: tf.variable(tf.scalar(0), true, `ctkd_temperature_${seed}`),
  }),
  losses(t, p) {
    return tf.tidy(() => {
      const lambda = reversalStrength(t.context.epoch, p);
      const temperature = learnedTemperature(t.variables.temperatureLogit, lambda, p); // scalar
      const logP = tf.logSoftmax(tf.div(t.teacherLogits, temperature)); // [batch, classes]
      const logQ = tf.logSoftmax(tf.div(t.studentLogits, temperature)); // [batch, classes]
      const batch = t.studentLogits.shape[0] as number;
      const kl = tf.div(tf.sum(tf.mul(tf.exp(logP), tf.sub(logP, logQ))), batch);
      return {
        hard: tf.mul(
          p.hardWeight,
          crossEntropy(t.labels, t.studentLogits, t.labelSmoothing),
        ) as Scalar,
        soft: tf.mul(tf.mul(p.softWeight, tf.square(temperature)), kl) as Scalar,
      };
    });
  },
  // The learned temperature and the reversal strength, logged per epoch (not part of the loss).
  metrics: (state, p) => ({
    temperature: tf.add(
      p.tStart,
      tf.mul(p.tRange, tf.sigmoid(state.variables.temperatureLogit)),
    ) as Scalar,
    reversal: tf.scalar(reversalStrength(state.context.epoch, p)),
  }),
});
