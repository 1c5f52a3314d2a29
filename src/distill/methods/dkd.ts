// Decoupled knowledge distillation, Zhao et al., CVPR 2022: KD split into TCKD (KL between the
// binary "target class vs the rest" distributions) and NCKD (KL among the non-target classes),
// weighted α·T²·TCKD + β·T²·NCKD, plus hardWeight·CE. Defaults follow mdistiller (the authors'
// code), including its warm-up: the KD terms are multiplied by min(epoch / warmupEpochs, 1)
// (1-based epochs, as mdistiller's DKD.forward_train), logged as the metric `warmup`.
import { z } from 'zod';
import { tf, type Scalar, type Tensor } from '../../tf.ts';
import { crossEntropy } from '../../losses/index.ts';
import { defineMethod } from '../method.ts';

export interface DkdParams {
  /** Softmax temperature T for teacher and student (the KD terms are multiplied by T²). */
  temperature: number;
  /** Weight of the cross-entropy with the true labels (mdistiller's CE_WEIGHT). */
  hardWeight: number;
  /** α: weight of TCKD, target class vs all the others (mdistiller's ALPHA). */
  targetWeight: number;
  /** β: weight of NCKD, the distribution among the non-target classes (mdistiller's BETA). */
  nonTargetWeight: number;
  /**
   * KD terms ramp linearly to full weight over the first n epochs: factor min(epoch / n, 1)
   * (mdistiller's WARMUP: 20 in its CIFAR-100 configs over 240 epochs, 1 on ImageNet). Default 1:
   * full weight from the first epoch, which suits short budgets.
   */
  warmupEpochs: number;
}

/** The KD terms' factor at a 1-based epoch: min(epoch / warmupEpochs, 1). */
export function dkdWarmup(epoch: number, warmupEpochs: number): number {
  return warmupEpochs > 0 ? Math.min(epoch / warmupEpochs, 1) : 1;
}

export const dkdSchema = z
  .object({
    temperature: z.number().positive(),
    hardWeight: z.number().min(0),
    targetWeight: z.number().min(0),
    nonTargetWeight: z.number().min(0),
    warmupEpochs: z.number().int().min(0),
  })
  .strict();

// exp(−1000) is 0 in float32: a logit this far below the row's minimum takes no probability.
const MASK_OFFSET = 1000;

/**
 * The log-probabilities DKD needs from one set of logits, all finite for any input:
 * `binary` [batch, 2] = log [p(target), p(not target)]; `nonTarget` [batch, classes] = log
 * softmax over the non-target classes (the target's entry is ≈ −1000 and has probability 0).
 */
function decoupled(logits: Tensor, isTarget: Tensor, temperature: number) {
  const scaled = tf.div(logits, temperature); // [batch, classes]
  const logZ = tf.logSumExp(scaled, 1, true); // [batch, 1]
  const floor = tf.sub(tf.min(scaled, 1, true), MASK_OFFSET); // [batch, 1]
  const masked = tf.where(isTarget, floor, scaled); // [batch, classes]: target pushed out
  const logZOthers = tf.logSumExp(masked, 1, true); // [batch, 1]
  const target = tf.sum(tf.where(isTarget, scaled, tf.zerosLike(scaled)), 1, true); // [batch, 1]
  const binary = tf.concat([tf.sub(target, logZ), tf.sub(logZOthers, logZ)], 1); // [batch, 2]
  return { binary, nonTarget: tf.sub(masked, logZOthers) }; // [batch, 2], [batch, classes]
}

/** KL(p ‖ q) from log-probabilities, summed over the last axis and averaged over the batch. */
function klFromLogProbs(logP: Tensor, logQ: Tensor): Scalar {
  const perElement = tf.mul(tf.exp(logP), tf.sub(logP, logQ)); // [batch, k]
  return tf.div(tf.sum(perElement), logP.shape[0] ?? 1) as Scalar;
}

export const dkd = defineMethod<DkdParams>({
  name: 'dkd',
  description:
    'Decoupled KD: target-class (TCKD) and non-target-class (NCKD) KL terms weighted apart',
  paper: 'Zhao, Cui, Song, Qiu & Liang, CVPR 2022, Decoupled Knowledge Distillation',
  // mdistiller/engine/cfg.py (CIFAR-100): CE_WEIGHT 1, ALPHA 1, BETA 8, T 4. Some CIFAR pairs
  // override BETA (2 or 6 in configs/cifar100/dkd/*.yaml).
  defaults: { temperature: 4, hardWeight: 1, targetWeight: 1, nonTargetWeight: 8, warmupEpochs: 1 },
  presets: {
    /** mdistiller configs/imagenet/r34_r18/dkd.yaml (and r50_mv1): BETA 0.5, T 1 (WARMUP 1). */
    imagenet: { temperature: 1, nonTargetWeight: 0.5, warmupEpochs: 1 },
  },
  schema: dkdSchema,
  losses({ studentLogits, teacherLogits, labels, labelSmoothing, context }, p) {
    return tf.tidy(() => {
      const classes = studentLogits.shape[1] as number;
      const ids = tf.cast(tf.reshape(labels, [-1]), 'int32'); // [batch]
      const isTarget = tf.cast(tf.oneHot(ids, classes), 'bool'); // [batch, classes]
      const student = decoupled(studentLogits, isTarget, p.temperature);
      const teacher = decoupled(teacherLogits, isTarget, p.temperature);
      const scale = p.temperature ** 2 * dkdWarmup(context.epoch, p.warmupEpochs);
      return {
        hard: tf.mul(p.hardWeight, crossEntropy(labels, studentLogits, labelSmoothing)) as Scalar,
        targetClassKd: tf.mul(
          p.targetWeight * scale,
          klFromLogProbs(teacher.binary, student.binary),
        ) as Scalar,
        nonTargetClassKd: tf.mul(
          p.nonTargetWeight * scale,
          klFromLogProbs(teacher.nonTarget, student.nonTarget),
        ) as Scalar,
      };
    });
  },
  metrics: (state, p) => ({ warmup: tf.scalar(dkdWarmup(state.context.epoch, p.warmupEpochs)) }),
});
