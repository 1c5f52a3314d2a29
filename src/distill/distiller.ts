// The distiller: a frozen teacher, a student and a method. Each step runs the teacher in
// inference mode outside the gradient, then minimises the method's named terms over the
// student's variables (and the method's own, e.g. a regressor) only; the teacher is frozen by
// construction, not by each method. Feature methods name the layers they tap; both models are
// read through multi-output extractors that share their weights.
import { tf, type LayersModel, type Tensor, type Variable } from '../tf.ts';
import type { Split } from '../data/dataset.ts';
import { inputShapeOf, outputSize } from '../models/index.ts';
import { asTeacher } from '../teachers/layers.ts';
import type { Teacher } from '../teachers/teacher.ts';
import { fit, type FitOptions, type FitResult, type TrainStep } from '../train/loop.ts';
import type { OptimizerOptions } from '../train/optimizers.ts';
import { resolveOptimizer } from '../train/train-model.ts';
import type { DistillMethod } from './method.ts';
import { checkCacheAllowed, lookupLogits, type TeacherLogits } from './teacher-cache.ts';
import { modelError, usageError } from '../errors.ts';
import { deriveSeed } from '../random.ts';
import { scheduleValue, type Schedule } from './schedule.ts';

export interface DistillerOptions {
  /** A tfjs LayersModel, or any Teacher (ONNX, graph model, function, server). */
  teacher: LayersModel | Teacher;
  student: LayersModel;
  method: DistillMethod;
  /**
   * Precomputed teacher logits for the training split (see teacher-cache.ts): steps then look
   * rows up instead of running the teacher. Only valid without random augmentation and for
   * methods that tap no teacher layer.
   */
  teacherLogits?: TeacherLogits;
  /** Seed for the method's own variables (default 1). */
  seed?: number;
  /** Per-epoch schedules of the method's numeric parameters (e.g. temperature 8 → 2). */
  schedules?: Record<string, Schedule>;
  /** Label smoothing ε of the hard term (the soft term is left as the teacher gives it). */
  labelSmoothing?: number;
}

export type DistillFitOptions = Partial<
  Omit<FitOptions, 'model' | 'step' | 'train' | 'optimizer'>
> & {
  optimizer?: tf.Optimizer | OptimizerOptions;
};

/** The model's layer named `tap`, or counted from the end for '-1', '-2', … */
export function resolveTap(model: LayersModel, tap: string): tf.layers.Layer {
  if (/^-\d+$/.test(tap)) {
    const layer = model.layers[model.layers.length + Number(tap)];
    if (!layer)
      throw modelError(`${model.name} has ${model.layers.length} layers: no layer ${tap}`);
    return layer;
  }
  const layer = model.layers.find((l) => l.name === tap);
  if (!layer) {
    throw modelError(
      `${model.name} has no layer '${tap}' (its layers: ${model.layers.map((l) => l.name).join(', ')})`,
    );
  }
  return layer;
}

/** A model with the same weights whose outputs are [...tapped layer outputs, logits]. */
export function featureExtractor(model: LayersModel, taps: string[]): LayersModel {
  const outputs = taps.map((t) => resolveTap(model, t).output as tf.SymbolicTensor);
  return tf.model({ inputs: model.inputs, outputs: [...outputs, model.outputs[0]] });
}

const shapeOf = (layer: tf.layers.Layer) =>
  ((layer.outputShape as number[]).slice(1) as (number | null)[]).map((d) => d ?? -1);

/** Checks that a teacher and a student agree on classes and input shape (before any training). */
export function checkTeacherStudent(teacher: Teacher, student: LayersModel): void {
  const s = outputSize(student, 'student');
  if (teacher.classes !== s) {
    throw modelError(
      `teacher outputs ${teacher.classes} classes but student outputs ${s}: both must predict the same classes`,
    );
  }
  const si = inputShapeOf(student).join('×');
  const ti = teacher.dataShape?.join('×');
  if (ti !== undefined && ti !== si)
    throw modelError(`teacher input ${ti} differs from student input ${si}`);
}

export class Distiller {
  readonly teacher: Teacher;
  readonly student: LayersModel;
  readonly method: DistillMethod;
  readonly teacherLogits?: TeacherLogits;
  /** The method's own trainable variables (empty for logit methods). */
  readonly variables: Record<string, Variable>;
  readonly schedules: Record<string, Schedule>;
  readonly labelSmoothing: number;
  private readonly studentExtractor?: LayersModel;
  private readonly teacherExtractor?: LayersModel;

  constructor(options: DistillerOptions) {
    this.teacher = asTeacher(options.teacher);
    checkTeacherStudent(this.teacher, options.student);
    this.student = options.student;
    this.method = options.method;
    this.teacherLogits = options.teacherLogits;
    this.schedules = options.schedules ?? {};
    this.labelSmoothing = options.labelSmoothing ?? 0;
    const taps = options.method.taps;
    const teacherModel = this.teacher.model;
    if (taps && (taps.student.length > 0 || taps.teacher.length > 0)) {
      if (taps.teacher.length > 0 && !teacherModel) {
        throw usageError(
          `method ${options.method.name} taps teacher layers, but a ${this.teacher.kind} teacher offers only logits: use a logit method (e.g. kd) or a tfjs Layers teacher`,
        );
      }
      if (options.teacherLogits && taps.teacher.length > 0) {
        throw usageError(
          `method ${options.method.name} taps teacher layers: cached teacher logits cannot serve it (use --teacher-cache off)`,
        );
      }
      this.studentExtractor = featureExtractor(this.student, taps.student);
      if (teacherModel) this.teacherExtractor = featureExtractor(teacherModel, taps.teacher);
    }
    this.variables =
      options.method.createVariables?.(
        {
          student: (taps?.student ?? []).map((t) => shapeOf(resolveTap(this.student, t))),
          teacher: (taps?.teacher ?? []).map((t) => shapeOf(resolveTap(teacherModel!, t))),
        },
        deriveSeed(options.seed ?? 1, 'method-variables'),
      ) ?? {};
  }

  /** The method with its scheduled parameters at `epoch` of `epochs`. */
  methodAt(epoch: number, epochs: number): DistillMethod {
    if (Object.keys(this.schedules).length === 0) return this.method;
    const values = Object.fromEntries(
      Object.entries(this.schedules).map(([k, s]) => [k, scheduleValue(s, epoch, epochs)]),
    );
    return this.method.withParams(values);
  }

  /** One training step's computation, for the shared loop. */
  trainStep(): TrainStep {
    let current = { epoch: 0, method: this.method };
    const nTeacher = this.method.taps?.teacher.length ?? 0;
    const nStudent = this.method.taps?.student.length ?? 0;
    return {
      variables: Object.values(this.variables),
      metrics: this.method.metrics
        ? (context) =>
            this.methodAt(context.epoch, context.epochs).metrics?.({
              variables: this.variables,
              context,
            }) ?? {}
        : undefined,
      prepare: (batch) => {
        if (this.teacherLogits)
          return { teacherLogits: lookupLogits(this.teacherLogits, batch.indices) };
        if (!this.teacherExtractor) {
          const model = this.teacher.model;
          // A Layers teacher runs synchronously; any other kind (ONNX, server) is awaited.
          if (model) return { teacherLogits: tf.tidy(() => model.predict(batch.x) as Tensor) }; // [batch, classes]
          return this.teacher.logits(batch.x).then((teacherLogits) => ({ teacherLogits }));
        }
        const outputs = this.teacherExtractor.predict(batch.x) as Tensor[]; // [...features, logits]
        return Object.fromEntries(
          outputs.map((t, i) => [i === nTeacher ? 'teacherLogits' : `teacherFeature${i}`, t]),
        );
      },
      terms: (batch, prepared, context) => {
        let studentLogits: Tensor;
        let studentFeatures: Tensor[] = [];
        if (this.studentExtractor) {
          const outputs = this.studentExtractor.apply(batch.x, { training: true }) as Tensor[];
          studentFeatures = outputs.slice(0, nStudent);
          studentLogits = outputs[nStudent];
        } else {
          studentLogits = this.student.apply(batch.x, { training: true }) as Tensor; // [batch, classes]
        }
        if (current.epoch !== context.epoch) {
          current = { epoch: context.epoch, method: this.methodAt(context.epoch, context.epochs) };
        }
        return current.method.losses({
          studentLogits,
          teacherLogits: prepared.teacherLogits,
          labels: batch.labels,
          studentFeatures,
          teacherFeatures: Array.from(
            { length: nTeacher },
            (_, i) => prepared[`teacherFeature${i}`],
          ),
          variables: this.variables,
          context,
          labelSmoothing: this.labelSmoothing,
        });
      },
    };
  }

  /** Distils the teacher into the student on `data` (defaults: 10 epochs, batch 128, seed 1, Adam 1e-3). */
  async fit(data: Split, options: DistillFitOptions = {}): Promise<FitResult> {
    const { optimizer, ...rest } = options;
    if (this.teacherLogits) {
      if (this.teacherLogits.count !== data.count) {
        throw usageError(
          `cached teacher logits cover ${this.teacherLogits.count} examples but the training split has ${data.count}: compute them on the same split`,
        );
      }
      checkCacheAllowed(options.shiftPixels ?? 0);
    }
    return fit({
      epochs: 10,
      batchSize: 128,
      seed: 1,
      inputShape: inputShapeOf(this.student),
      ...rest,
      model: this.student,
      train: data,
      step: this.trainStep(),
      optimizer: resolveOptimizer(optimizer),
    });
  }

  /** Frees the method's variables (the models belong to the caller). */
  dispose(): void {
    tf.dispose(Object.values(this.variables));
  }
}
