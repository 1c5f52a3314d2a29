// Model factories by name, architecture specs ("mlp:1200-1200", "cnn:32-64:128") and model facts
// (parameters, weight bytes, output size). Any saved tfjs LayersModel folder works as a spec too.
import type { LayersModel } from '../tf.ts';
import { modelError, usageError } from '../errors.ts';
import { isModelDir, loadModel } from './io.ts';
import { createCnn } from './cnn.ts';
import { createMlp } from './mlp.ts';
import type { InputSpec } from '../data/spec.ts';
import {
  createBiGru,
  createBiLstm,
  createEmbeddingBag,
  createTextCnn,
  createTransformer,
} from './text.ts';
import { createMobileNet } from './mobilenet.ts';

export interface BuildOptions {
  inputShape: number[];
  classes: number;
  dropout?: number;
  inputDropout?: number;
  seed?: number;
  name?: string;
  /** The dataset's input (text models read the tokenizer's vocabulary size from it). */
  input?: InputSpec;
}

/** name → factory from a parsed spec. A new architecture adds one entry. */
export const modelFactories = {
  /** mlp:<hidden>-<hidden>-… e.g. mlp:1200-1200; `mlp:` is logistic regression. */
  mlp: (args: number[][], o: BuildOptions) => createMlp({ ...o, hidden: args[0] ?? [] }),
  /** cnn:<filters>-…:<dense>-… e.g. cnn:32-64:128 */
  cnn: (args: number[][], o: BuildOptions) =>
    createCnn({ ...o, filters: args[0] ?? [32, 64], dense: args[1] ?? [128] }),
  /** Text (token ids), see text.ts: embbag:<dim>[:<hidden>] e.g. embbag:16 */
  embbag: createEmbeddingBag,
  /** textcnn:<dim>:<filters>:<widths> e.g. textcnn:32:64:3-4-5 (Kim 2014) */
  textcnn: createTextCnn,
  /** bigru:<dim>:<units>[:<hidden>] e.g. bigru:32:32 (Tang et al. 2019) */
  bigru: createBiGru,
  bilstm: createBiLstm,
  /** transformer:<layers>:<dim>-<heads>-<ffn> e.g. transformer:2:128-4-256 */
  transformer: createTransformer,
  /** mobilenet:<stem>-<block>-…:<dense>-… e.g. mobilenet:32-64-128 (depthwise-separable blocks) */
  mobilenet: (args: number[][], o: BuildOptions) =>
    createMobileNet({ ...o, filters: args[0] ?? [32, 64, 128], dense: args[1] ?? [] }),
} satisfies Record<string, (args: number[][], o: BuildOptions) => LayersModel>;

export type ArchKind = keyof typeof modelFactories;

/** Parses "kind:a-b:c" into kind and integer lists; throws a usage error naming the problem. */
export function parseArch(spec: string): { kind: ArchKind; args: number[][] } {
  const [kind, ...groups] = spec.split(':');
  if (!Object.hasOwn(modelFactories, kind)) {
    throw usageError(
      `unknown architecture '${spec}': use ${Object.keys(modelFactories)
        .map((k) => `'${k}:…'`)
        .join(
          ' or ',
        )} (e.g. mlp:1200-1200, cnn:32-64:128, mobilenet:32-64-128) or a saved model folder`,
    );
  }
  const args = groups.map((g) =>
    g === ''
      ? []
      : g.split('-').map((n) => {
          const v = Number(n);
          if (!Number.isInteger(v) || v <= 0) {
            throw usageError(`architecture '${spec}': '${n}' is not a positive integer layer size`);
          }
          return v;
        }),
  );
  return { kind: kind as ArchKind, args };
}

/** Builds a fresh model from a spec, or loads it if the spec is a saved model folder. */
export async function buildModel(spec: string, options: BuildOptions): Promise<LayersModel> {
  if (isModelDir(spec)) return loadModel(spec);
  const { kind, args } = parseArch(spec);
  return modelFactories[kind](args, options);
}

export function parameterCount(model: LayersModel): number {
  return model.countParams();
}

/** Bytes of the model's weights as stored (float32 → 4 bytes each). */
export function weightBytes(model: LayersModel): number {
  return model.weights.reduce(
    (sum, w) => sum + (w.shape as number[]).reduce((a, b) => a * b, 1) * 4,
    0,
  );
}

/** Number of outputs per example; throws if the model is not a single [batch, k] output. */
export function outputSize(model: LayersModel, role: string): number {
  const shape = model.outputs[0]?.shape;
  if (model.outputs.length !== 1 || !shape || shape.length !== 2 || typeof shape[1] !== 'number') {
    throw modelError(
      `${role} must have one output of shape [batch, classes], got ${JSON.stringify(model.outputs.map((o) => o.shape))}`,
    );
  }
  return shape[1];
}

/** Input shape without the batch dimension. */
export function inputShapeOf(model: LayersModel): number[] {
  return (model.inputs[0].shape.slice(1) as number[]).map((d) => d ?? -1);
}

/** Checks that teacher and student agree on input and output sizes (before any training). */
export function checkCompatible(teacher: LayersModel, student: LayersModel): void {
  const t = outputSize(teacher, 'teacher');
  const s = outputSize(student, 'student');
  if (t !== s) {
    throw modelError(
      `teacher outputs ${t} classes but student outputs ${s}: both must predict the same classes`,
    );
  }
  const ti = inputShapeOf(teacher).join('×');
  const si = inputShapeOf(student).join('×');
  if (ti !== si) throw modelError(`teacher input ${ti} differs from student input ${si}`);
}

export { createMlp, createCnn, createMobileNet };
export type { MlpOptions } from './mlp.ts';
export type { CnnOptions } from './cnn.ts';
export type { MobileNetOptions } from './mobilenet.ts';
