// Slice: float32 strided slices by typed-array copies, one contiguous run (the innermost sliced
// dimension with every whole dimension after it) at a time. The cpu kernel copies a strided slice
// element by element through TensorBuffer index arithmetic (~1 µs per element); contiguous slices
// stay the cpu kernel's (a view, no copy), as do other dtypes. The cpu kernel is the reference.
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import { tf } from '../../../tf.ts';
import { cpuKernel, floatOutput, floatValues, kernelArgs, sizeOf } from './shared.ts';

/** out[size] = x[shape] from `begin`; begin/size already parsed and valid. */
export function sliceValues(
  x: Float32Array,
  shape: number[],
  begin: number[],
  size: number[],
  out: Float32Array,
): void {
  const rank = shape.length;
  const strides = new Array<number>(rank);
  for (let d = rank - 1, s = 1; d >= 0; d--) {
    strides[d] = s;
    s *= shape[d];
  }
  let k = rank - 1; // innermost dimension that is cut; all after it are whole
  while (k > 0 && size[k] === shape[k]) k--;
  const run = size[k] * strides[k];
  const rows = sizeOf(size.slice(0, k));
  if (run === 0 || rows === 0) return;
  const index = new Array<number>(k).fill(0);
  let o = 0;
  for (let row = 0; row < rows; row++) {
    let src = begin[k] * strides[k];
    for (let d = 0; d < k; d++) src += (begin[d] + index[d]) * strides[d];
    if (run >= 16) out.set(x.subarray(src, src + run), o);
    else for (let j = 0; j < run; j++) out[o + j] = x[src + j];
    o += run;
    for (let d = k - 1; d >= 0; d--) {
      if (++index[d] < size[d]) break;
      index[d] = 0;
    }
  }
}

export const sliceKernel: KernelFunc = (args) => {
  const { inputs, backend, attrs } = kernelArgs(args);
  const { x } = inputs;
  const values = floatValues(backend, x);
  if (!x || !values || x.shape.length === 0) return cpuKernel(tf.Slice)(args);
  const xt = x as TensorInfo as tf.Tensor;
  const [begin, size] = tf.slice_util.parseSliceParams(
    xt,
    attrs.begin as number | number[],
    attrs.size as number | number[] | undefined,
  );
  tf.slice_util.assertParamsValid(xt, begin, size);
  if (tf.slice_util.isSliceContinous(x.shape, begin, size)) return cpuKernel(tf.Slice)(args);
  const out = backend.allocFloat32(sizeOf(size)); // [...size]
  sliceValues(values, x.shape, begin, size, out);
  return floatOutput(backend, size, out);
};

export const sliceConfig: KernelConfig = {
  kernelName: tf.Slice,
  backendName: 'native',
  kernelFunc: sliceKernel,
};
