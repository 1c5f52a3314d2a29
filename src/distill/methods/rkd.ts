// Relational knowledge distillation, Park, Kim, Lu & Cho, CVPR 2019: the student matches the
// teacher's relations between the examples of a batch, not the examples themselves: pairwise
// distances divided by their mean (distance-wise) and the cosines of the angles of every triplet
// (angle-wise), each by smooth L1, plus hardWeight·CE. As the official code (lenscloth/RKD, the
// same in mdistiller): means over all n² and n³ entries, eps 1e-12 on distances and normalization.
// Leaves out: mdistiller's squared-distance option (off by default) and the triplet loss of the
// paper's metric-learning runs. A batch of 1 has no pairs: distance term 0 (the official: NaN).
import { z } from 'zod';
import { tf, type Scalar, type Tensor } from '../../tf.ts';
import { crossEntropy } from '../../losses/index.ts';
import { defineMethod } from '../method.ts';

export interface RkdParams {
  /** Student layer giving the embedding (name, or '-2' = the layer before the logits). */
  studentLayer: string;
  teacherLayer: string;
  /** λ_D: weight of the distance-wise term. */
  distanceWeight: number;
  /** λ_A: weight of the angle-wise term. */
  angleWeight: number;
  /** Weight of the cross-entropy with the true labels. */
  hardWeight: number;
}

export const rkdSchema = z
  .object({
    studentLayer: z.string().min(1),
    teacherLayer: z.string().min(1),
    distanceWeight: z.number().min(0),
    angleWeight: z.number().min(0),
    hardWeight: z.number().min(0),
  })
  .strict();

// The official pdist clamps squared distances at 1e-12 before the root; F.normalize divides by
// max(‖x‖, 1e-12), written here as sqrt(max(‖x‖², 1e-24)) so a zero difference (i = j, or two
// equal embeddings) has a finite gradient in tfjs (sqrt'(0) would give 0·∞ = NaN).
const DISTANCE_EPS_SQUARED = 1e-12;
const NORM_EPS_SQUARED = 1e-24;

/** Smooth L1 (Huber, δ = 1) between two tensors, averaged over every element. */
function smoothL1(a: Tensor, b: Tensor): Scalar {
  const error = tf.abs(tf.sub(a, b));
  const quadratic = tf.minimum(error, 1);
  const linear = tf.sub(error, quadratic);
  return tf.mean(tf.add(tf.mul(0.5, tf.square(quadratic)), linear)) as Scalar;
}

/**
 * The relations of a batch of embeddings [n, ...]: distances [n, n] divided by their mean over
 * the n(n − 1) pairs (diagonal 0), and angles [n, n, n] = cos ∠(e_j − e_i, e_k − e_i) at [i, j, k].
 */
export function relations(embeddings: Tensor): { distances: Tensor; angles: Tensor } {
  return tf.tidy(() => {
    const n = embeddings.shape[0] as number;
    const e = tf.reshape(embeddings, [n, -1]); // [n, d]: conv features flattened
    const differences = tf.sub(tf.expandDims(e, 0), tf.expandDims(e, 1)); // [n, n, d]: e_j − e_i
    const squared = tf.sum(tf.square(differences), 2); // [n, n]
    const offDiagonal = tf.sub(1, tf.eye(n)); // [n, n]
    const raw = tf.mul(tf.sqrt(tf.maximum(squared, DISTANCE_EPS_SQUARED)), offDiagonal); // [n, n]
    // Every pair is ≥ 1e-6 after the clamp, so the official mean over d > 0 is over the n(n − 1)
    // pairs; a batch of 1 has none and keeps its single 0.
    const distances = n < 2 ? raw : tf.div(raw, tf.div(tf.sum(raw), n * (n - 1))); // [n, n]
    const norms = tf.sqrt(tf.maximum(squared, NORM_EPS_SQUARED)); // [n, n]
    const units = tf.div(differences, tf.expandDims(norms, 2)); // [n, n, d]
    const angles = tf.matMul(units, units, false, true); // [n, n, n]
    return { distances, angles };
  });
}

export const rkd = defineMethod<RkdParams>({
  name: 'rkd',
  description:
    'Relational KD: match distance-wise and angle-wise relations among the batch’s embeddings',
  paper: 'Park, Kim, Lu & Cho, CVPR 2019, Relational Knowledge Distillation',
  // mdistiller cfg.py: RKD.DISTANCE_WEIGHT 25, ANGLE_WEIGHT 50, CE_WEIGHT 1 (RepDistiller's
  // RKDLoss(w_d=25, w_a=50) the same), on the pooled feature before the classifier: '-2' here.
  // lenscloth/RKD's metric-learning examples use 1 and 2 instead.
  defaults: {
    studentLayer: '-2',
    teacherLayer: '-2',
    distanceWeight: 25,
    angleWeight: 50,
    hardWeight: 1,
  },
  schema: rkdSchema,
  taps: (p) => ({ student: [p.studentLayer], teacher: [p.teacherLayer] }),
  losses(t, p) {
    return tf.tidy(() => {
      const student = relations(t.studentFeatures[0]);
      const teacher = relations(t.teacherFeatures[0]);
      return {
        distance: tf.mul(
          p.distanceWeight,
          smoothL1(student.distances, teacher.distances),
        ) as Scalar,
        angle: tf.mul(p.angleWeight, smoothL1(student.angles, teacher.angles)) as Scalar,
        hard: tf.mul(
          p.hardWeight,
          crossEntropy(t.labels, t.studentLogits, t.labelSmoothing),
        ) as Scalar,
      };
    });
  },
});
