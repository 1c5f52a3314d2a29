// DIST, Huang et al., NeurIPS 2022 ("Knowledge Distillation from A Stronger Teacher"): match
// relations instead of values. With y = softmax(logits / T):
//   inter-class = 1 − mean over samples of Pearson(y_s[i, :], y_t[i, :])  (ranking of classes)
//   intra-class = 1 − mean over classes of Pearson(y_s[:, j], y_t[:, j])  (ranking of samples)
// loss = hardWeight·CE + interWeight·T²·inter + intraWeight·T²·intra, as the official code
// (image_classification_sota lib/models/losses/dist_kd.py; T² always applied, 1e-8 added to the
// product of norms). Leaves out: the segmentation/detection variants (spatial positions as
// samples). With a batch of one, intra-class is a constant (see `pearson`).
import { z } from 'zod';
import { tf, type Scalar, type Tensor } from '../../tf.ts';
import { crossEntropy } from '../../losses/index.ts';
import { defineMethod } from '../method.ts';

export interface DistParams {
  /** Softmax temperature T (both relation terms are multiplied by T²). */
  temperature: number;
  /** Weight of the cross-entropy with the true labels (the code's ori_loss_weight). */
  hardWeight: number;
  /** β: weight of the inter-class relation (per-sample correlation over classes). */
  interWeight: number;
  /** γ: weight of the intra-class relation (per-class correlation over the batch). */
  intraWeight: number;
}

export const distSchema = z
  .object({
    temperature: z.number().positive(),
    hardWeight: z.number().min(0),
    interWeight: z.number().min(0),
    intraWeight: z.number().min(0),
  })
  .strict();

const PEARSON_EPSILON = 1e-8; // as the official code, added to the product of the norms

/**
 * √x, differentiable at x = 0 (a centered constant slice has norm 0): inputs below 1e-30 are
 * clamped, so the value is ≤ 1e-15 (far under the ε added to it) and the gradient 0, not NaN.
 */
function safeSqrt(x: Tensor): Tensor {
  return tf.sqrt(tf.maximum(x, 1e-30));
}

/**
 * Pearson correlation of `a` and `b` along `axis`, one value per slice: for [batch, classes],
 * axis 1 → [batch] (each sample over classes), axis 0 → [classes] (each class over the batch).
 * A constant slice (every class when the batch has one sample) has correlation 0, as in the
 * official formula: its relation term is then 1, with no gradient.
 */
export function pearson(a: Tensor, b: Tensor, axis: 0 | 1): Tensor {
  return tf.tidy(() => {
    const ca = tf.sub(a, tf.mean(a, axis, true)); // [batch, classes]
    const cb = tf.sub(b, tf.mean(b, axis, true)); // [batch, classes]
    const dot = tf.sum(tf.mul(ca, cb), axis); // [n]
    const norms = tf.mul(
      safeSqrt(tf.sum(tf.square(ca), axis)),
      safeSqrt(tf.sum(tf.square(cb), axis)),
    ); // [n]
    return tf.div(dot, tf.add(norms, PEARSON_EPSILON)); // [n]
  });
}

export const dist = defineMethod<DistParams>({
  name: 'dist',
  description:
    'DIST: Pearson-correlation relations between student and teacher, across classes and samples',
  paper:
    'Huang, You, Wang, Qian & Xu, NeurIPS 2022, Knowledge Distillation from A Stronger Teacher',
  // ImageNet, the paper's main setting: β = γ = 2, τ = 1. In the official code that is
  // DIST(beta=1, gamma=1, tau=1) times kd_loss_weight 2, with ori_loss_weight 1
  // (configs/strategies/distill/resnet_dist.yaml).
  defaults: { temperature: 1, hardWeight: 1, interWeight: 2, intraWeight: 2 },
  presets: {
    /** configs/strategies/distill/dist_cifar.yaml: kd 'dist_t4' (τ = 4), same weights. */
    cifar100: { temperature: 4 },
  },
  schema: distSchema,
  losses({ studentLogits, teacherLogits, labels, labelSmoothing }, p) {
    return tf.tidy(() => {
      const ys = tf.softmax(tf.div(studentLogits, p.temperature)); // [batch, classes]
      const yt = tf.softmax(tf.div(teacherLogits, p.temperature)); // [batch, classes]
      const inter = tf.sub(1, tf.mean(pearson(ys, yt, 1))); // scalar
      const intra = tf.sub(1, tf.mean(pearson(ys, yt, 0))); // scalar
      const scale = p.temperature ** 2;
      return {
        hard: tf.mul(p.hardWeight, crossEntropy(labels, studentLogits, labelSmoothing)) as Scalar,
        interClassRelation: tf.mul(p.interWeight * scale, inter) as Scalar,
        intraClassRelation: tf.mul(p.intraWeight * scale, intra) as Scalar,
      };
    });
  },
});
