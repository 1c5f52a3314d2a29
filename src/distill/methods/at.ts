// Attention transfer, Zagoruyko & Komodakis, ICLR 2017: at paired conv layers the student matches
// the teacher's spatial attention map Q = normalize(mean over channels of |A|^p), p = 2. The loss is
// the official code's (szagoruyko/attention-transfer utils.py, as mdistiller's AT): beta · Σ_pairs
// mean over batch AND h·w of (Qs − Qt)², plus hardWeight·CE and an optional KD term. Not the
// paper's β/2 · ‖Qs − Qt‖ per example: the code squares, drops the 1/2 and also divides by h·w.
// Leaves out: gradient-based attention, mdistiller's pooling of unequal maps (sizes must match
// here) and the README's planned decaying beta. Features are NHWC (tfjs), reduced over axis 3.
import { z } from 'zod';
import { tf, type Scalar, type Tensor } from '../../tf.ts';
import { crossEntropy, klDiv } from '../../losses/index.ts';
import { modelError } from '../../errors.ts';
import { defineMethod, type TapShapes } from '../method.ts';

export interface AtParams {
  /** Student conv layers, paired in order with `teacherLayers` (names, or '-k' from the end). */
  studentLayers: string[];
  teacherLayers: string[];
  /** Exponent of the activations: Q = mean over channels of |A|^p (the paper's F^p_sum). */
  p: number;
  /** β: weight of the attention term (the paper's and the official code's name). */
  beta: number;
  /** Weight of the cross-entropy with the true labels (the official code's 1 − alpha). */
  hardWeight: number;
  /** Weight of Hinton's KD term, softWeight · T² · KL (the official code's alpha); 0 = off. */
  softWeight: number;
  temperature: number;
}

// The CLI passes `--param studentLayers=conv1,conv2` as one string.
const layerList = z.preprocess(
  (v) => (typeof v === 'string' ? v.split(',').map((s) => s.trim()) : v),
  z.array(z.string().min(1)).min(1),
);

export const atSchema = z
  .object({
    studentLayers: layerList,
    teacherLayers: layerList,
    // p < 1 would make |A|^p's gradient infinite at the exact zeros ReLU maps are full of.
    p: z.number().min(1),
    beta: z.number().min(0),
    hardWeight: z.number().min(0),
    softWeight: z.number().min(0),
    temperature: z.number().positive(),
  })
  .strict()
  .refine((p) => p.studentLayers.length === p.teacherLayers.length, {
    message: 'studentLayers and teacherLayers must pair up (same length)',
    path: ['teacherLayers'],
  });

// F.normalize's eps: x / max(‖x‖, 1e-12), written as x / sqrt(max(‖x‖², 1e-24)) so that an
// all-zero map (a dead layer) has a finite gradient in tfjs (sqrt'(0) would give 0·∞ = NaN).
const NORM_EPS_SQUARED = 1e-24;

/** The attention map of NHWC features, flattened and L2-normalized per example: [batch, h·w]. */
export function attentionMap(features: Tensor, p: number): Tensor {
  return tf.tidy(() => {
    const powered = p === 2 ? tf.square(features) : tf.pow(tf.abs(features), p); // [b, h, w, c]
    const map = tf.reshape(tf.mean(powered, 3), [features.shape[0], -1]); // [b, h·w]
    const squaredNorm = tf.sum(tf.square(map), 1, true); // [b, 1]
    return tf.div(map, tf.sqrt(tf.maximum(squaredNorm, NORM_EPS_SQUARED))); // [b, h·w]
  });
}

/** Each pair's student and teacher outputs must be conv maps of the same height and width. */
function checkPair(student: number[], teacher: number[], names: [string, string]): void {
  const [s, t] = names;
  if (student.length !== 3 || teacher.length !== 3) {
    throw modelError(
      `at: student layer '${s}' [${student}] and teacher layer '${t}' [${teacher}] must both be conv outputs [h, w, channels]`,
    );
  }
  if (student[0] !== teacher[0] || student[1] !== teacher[1]) {
    throw modelError(
      `at: student layer '${s}' is ${student[0]}×${student[1]} but teacher layer '${t}' is ${teacher[0]}×${teacher[1]}: paired attention maps must have the same spatial size`,
    );
  }
}

export const at = defineMethod<AtParams>({
  name: 'at',
  description:
    'Attention transfer: match normalized spatial attention maps (mean |A|^p) of paired conv layers',
  paper:
    'Zagoruyko & Komodakis, ICLR 2017, Paying More Attention to Attention: Improving the Performance of CNNs via Attention Transfer',
  // Official code: README's AT run `--beta 1e+3`, cifar.py `--alpha 0` (CE only, weight 1) and
  // `--temperature 4`, utils.at p = 2; mdistiller cfg.py agrees (AT.P 2, CE_WEIGHT 1,
  // FEAT_WEIGHT 1000). Layers: both conv blocks of models/cnn.ts (the paper taps each group's end).
  defaults: {
    studentLayers: ['conv1', 'conv2'],
    teacherLayers: ['conv1', 'conv2'],
    p: 2,
    beta: 1000,
    hardWeight: 1,
    softWeight: 0,
    temperature: 4,
  },
  schema: atSchema as z.ZodType<AtParams>,
  taps: (p) => ({ student: p.studentLayers, teacher: p.teacherLayers }),
  // No variables: this only checks the tapped shapes, so a mismatch fails when the Distiller is
  // built rather than at the first step.
  createVariables(p, shapes: TapShapes) {
    shapes.student.forEach((s, i) =>
      checkPair(s, shapes.teacher[i], [p.studentLayers[i], p.teacherLayers[i]]),
    );
    return {};
  },
  losses(t, p) {
    t.studentFeatures.forEach((s, i) =>
      checkPair(s.shape.slice(1), t.teacherFeatures[i].shape.slice(1), [
        p.studentLayers[i],
        p.teacherLayers[i],
      ]),
    );
    return tf.tidy(() => {
      const perPair = t.studentFeatures.map((student, i) => {
        const qs = attentionMap(student, p.p); // [batch, h·w]
        const qt = attentionMap(t.teacherFeatures[i], p.p); // [batch, h·w]
        return tf.mean(tf.squaredDifference(qs, qt));
      });
      const terms: Record<string, Scalar> = {
        attention: tf.mul(p.beta, tf.addN(perPair)) as Scalar,
        hard: tf.mul(
          p.hardWeight,
          crossEntropy(t.labels, t.studentLogits, t.labelSmoothing),
        ) as Scalar,
      };
      if (p.softWeight > 0) {
        terms.soft = tf.mul(
          p.softWeight * p.temperature ** 2,
          klDiv(t.teacherLogits, t.studentLogits, { temperature: p.temperature }),
        ) as Scalar;
      }
      return terms;
    });
  },
});
