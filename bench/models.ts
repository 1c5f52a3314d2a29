// The benchmark's models, described once as data: layer shapes give the tfjs model, the training
// FLOPs per sample, and the GEMM shapes one training step needs (for the OpenBLAS ceiling).
// FLOPs count multiply-adds as 2 and leave out elementwise work, bias, pooling and the optimizer.
import type { LayersModel } from '@tensorflow/tfjs';
import { tf } from '../src/tf.ts';
import { modelFactories, parseArch } from '../src/models/index.ts';

export type Layer =
  | { kind: 'dense'; units: number; activation?: 'relu' }
  | { kind: 'conv'; filters: number; kernel: number; activation?: 'relu'; padding?: 'same' }
  | { kind: 'maxPool'; size: number };

export interface BenchModel {
  name: string;
  description: string;
  input: number[]; // per sample, e.g. [784] or [28, 28, 1]
  layers: Layer[];
  batch: number;
  /** Built from this architecture spec (src/models, as `--student-arch`) instead of `layers`. */
  arch?: string;
}

export const benchModels: BenchModel[] = [
  {
    name: 'teacher-mlp',
    description: 'teacher MLP 784-1200-1200-10, batch 128, Adam',
    input: [784],
    layers: [
      { kind: 'dense', units: 1200, activation: 'relu' },
      { kind: 'dense', units: 1200, activation: 'relu' },
      { kind: 'dense', units: 10 },
    ],
    batch: 128,
  },
  {
    name: 'student-mlp',
    description: 'student MLP 784-800-800-10, batch 128, Adam',
    input: [784],
    layers: [
      { kind: 'dense', units: 800, activation: 'relu' },
      { kind: 'dense', units: 800, activation: 'relu' },
      { kind: 'dense', units: 10 },
    ],
    batch: 128,
  },
  {
    name: 'cnn',
    description:
      'CNN 28x28x1: conv3x3·32 relu, maxpool2, conv3x3·64 relu, maxpool2, dense 128 relu, dense 10 (valid padding), batch 128, Adam',
    input: [28, 28, 1],
    layers: [
      { kind: 'conv', filters: 32, kernel: 3, activation: 'relu' },
      { kind: 'maxPool', size: 2 },
      { kind: 'conv', filters: 64, kernel: 3, activation: 'relu' },
      { kind: 'maxPool', size: 2 },
      { kind: 'dense', units: 128, activation: 'relu' },
      { kind: 'dense', units: 10 },
    ],
    batch: 128,
  },
];

/**
 * The CNN students image-folder runs train (`--student-arch cnn:32-64:128`: 3×3 'same' convs with
 * ReLU and 2×2 max pools, dense 128, 10 classes), on 32×32 and 64×64 RGB, for bench/cnn.ts.
 */
function cnnStudent(size: number, batch: number): BenchModel {
  return {
    name: `cnn-${size}`,
    description: `student cnn:32-64:128 on ${size}×${size}×3, batch ${batch}, Adam`,
    input: [size, size, 3],
    arch: 'cnn:32-64:128',
    layers: [
      { kind: 'conv', filters: 32, kernel: 3, activation: 'relu', padding: 'same' },
      { kind: 'maxPool', size: 2 },
      { kind: 'conv', filters: 64, kernel: 3, activation: 'relu', padding: 'same' },
      { kind: 'maxPool', size: 2 },
      { kind: 'dense', units: 128, activation: 'relu' },
      { kind: 'dense', units: 10 },
    ],
    batch,
  };
}

export const cnnStudentModels: BenchModel[] = [cnnStudent(32, 128), cnnStudent(64, 64)];

/** A bench model by name from either list. */
export function findBenchModel(name: string): BenchModel | undefined {
  return [...benchModels, ...cnnStudentModels].find((m) => m.name === name);
}

export function buildModel(model: BenchModel): LayersModel {
  if (model.arch) {
    const { kind, args } = parseArch(model.arch);
    return modelFactories[kind](args, { inputShape: model.input, classes: 10, seed: 1 });
  }
  const layers: tf.layers.Layer[] = [];
  let first = true;
  let flattened = model.input.length === 1;
  for (const layer of model.layers) {
    const inputShape = first ? { inputShape: model.input } : {};
    first = false;
    if (layer.kind === 'dense' && !flattened) {
      layers.push(tf.layers.flatten());
      flattened = true;
    }
    if (layer.kind === 'dense') {
      layers.push(
        tf.layers.dense({ ...inputShape, units: layer.units, activation: layer.activation }),
      );
    } else if (layer.kind === 'conv') {
      layers.push(
        tf.layers.conv2d({
          ...inputShape,
          filters: layer.filters,
          kernelSize: layer.kernel,
          activation: layer.activation,
        }),
      );
    } else {
      layers.push(tf.layers.maxPooling2d({ ...inputShape, poolSize: layer.size }));
    }
  }
  return tf.sequential({ layers });
}

/** One sgemm of a training step: C[m,n] = op(A)·op(B), inner dimension k. */
export interface Gemm {
  m: number;
  n: number;
  k: number;
  transposeA: boolean;
  transposeB: boolean;
}

/**
 * The GEMMs of one training step as the native backend issues them (dense: forward, dW, dX;
 * conv as im2col: forward, dW, dX), the first layer without dX.
 */
export function trainingGemms(model: BenchModel): Gemm[] {
  const gemms: Gemm[] = [];
  let shape = [...model.input]; // per sample
  let first = true;
  for (const layer of model.layers) {
    if (layer.kind === 'maxPool') {
      shape = [Math.floor(shape[0] / layer.size), Math.floor(shape[1] / layer.size), shape[2]];
      continue;
    }
    if (layer.kind === 'dense') {
      const inputs = shape.reduce((a, b) => a * b, 1);
      const b = model.batch;
      gemms.push({ m: b, n: layer.units, k: inputs, transposeA: false, transposeB: false });
      gemms.push({ m: inputs, n: layer.units, k: b, transposeA: true, transposeB: false });
      if (!first)
        gemms.push({ m: b, n: inputs, k: layer.units, transposeA: false, transposeB: true });
      shape = [layer.units];
    } else {
      const [h, w, c] = shape;
      const outH = layer.padding === 'same' ? h : h - layer.kernel + 1;
      const outW = layer.padding === 'same' ? w : w - layer.kernel + 1;
      const rows = model.batch * outH * outW;
      const k = layer.kernel * layer.kernel * c;
      gemms.push({ m: rows, n: layer.filters, k, transposeA: false, transposeB: false });
      gemms.push({ m: k, n: layer.filters, k: rows, transposeA: true, transposeB: false });
      if (!first)
        gemms.push({ m: rows, n: k, k: layer.filters, transposeA: false, transposeB: true });
      shape = [outH, outW, layer.filters];
    }
    first = false;
  }
  return gemms;
}

/** Training FLOPs per step (all GEMMs). */
export function trainingFlops(model: BenchModel): number {
  return trainingGemms(model).reduce((sum, g) => sum + 2 * g.m * g.n * g.k, 0);
}

/** Forward-pass FLOPs per step (the untransposed GEMMs). */
export function forwardFlops(model: BenchModel): number {
  return trainingGemms(model)
    .filter((g) => !g.transposeA && !g.transposeB)
    .reduce((sum, g) => sum + 2 * g.m * g.n * g.k, 0);
}
