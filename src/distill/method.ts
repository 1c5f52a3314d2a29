// The contract of a distillation method (after mdistiller): a method is a pure function from the
// step's tensors to named loss terms. The trainer sums the terms without knowing what they are,
// and the CLI, config and report read a method's name, paper, defaults and schema as data.
import type { z } from 'zod';
import type { Scalar, Tensor, Variable } from '../tf.ts';
import type { StepContext } from '../train/loop.ts';

/** What a method sees at each step. The teacher's outputs are computed outside the gradient. */
export interface StepTensors {
  /** [batch, classes], in the gradient tape. */
  studentLogits: Tensor;
  /** [batch, classes], constant for this step (teacher is frozen). */
  teacherLogits: Tensor;
  /** [batch] int32 class indices. */
  labels: Tensor;
  /** Outputs of the student layers named by `taps`, in order: [batch, ...layer shape]. */
  studentFeatures: Tensor[];
  /** Outputs of the teacher layers named by `taps`, in order (constants). */
  teacherFeatures: Tensor[];
  /** The method's own trainable variables (see `createVariables`), by name. */
  variables: Record<string, Variable>;
  /** Where training stands: epoch, progress in [0, 1) — for warm-ups and stage switches. */
  context: StepContext;
  /** Label smoothing ε for the hard term (the recipe's; pass it to crossEntropy). Default 0. */
  labelSmoothing?: number;
}

/**
 * Layers a feature method reads, by layer name or by position from the end as a string
 * ('-2' = the layer before the last). Resolved on any LayersModel by a multi-output extractor
 * that shares the model's weights: models are never rewritten.
 */
export interface Taps {
  student: string[];
  teacher: string[];
}

/** Output shapes (without the batch dimension) of the tapped layers, in `taps` order. */
export interface TapShapes {
  student: number[][];
  teacher: number[][];
}

export interface MethodDefinition<P extends object> {
  /** Registry key and CLI value, e.g. 'kd'. */
  readonly name: string;
  readonly description: string;
  readonly paper?: string;
  readonly defaults: P;
  /** Validates a full parameter object (errors name the key and the allowed values). */
  readonly schema: z.ZodType<P>;
  /**
   * Named parameter sets that reproduce another paper's or library's conventions (e.g. kd's
   * `textbrewer`: no T²). A preset lies over the defaults and under explicit parameters:
   * `factory({ ...definition.presets.textbrewer, ...overrides })`; keys it leaves out keep the
   * method's defaults. Each preset is documented with its source where it is defined.
   */
  readonly presets?: Record<string, Partial<P>>;
  /** Layers whose outputs the method needs besides the logits (feature methods). */
  taps?(params: P): Taps;
  /** Extra trainable variables, e.g. a FitNets regressor; trained with the student. */
  createVariables?(params: P, shapes: TapShapes, seed: number): Record<string, Variable>;
  /** Named loss terms, each already weighted: the training loss is their sum. */
  losses(t: StepTensors, params: P): Record<string, Scalar>;
  /**
   * Auxiliary values logged after each step and averaged per epoch, never added to the loss:
   * e.g. CTKD's learned temperature, DKD's warm-up factor. Computed outside the gradient.
   */
  metrics?(state: MethodState, params: P): Record<string, Scalar>;
}

/** What a method's metrics may read: its own variables (after the update) and the position. */
export interface MethodState {
  variables: Record<string, Variable>;
  context: StepContext;
}

/** A method with its parameters bound: what a Distiller takes. */
export interface DistillMethod<P extends object = object> {
  readonly name: string;
  readonly paper?: string;
  readonly params: P;
  readonly taps?: Taps;
  createVariables?(shapes: TapShapes, seed: number): Record<string, Variable>;
  losses(t: StepTensors): Record<string, Scalar>;
  metrics?(state: MethodState): Record<string, Scalar>;
  /** The same method with some parameters replaced (validated), e.g. by a schedule. */
  withParams(overrides: Partial<P>): DistillMethod<P>;
}

export type MethodFactory<P extends object> = ((params?: Partial<P>) => DistillMethod<P>) & {
  definition: MethodDefinition<P>;
};

/** Turns a definition into a factory `kd({ temperature: 4 })` that validates its parameters. */
export function defineMethod<P extends object>(definition: MethodDefinition<P>): MethodFactory<P> {
  const factory = (params: Partial<P> = {}): DistillMethod<P> => {
    const parsed = definition.schema.safeParse({ ...definition.defaults, ...params });
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new TypeError(
        `${definition.name}: ${issue.path.join('.') || 'params'}: ${issue.message}`,
      );
    }
    const bound = parsed.data;
    return {
      name: definition.name,
      paper: definition.paper,
      params: bound,
      taps: definition.taps?.(bound),
      createVariables: definition.createVariables
        ? (shapes, seed) => definition.createVariables!(bound, shapes, seed)
        : undefined,
      losses: (t) => definition.losses(t, bound),
      metrics: definition.metrics ? (state) => definition.metrics!(state, bound) : undefined,
      withParams: (overrides) => factory({ ...bound, ...overrides }),
    };
  };
  return Object.assign(factory, { definition });
}
