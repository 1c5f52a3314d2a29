// FitNets: hints for thin deep nets, Romero et al., ICLR 2015. A learned regressor maps a student
// ("guided") layer onto a teacher ("hint") layer; stage 1 trains the student up to that layer to
// regress the hint, stage 2 is ordinary KD of the whole student (the paper's two stages, switched
// by epoch). Dense features use a linear regressor, conv features a 1×1 convolution.
// Leaves out: the paper's regressor for unequal spatial sizes (strided/large kernels): tapped conv
// layers must have the same height and width.
import { z } from 'zod';
import { tf, type Scalar, type Tensor, type Variable } from '../../tf.ts';
import { crossEntropy, klDiv } from '../../losses/index.ts';
import { modelError } from '../../errors.ts';
import { defineMethod, type TapShapes } from '../method.ts';

export interface FitnetsParams {
  /** Student layer whose output is regressed (name, or '-2' = second-to-last layer). */
  studentLayer: string;
  /** Teacher layer giving the hint. */
  teacherLayer: string;
  /** Epochs of stage 1 (hint only); KD afterwards. */
  hintEpochs: number;
  /** Weight of the hint term: hintWeight · mean((hint − regressor(guided))²). */
  hintWeight: number;
  /** Stage 2: KD temperature and weights (as kd). */
  temperature: number;
  hardWeight: number;
  softWeight: number;
}

export const fitnetsSchema = z
  .object({
    studentLayer: z.string().min(1),
    teacherLayer: z.string().min(1),
    hintEpochs: z.number().int().min(0),
    hintWeight: z.number().min(0),
    temperature: z.number().positive(),
    hardWeight: z.number().min(0),
    softWeight: z.number().min(0),
  })
  .strict();

function regressorShape(shapes: TapShapes): [number, number] {
  const [s] = shapes.student;
  const [t] = shapes.teacher;
  if (s.length !== t.length || (s.length !== 1 && s.length !== 3)) {
    throw modelError(
      `fitnets: student layer output [${s}] and teacher layer output [${t}] must both be dense [units] or both conv [h, w, channels]`,
    );
  }
  if (s.length === 3 && (s[0] !== t[0] || s[1] !== t[1])) {
    throw modelError(
      `fitnets: conv hint ${t[0]}×${t[1]} and guided layer ${s[0]}×${s[1]} must have the same spatial size`,
    );
  }
  return [s[s.length - 1], t[t.length - 1]];
}

/** regressor(guided) flattened to rows: [rows, teacherChannels]. */
export function regress(guided: Tensor, kernel: Tensor, bias: Tensor): Tensor {
  const channels = guided.shape[guided.rank - 1] as number;
  const rows = tf.reshape(guided, [-1, channels]); // [batch·h·w, studentChannels]
  return tf.add(tf.matMul(rows, kernel), bias); // [batch·h·w, teacherChannels]
}

export const fitnets = defineMethod<FitnetsParams>({
  name: 'fitnets',
  description: 'Hint learning: a regressor maps a student layer onto a teacher layer, then KD',
  paper: 'Romero et al., ICLR 2015, FitNets: Hints for Thin Deep Nets',
  defaults: {
    studentLayer: 'fc1',
    teacherLayer: 'fc1',
    hintEpochs: 1,
    hintWeight: 1,
    temperature: 4,
    hardWeight: 0.5,
    softWeight: 0.5,
  },
  schema: fitnetsSchema,
  taps: (p) => ({ student: [p.studentLayer], teacher: [p.teacherLayer] }),
  createVariables(_p, shapes, seed) {
    const [fanIn, fanOut] = regressorShape(shapes);
    return {
      regressorKernel: tf.variable(
        tf.initializers.glorotUniform({ seed }).apply([fanIn, fanOut]) as Tensor,
        true,
        `fitnets_regressor_kernel_${seed}`,
      ),
      regressorBias: tf.variable(tf.zeros([fanOut]), true, `fitnets_regressor_bias_${seed}`),
    };
  },
  losses(t, p) {
    return tf.tidy((): Record<string, Scalar> => {
      if (t.context.epoch <= p.hintEpochs) {
        const { regressorKernel: kernel, regressorBias: bias } = t.variables as Record<
          string,
          Variable
        >;
        const predicted = regress(t.studentFeatures[0], kernel, bias); // [rows, teacherChannels]
        const hint = tf.reshape(t.teacherFeatures[0], predicted.shape); // [rows, teacherChannels]
        return {
          hint: tf.mul(p.hintWeight, tf.mean(tf.squaredDifference(hint, predicted))) as Scalar,
        };
      }
      return {
        hard: tf.mul(
          p.hardWeight,
          crossEntropy(t.labels, t.studentLogits, t.labelSmoothing),
        ) as Scalar,
        soft: tf.mul(
          p.softWeight * p.temperature ** 2,
          klDiv(t.teacherLogits, t.studentLogits, { temperature: p.temperature }),
        ) as Scalar,
      };
    });
  },
});
