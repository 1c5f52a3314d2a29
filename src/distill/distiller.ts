// The distiller: a frozen teacher, a student and a method. Each step runs the teacher in
// inference mode outside the gradient, then minimises the method's named terms over the
// student's variables only; the teacher is frozen by construction, not by each method.
import { tf, type LayersModel, type Tensor } from '../tf.ts';
import type { Split } from '../data/dataset.ts';
import { checkCompatible, inputShapeOf } from '../models/index.ts';
import { fit, type FitOptions, type FitResult, type TrainStep } from '../train/loop.ts';
import type { OptimizerOptions } from '../train/optimizers.ts';
import { resolveOptimizer } from '../train/train-model.ts';
import type { DistillMethod } from './method.ts';
import { checkCacheAllowed, lookupLogits, type TeacherLogits } from './teacher-cache.ts';
import { usageError } from '../errors.ts';

export interface DistillerOptions {
  teacher: LayersModel;
  student: LayersModel;
  method: DistillMethod;
  /**
   * Precomputed teacher logits for the training split (see teacher-cache.ts): steps then look
   * rows up instead of running the teacher. Only valid without random augmentation.
   */
  teacherLogits?: TeacherLogits;
}

export type DistillFitOptions = Partial<
  Omit<FitOptions, 'model' | 'step' | 'train' | 'optimizer'>
> & {
  optimizer?: tf.Optimizer | OptimizerOptions;
};

export class Distiller {
  readonly teacher: LayersModel;
  readonly student: LayersModel;
  readonly method: DistillMethod;

  constructor(options: DistillerOptions) {
    checkCompatible(options.teacher, options.student);
    this.teacher = options.teacher;
    this.student = options.student;
    this.method = options.method;
    this.teacherLogits = options.teacherLogits;
  }

  readonly teacherLogits?: TeacherLogits;

  /** One training step's computation, for the shared loop. */
  trainStep(): TrainStep {
    return {
      prepare: (batch) => ({
        teacherLogits: this.teacherLogits
          ? lookupLogits(this.teacherLogits, batch.indices) // [batch, classes]
          : tf.tidy(() => this.teacher.predict(batch.x) as Tensor), // [batch, classes]
      }),
      terms: (batch, prepared) =>
        this.method.losses({
          studentLogits: this.student.apply(batch.x, { training: true }) as Tensor, // [batch, classes]
          teacherLogits: prepared.teacherLogits,
          labels: batch.labels,
        }),
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
}
