// Tile: float32 N-d repetition by typed-array copies: each input row (the last dimension) once,
// repeated along it, then every outer repetition by doubling copyWithin of whole blocks (the
// broadcast of a Mean gradient, [128, 1, 64] → [128, 128, 64], is ~900 block copies). The cpu
// kernel goes element by element through TensorBuffer index arithmetic, ~50× slower: gray → RGB in a teacher's preprocessing (tile [b, h, w, 1] by [1, 1, 1, 3]) was most of
// the labelling time. Other dtypes use the cpu kernel; the cpu kernel is the reference.
import type { KernelConfig } from '@tensorflow/tfjs';
import { tf } from '../../../tf.ts';
import { cpuKernel, floatOutput, floatValues, kernelArgs, sizeOf } from './shared.ts';

/** out[outShape] = x tiled `reps` times along each dimension (reps.length === shape.length). */
export function tileValues(x: Float32Array, shape: number[], reps: number[], out: Float32Array) {
  const rank = shape.length;
  if (rank === 0) {
    if (out.length > 0) out[0] = x[0];
    return;
  }
  if (out.length === 0) return;
  const n = shape[rank - 1];
  const m = reps[rank - 1];
  const outShape = shape.map((d, i) => d * reps[i]);
  const outStrides = new Array<number>(rank); // elements per step of each output dimension
  for (let d = rank - 1, s = 1; d >= 0; d--) {
    outStrides[d] = s;
    s *= outShape[d];
  }
  // 1. Each input row (the last dimension), repeated m times, where the first copy of every outer
  //    dimension puts it.
  const rows = sizeOf(shape.slice(0, -1));
  const index = new Array<number>(rank - 1).fill(0); // input coordinates of the row
  for (let row = 0, src = 0; row < rows; row++, src += n) {
    let o = 0;
    for (let d = 0; d < rank - 1; d++) o += index[d] * outStrides[d];
    for (let j = 0; j < m; j++, o += n) {
      if (n >= 64) out.set(x.subarray(src, src + n), o);
      else if (n === 1) out[o] = x[src];
      else for (let k = 0; k < n; k++) out[o + k] = x[src + k];
    }
    for (let d = rank - 2; d >= 0; d--) {
      if (++index[d] < shape[d]) break;
      index[d] = 0;
    }
  }
  // 2. From the innermost outer dimension out: the first copy of each block (shape[d] steps of
  //    dimension d, already complete) is doubled into the reps[d] - 1 copies after it. Only the
  //    first copies of the dimensions before d are written yet, so only those are visited.
  for (let d = rank - 2; d >= 0; d--) {
    if (reps[d] === 1) continue;
    const block = shape[d] * outStrides[d];
    const total = block * reps[d];
    const outer = sizeOf(shape.slice(0, d));
    const at = new Array<number>(d).fill(0);
    for (let b = 0; b < outer; b++) {
      let base = 0;
      for (let e = 0; e < d; e++) base += at[e] * outStrides[e];
      for (let done = block; done < total; done *= 2)
        out.copyWithin(base + done, base, base + Math.min(done, total - done));
      for (let e = d - 1; e >= 0; e--) {
        if (++at[e] < shape[e]) break;
        at[e] = 0;
      }
    }
  }
}

export const tileConfig: KernelConfig = {
  kernelName: tf.Tile,
  backendName: 'native',
  kernelFunc: (args) => {
    const { inputs, backend, attrs } = kernelArgs(args);
    const { x } = inputs;
    const values = floatValues(backend, x);
    const reps = attrs.reps as number[];
    if (!x || !values || reps.length !== x.shape.length) return cpuKernel(tf.Tile)(args);
    const outShape = x.shape.map((d, i) => d * reps[i]);
    const out = backend.allocFloat32(sizeOf(outShape)); // [...shape[i] * reps[i]]
    tileValues(values, x.shape, reps, out);
    return floatOutput(backend, outShape, out);
  },
};
