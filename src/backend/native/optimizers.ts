// Fused Adam, AdamW and Momentum: subclasses of tfjs' AdamOptimizer / MomentumOptimizer whose
// applyGradients does one native pass per variable (moments and value together) instead of ~15
// tensor ops. Same state, same serialization (getWeights/setWeights), same float32 arithmetic, so
// `optimizer.minimize(...)` works unchanged and matches tf.train.adam step for step.
// When the native backend is not the active one, or a tensor is not float32, they run tfjs' own
// update instead.
import type { Scalar, Tensor, Variable } from '@tensorflow/tfjs';
import { tf } from '../../tf.ts';
import { NativeBackend } from './backend.ts';
import { AdamWOptimizer } from '../../train/optimizers.ts';
import type { WeightDecayExclusion } from '../../train/regularization.ts';

type GradientList = Record<string, Tensor> | { name: string; tensor: Tensor }[];
interface SlotVariable {
  originalName: string;
  variable: Variable;
}
/** The AdamOptimizer fields tfjs declares private. */
interface AdamState {
  accBeta1: Variable;
  accBeta2: Variable;
  accumulatedFirstMoment: SlotVariable[];
  accumulatedSecondMoment: SlotVariable[];
}
/** The MomentumOptimizer / SGDOptimizer fields tfjs declares private or protected. */
interface MomentumState {
  accumulations: SlotVariable[];
  m: Scalar; // momentum as a float32 scalar
  c: Scalar; // -learningRate as a float32 scalar
  useNesterov: boolean;
}

export interface FusedAdamOptions {
  learningRate?: number;
  beta1?: number;
  beta2?: number;
  /** Defaults to the backend's epsilon (1e-7 for float32), as tf.train.adam does. */
  epsilon?: number;
}

export interface FusedAdamWOptions extends FusedAdamOptions {
  weightDecay?: number;
  weightDecayExclude?: WeightDecayExclusion;
}

export interface FusedMomentumOptions {
  learningRate: number;
  momentum: number;
  useNesterov?: boolean;
}

/** The active backend if it is the native one. */
function activeNativeBackend(): NativeBackend | undefined {
  const backend = tf.engine().backend;
  return backend instanceof NativeBackend ? backend : undefined;
}

/** [name, gradient] pairs in the order tfjs uses to index its slot variables. */
function gradientPairs(grads: GradientList): [string, Tensor | undefined][] {
  return Array.isArray(grads)
    ? grads.map((g) => [g.name, g.tensor] as [string, Tensor])
    : Object.keys(grads).map((name) => [name, grads[name]] as [string, Tensor]);
}

function floatData(backend: NativeBackend, t: Tensor): Float32Array | undefined {
  if (t.dtype !== 'float32') return undefined;
  const values = backend.data.get(t.dataId).values; // moves the data here if it lives elsewhere
  return values instanceof Float32Array ? values : undefined;
}

/** All tensors are float32 with Float32Array storage on the native backend. */
function allFloat(backend: NativeBackend, tensors: (Tensor | undefined)[]): boolean {
  return tensors.every((t) => t == null || floatData(backend, t) !== undefined);
}

/**
 * Storage for a slot variable (moment, accumulation) to be updated in place: its own buffer if no
 * other tensor shares it, else a private copy that `commitSlot` assigns afterwards.
 */
function slotBuffer(
  backend: NativeBackend,
  v: Variable,
): { values: Float32Array; shared: boolean } {
  const values = floatData(backend, v) as Float32Array;
  if (backend.refCount(v.dataId) === 1) return { values, shared: false };
  return { values: values.slice(), shared: true };
}

function commitSlot(
  backend: NativeBackend,
  v: Variable,
  slot: { values: Float32Array; shared: boolean },
) {
  if (slot.shared) assignValues(backend, v, slot.values);
}

/**
 * Points `v` at a new buffer. The old one is released, never mutated, so tensors that shared it
 * and arrays returned by an earlier dataSync() keep their values.
 */
function assignValues(backend: NativeBackend, v: Variable, values: Float32Array): void {
  const t = backend.makeOutput(values, v.shape, 'float32');
  v.assign(t);
  t.dispose();
}

function zerosSlot(name: string, value: Variable): SlotVariable {
  return { originalName: name, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) };
}

/**
 * One fused Adam (or AdamW) step over all gradients on the native backend; false (nothing done)
 * when the native backend is not active or a tensor is not float32, so the caller runs tfjs'
 * update instead. `decayFactor(value)` = 1 is plain Adam; otherwise the value is first multiplied
 * by it (AdamW), in the same float32 order as AdamWOptimizer.
 */
function fusedAdamStep(
  optimizer: tf.AdamOptimizer,
  variableGradients: GradientList,
  decayFactor?: (value: Variable) => number,
): boolean {
  const backend = activeNativeBackend();
  const pairs = gradientPairs(variableGradients);
  const variables = tf.engine().registeredVariables;
  const state = optimizer as unknown as AdamState;
  if (
    !backend ||
    !allFloat(backend, [state.accBeta1, state.accBeta2]) ||
    !pairs.every(([name, g]) => allFloat(backend, [variables[name], g]))
  ) {
    return false;
  }
  const f = Math.fround;
  const { beta1, beta2, epsilon, learningRate } = optimizer as unknown as {
    beta1: number;
    beta2: number;
    epsilon: number;
    learningRate: number;
  };
  const accBeta1 = (floatData(backend, state.accBeta1) as Float32Array)[0];
  const accBeta2 = (floatData(backend, state.accBeta2) as Float32Array)[0];
  // The float32 scalars tfjs' update builds: 1 - accBeta, beta, 1 - beta, epsilon, -lr.
  const scalars = [
    f(beta1),
    f(1 - beta1),
    f(beta2),
    f(1 - beta2),
    f(1 - accBeta1),
    f(1 - accBeta2),
    f(epsilon),
    f(-learningRate),
  ] as const;
  pairs.forEach(([name, gradient], i) => {
    const value = variables[name];
    state.accumulatedFirstMoment[i] ??= zerosSlot(`${name}/m`, value);
    state.accumulatedSecondMoment[i] ??= zerosSlot(`${name}/v`, value);
    if (gradient == null) return;
    const m = slotBuffer(backend, state.accumulatedFirstMoment[i].variable);
    const v = slotBuffer(backend, state.accumulatedSecondMoment[i].variable);
    const valueData = floatData(backend, value) as Float32Array;
    const next = backend.allocFloat32(valueData.length);
    const grad = floatData(backend, gradient) as Float32Array;
    const factor = decayFactor?.(value) ?? 1;
    if (factor === 1) {
      backend.addon.adam(valueData, m.values, v.values, grad, next, ...scalars);
    } else {
      backend.addon.adamw(valueData, m.values, v.values, grad, next, ...scalars, factor);
    }
    commitSlot(backend, state.accumulatedFirstMoment[i].variable, m);
    commitSlot(backend, state.accumulatedSecondMoment[i].variable, v);
    assignValues(backend, value, next);
  });
  assignValues(backend, state.accBeta1, new Float32Array([f(accBeta1 * f(beta1))]));
  assignValues(backend, state.accBeta2, new Float32Array([f(accBeta2 * f(beta2))]));
  (optimizer as unknown as { incrementIterations(): void }).incrementIterations();
  return true;
}

export class FusedAdamOptimizer extends tf.AdamOptimizer {
  override applyGradients(variableGradients: GradientList): void {
    if (!fusedAdamStep(this, variableGradients)) super.applyGradients(variableGradients as never);
  }
}

/** AdamW (AdamWOptimizer semantics) with one native pass per variable on the native backend. */
export class FusedAdamWOptimizer extends AdamWOptimizer {
  override applyGradients(variableGradients: GradientList): void {
    if (!fusedAdamStep(this, variableGradients, (value) => this.decayFactor(value))) {
      super.applyGradients(variableGradients as never);
    }
  }
}

export class FusedMomentumOptimizer extends tf.MomentumOptimizer {
  override applyGradients(variableGradients: GradientList): void {
    const backend = activeNativeBackend();
    const pairs = gradientPairs(variableGradients);
    const variables = tf.engine().registeredVariables;
    const state = this as unknown as MomentumState;
    if (
      !backend ||
      !allFloat(backend, [state.m, state.c]) ||
      !pairs.every(([name, g]) => allFloat(backend, [variables[name], g]))
    ) {
      super.applyGradients(variableGradients as never);
      return;
    }
    // tfjs multiplies by its scalar tensors m and c (= -learningRate), not by the JS numbers.
    const momentum = (floatData(backend, state.m) as Float32Array)[0];
    const negLearningRate = (floatData(backend, state.c) as Float32Array)[0];
    pairs.forEach(([name, gradient], i) => {
      const value = variables[name];
      state.accumulations[i] ??= zerosSlot(`${name}/momentum`, value);
      if (gradient == null) return;
      const accumulation = slotBuffer(backend, state.accumulations[i].variable);
      const valueData = floatData(backend, value) as Float32Array;
      const next = backend.allocFloat32(valueData.length);
      backend.addon.momentum(
        valueData,
        accumulation.values,
        floatData(backend, gradient) as Float32Array,
        next,
        momentum,
        negLearningRate,
        state.useNesterov,
      );
      commitSlot(backend, state.accumulations[i].variable, accumulation);
      assignValues(backend, value, next);
    });
    this.incrementIterations();
  }
}

/** An Adam optimizer (tf.train.adam semantics) with a fused native update on the native backend. */
export function createFusedAdam(options: FusedAdamOptions = {}): FusedAdamOptimizer {
  const { learningRate = 0.001, beta1 = 0.9, beta2 = 0.999, epsilon } = options;
  return new FusedAdamOptimizer(learningRate, beta1, beta2, epsilon);
}

/** AdamW (AdamWOptimizer semantics, weight decay default 0.01) with a fused native update. */
export function createFusedAdamW(options: FusedAdamWOptions = {}): FusedAdamWOptimizer {
  const { learningRate = 0.001, weightDecay = 0.01, weightDecayExclude, beta1, beta2 } = options;
  return new FusedAdamWOptimizer(
    learningRate,
    weightDecay,
    weightDecayExclude,
    beta1,
    beta2,
    options.epsilon,
  );
}

/** A momentum optimizer (tf.train.momentum semantics) with a fused native update. */
export function createFusedMomentum(options: FusedMomentumOptions): FusedMomentumOptimizer {
  return new FusedMomentumOptimizer(options.learningRate, options.momentum, options.useNesterov);
}
