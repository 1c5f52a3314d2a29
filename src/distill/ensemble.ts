// Many teachers as one (Hinton et al. 2015 §3–4: an ensemble's averaged soft targets). The
// teachers — any architectures, same inputs and classes — become one frozen LayersModel whose
// output combines their logits, so distillation, caching, evaluation and agreement treat an
// ensemble exactly like a single teacher. Combination rules:
// - 'mean-logits': Σ wᵢ zᵢ (geometric mean of the teachers' distributions)
// - 'mean-probs':  log Σ wᵢ softmax(zᵢ) (arithmetic mean of probabilities, as logits)
// - 'confidence':  per example, wᵢ(x) ∝ wᵢ · max softmax(zᵢ(x)); then Σ wᵢ(x) zᵢ
// Leaves out: temperature-dependent averaging (mean-probs averages at T = 1), and saving an
// ensemble as one model (teachers' weight names collide): save the teachers instead.
import { tf, type LayersModel, type Tensor } from '../tf.ts';
import { checkCompatible, inputShapeOf } from '../models/index.ts';
import { modelError } from '../errors.ts';
import type { Teacher } from '../teachers/teacher.ts';

import { combineRules, type CombineRule } from './ensemble-rules.ts';

export { combineRules, type CombineRule };

export interface EnsembleOptions {
  combine?: CombineRule;
  /** One non-negative weight per teacher (normalised to sum 1); default equal. */
  weights?: number[];
}

interface CombineConfig extends tf.serialization.ConfigDict {
  combine: CombineRule;
  weights: number[];
}

/** Combines a list of [batch, classes] logits into [batch, classes] logits. */
export function combineLogits(logits: Tensor[], combine: CombineRule, weights: number[]): Tensor {
  return tf.tidy(() => {
    const z = tf.stack(logits); // [teachers, batch, classes]
    const w = tf.reshape(tf.tensor1d(weights), [weights.length, 1, 1]); // [teachers, 1, 1]
    switch (combine) {
      case 'mean-logits':
        return tf.sum(tf.mul(w, z), 0);
      case 'mean-probs':
        // log Σ wᵢ softmax(zᵢ) = logsumexp over teachers of (log wᵢ + log softmax(zᵢ))
        return tf.logSumExp(tf.add(tf.log(tf.maximum(w, 1e-30)), tf.logSoftmax(z)), 0);
      case 'confidence': {
        const confidence = tf.max(tf.softmax(z), -1, true); // [teachers, batch, 1]
        const raw = tf.mul(w, confidence);
        const perExample = tf.div(raw, tf.sum(raw, 0, true)); // [teachers, batch, 1]
        return tf.sum(tf.mul(perExample, z), 0);
      }
    }
  });
}

/** The layer that merges the teachers' outputs. */
export class CombineTeachers extends tf.layers.Layer {
  static className = 'DistilleryCombineTeachers';
  private readonly rule: CombineRule;
  private readonly teacherWeights: number[];

  constructor(config: CombineConfig & { name?: string }) {
    super({ name: config.name, trainable: false });
    this.rule = config.combine;
    this.teacherWeights = config.weights;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    return (inputShape as tf.Shape[])[0];
  }

  override call(inputs: Tensor | Tensor[]): Tensor {
    return combineLogits(inputs as Tensor[], this.rule, this.teacherWeights);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), combine: this.rule, weights: this.teacherWeights };
  }
}
tf.serialization.registerClass(CombineTeachers);

/** One frozen LayersModel computing the combined logits of `teachers`. */
export function createEnsemble(
  teachers: LayersModel[],
  options: EnsembleOptions = {},
): LayersModel {
  if (teachers.length < 2)
    throw modelError(`an ensemble needs at least 2 teachers, got ${teachers.length}`);
  teachers.slice(1).forEach((t) => checkCompatible(teachers[0], t));
  const combine = options.combine ?? 'mean-logits';
  const raw = options.weights ?? teachers.map(() => 1);
  if (raw.length !== teachers.length || raw.some((w) => !(w >= 0)) || raw.every((w) => w === 0)) {
    throw modelError(
      `teacher weights must be ${teachers.length} non-negative numbers, not all zero; got [${raw.join(', ')}]`,
    );
  }
  const total = raw.reduce((a, b) => a + b, 0);
  const weights = raw.map((w) => w / total);
  const input = tf.input({ shape: inputShapeOf(teachers[0]) });
  const outputs = teachers.map((teacher, i) => {
    // Nested models are layers: their names must be unique inside the ensemble.
    (teacher as unknown as { name: string }).name = `teacher_${i + 1}`;
    return teacher.apply(input) as tf.SymbolicTensor;
  });
  const combined = new CombineTeachers({ combine, weights, name: 'combine' }).apply(
    outputs,
  ) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: combined, name: 'ensemble' });
  model.trainable = false;
  return model;
}

/**
 * Several Teachers of any kind (ONNX, graph model, server, Layers) as one Teacher whose logits
 * combine theirs by `combine` (same rules as createEnsemble). Members must agree on classes.
 */
export function ensembleTeacher(teachers: Teacher[], options: EnsembleOptions = {}): Teacher {
  if (teachers.length < 2)
    throw modelError(`an ensemble needs at least 2 teachers, got ${teachers.length}`);
  const classes = teachers[0].classes;
  teachers.forEach((t, i) => {
    if (t.classes !== classes)
      throw modelError(
        `ensemble teacher ${i + 1} outputs ${t.classes} classes but teacher 1 outputs ${classes}`,
      );
  });
  const combine = options.combine ?? 'mean-logits';
  const raw = options.weights ?? teachers.map(() => 1);
  if (raw.length !== teachers.length || raw.some((w) => !(w >= 0)) || raw.every((w) => w === 0)) {
    throw modelError(
      `teacher weights must be ${teachers.length} non-negative numbers, not all zero; got [${raw.join(', ')}]`,
    );
  }
  const total = raw.reduce((a, b) => a + b, 0);
  const weights = raw.map((w) => w / total);
  return {
    kind: 'ensemble',
    classes,
    dataShape: teachers.find((t) => t.dataShape)?.dataShape,
    batchSize: teachers.some((t) => t.batchSize)
      ? Math.min(...teachers.map((t) => t.batchSize ?? Infinity))
      : undefined,
    identity: async () =>
      `ensemble:${combine}:${weights.join(',')}:${(await Promise.all(teachers.map((t) => t.identity()))).join(',')}`,
    logits: async (x) => {
      const parts = await Promise.all(teachers.map((t) => t.logits(x))); // each [batch, classes]
      const combined = combineLogits(parts, combine, weights);
      tf.dispose(parts);
      return combined;
    },
    describe: () => ({
      kind: 'ensemble',
      source: teachers.map((t) => t.describe().source).join(', '),
      classes,
      combine,
      weights,
      members: teachers.map((t) => t.describe()),
    }),
    dispose: async () => {
      for (const t of teachers) await t.dispose();
    },
  };
}
