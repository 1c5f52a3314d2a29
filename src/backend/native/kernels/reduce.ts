// Kernel-function factory for the float32 reductions (Sum, Mean, Max) over any axes. Reduced axes
// that form one contiguous block (after ignoring size-1 dims) are reduced in place as an
// [outer, reduce, inner] view; otherwise x is first transposed (natively) so they come last,
// mirroring the cpu kernels. Other dtypes go to the cpu kernel.
import type { KernelFunc } from '@tensorflow/tfjs';
import { tf } from '../../../tf.ts';
import { cpuKernel, floatOutput, floatValues, kernelArgs, sizeOf } from './shared.ts';

interface ReduceView {
  outer: number;
  reduce: number;
  inner: number;
}

/** [outer, reduce, inner] if the reduced axes are one block in memory, else undefined. */
export function reduceView(
  shape: readonly number[],
  axes: readonly number[],
): ReduceView | undefined {
  const reduced = new Set(axes);
  let first = -1;
  let last = -1;
  for (let d = 0; d < shape.length; d++) {
    if (shape[d] === 1 || !reduced.has(d)) continue;
    if (first < 0) first = d;
    last = d;
  }
  if (first < 0) return { outer: sizeOf(shape), reduce: 1, inner: 1 };
  for (let d = first; d <= last; d++) {
    if (shape[d] !== 1 && !reduced.has(d)) return undefined;
  }
  return {
    outer: sizeOf(shape.slice(0, first)),
    reduce: sizeOf(shape.slice(first, last + 1)),
    inner: sizeOf(shape.slice(last + 1)),
  };
}

export function reduceKernelFunc(kernelName: string, op: number, axisAttr: string): KernelFunc {
  return (args) => {
    const { inputs, backend, attrs } = kernelArgs(args);
    const { x } = inputs;
    const xValues = floatValues(backend, x);
    if (!x || !xValues) return cpuKernel(kernelName)(args);
    const axes = tf.util.parseAxisParam(attrs[axisAttr] as number | number[], x.shape);
    const [outShape] = tf.backend_util.computeOutAndReduceShapes(x.shape, axes);
    const resultShape = attrs.keepDims
      ? tf.backend_util.expandShapeToKeepDim(outShape, axes)
      : outShape;
    const out = backend.allocFloat32(sizeOf(outShape));
    const view = reduceView(x.shape, axes);
    if (view) {
      backend.addon.reduce(op, xValues, out, view.outer, view.reduce, view.inner);
    } else {
      // Several separate reduced blocks: move reduced axes innermost, then reduce rows.
      const perm = tf.backend_util.getAxesPermutation(axes, x.shape.length) as number[];
      const permuted = backend.allocFloat32(xValues.length);
      backend.addon.transpose(xValues, x.shape, perm, permuted);
      const reduce = sizeOf(axes.map((a) => x.shape[a]));
      backend.addon.reduce(op, permuted, out, out.length, reduce, 1);
      backend.releaseFloat32(permuted);
    }
    return floatOutput(backend, resultShape, out);
  };
}
