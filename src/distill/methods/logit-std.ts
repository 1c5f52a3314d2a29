// KD with logit standardization, Sun et al., CVPR 2024 ("Logit Standardization in Knowledge
// Distillation"): each row of logits is z-scored, (z − mean) / (std + 1e-7), before the usual
// softened KL, so the student matches the teacher's logit relations rather than their range:
// hardWeight·CE(y, s) + softWeight·T²·KL(softmax(z(t)/T) ‖ softmax(z(s)/T)), T the "base
// temperature". As the official code: Bessel-corrected std (torch.std; the paper writes the
// population std, a constant factor √((K−1)/K) absorbed by T), gradients through the student's
// mean and std. Leaves out: the z-score applied to DKD, MLKD and CTKD (the paper's other hosts).
import { z } from 'zod';
import { tf, type Scalar, type Tensor } from '../../tf.ts';
import { crossEntropy, klDiv } from '../../losses/index.ts';
import { defineMethod } from '../method.ts';

export interface LogitStdParams {
  /** Base temperature T applied to the z-scored logits (the KL is multiplied by T²). */
  temperature: number;
  /** Weight of the cross-entropy with the true (raw) logits (the code's CE_WEIGHT). */
  hardWeight: number;
  /** Weight of the KL between standardized logits (the code's --kd-weight). */
  softWeight: number;
}

export const logitStdSchema = z
  .object({
    temperature: z.number().positive(),
    hardWeight: z.number().min(0),
    softWeight: z.number().min(0),
  })
  .strict();

const STD_EPSILON = 1e-7; // as the official code, added to the standard deviation

/**
 * √x, differentiable at x = 0 (a constant row has std 0): inputs below 1e-30 are clamped, so the
 * value is ≤ 1e-15 (far under the ε added to it) and the gradient 0 instead of NaN.
 */
function safeSqrt(x: Tensor): Tensor {
  return tf.sqrt(tf.maximum(x, 1e-30));
}

/**
 * Per-row z-score with torch.std's Bessel correction. [batch, classes] → [batch, classes]
 * A constant row (e.g. every hidden unit dead) maps to zeros; its gradient is then (I − 1/K)/ε,
 * ~1e7, as the formula says (PyTorch's std backward gives NaN there).
 */
export function standardizeLogits(logits: Tensor): Tensor {
  return tf.tidy(() => {
    const classes = logits.shape[1] as number;
    const centered = tf.sub(logits, tf.mean(logits, 1, true)); // [batch, classes]
    const squares = tf.sum(tf.square(centered), 1, true); // [batch, 1]
    const variance = tf.div(squares, Math.max(classes - 1, 1)); // [batch, 1], Bessel-corrected
    return tf.div(centered, tf.add(safeSqrt(variance), STD_EPSILON)); // [batch, classes]
  });
}

export const logitStd = defineMethod<LogitStdParams>({
  name: 'logit-std',
  description: 'KD on per-sample z-scored logits: the student learns logit relations, not range',
  paper: 'Sun, Ren, Li, Wang & Cao, CVPR 2024, Logit Standardization in Knowledge Distillation',
  // The official code (sunshangquan/logit-standardization-KD): tools/train.py --base-temp 2,
  // --kd-weight 9; mdistiller/engine/cfg.py KD.LOSS.CE_WEIGHT 0.1. The README's CIFAR-100 and
  // ImageNet commands all use these.
  defaults: { temperature: 2, hardWeight: 0.1, softWeight: 9 },
  schema: logitStdSchema,
  losses({ studentLogits, teacherLogits, labels, labelSmoothing }, p) {
    return tf.tidy(() => {
      const kl = klDiv(standardizeLogits(teacherLogits), standardizeLogits(studentLogits), {
        temperature: p.temperature,
        reduction: 'batchmean',
      });
      return {
        hard: tf.mul(p.hardWeight, crossEntropy(labels, studentLogits, labelSmoothing)) as Scalar,
        standardizedKl: tf.mul(p.softWeight * p.temperature ** 2, kl) as Scalar,
      };
    });
  },
});
