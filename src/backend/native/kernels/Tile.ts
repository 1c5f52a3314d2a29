// Tile: float32 N-d repetition by typed-array copies, one output row (the last dimension, repeated)
// at a time. The cpu kernel goes element by element through TensorBuffer index arithmetic, ~50×
// slower: gray → RGB in a teacher's preprocessing (tile [b, h, w, 1] by [1, 1, 1, 3]) was most of
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
  const n = shape[rank - 1];
  const m = reps[rank - 1];
  const outShape = shape.map((d, i) => d * reps[i]);
  const rows = sizeOf(outShape.slice(0, -1));
  const rowStrides = new Array<number>(rank - 1); // input rows per step of each outer dimension
  for (let d = rank - 2, s = 1; d >= 0; d--) {
    rowStrides[d] = s;
    s *= shape[d];
  }
  // Repeats on the last dimension only (gray → RGB): output row r reads input row r.
  const lastOnly = reps.slice(0, -1).every((r) => r === 1);
  const index = new Array<number>(rank - 1).fill(0); // output coordinates of the row
  let o = 0;
  for (let row = 0; row < rows; row++) {
    let src = row;
    if (!lastOnly) {
      src = 0;
      for (let d = 0; d < rank - 1; d++) src += (index[d] % shape[d]) * rowStrides[d];
    }
    src *= n;
    for (let j = 0; j < m; j++) {
      if (n >= 64) {
        out.set(x.subarray(src, src + n), o);
        o += n;
      } else if (n === 1) {
        out[o++] = x[src];
      } else {
        for (let k = 0; k < n; k++) out[o++] = x[src + k];
      }
    }
    for (let d = rank - 2; d >= 0 && !lastOnly; d--) {
      if (++index[d] < outShape[d]) break;
      index[d] = 0;
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
