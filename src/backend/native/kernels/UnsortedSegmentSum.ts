// UnsortedSegmentSum: float32 scatter-add in C++ (native/src/gather.cc), the gradient of gather,
// so of every embedding. The stock cpu kernel makes one masked pass over the whole input per
// segment (O(segments × input)); this is one pass. Ids outside [0, numSegments) are dropped, as
// the stock kernel does. 1-D segment ids only (what gather's gradient passes); anything else and
// other dtypes go to the cpu kernel, whose stock version is the reference (gather.test.ts).
import type { KernelConfig } from '@tensorflow/tfjs';
import { tf } from '../../../tf.ts';
import { cpuKernel, floatOutput, floatValues, kernelArgs, sizeOf } from './shared.ts';

export const unsortedSegmentSumConfig: KernelConfig = {
  kernelName: tf.UnsortedSegmentSum,
  backendName: 'native',
  kernelFunc: (args) => {
    const { inputs, backend, attrs } = kernelArgs(args);
    const { x, segmentIds } = inputs;
    const values = floatValues(backend, x);
    const ids = segmentIds ? backend.data.get(segmentIds.dataId).values : undefined;
    if (
      !x ||
      !segmentIds ||
      !values ||
      !(ids instanceof Int32Array) ||
      segmentIds.shape.length !== 1
    )
      return cpuKernel(tf.UnsortedSegmentSum)(args);
    const numSegments = attrs.numSegments as number;
    const rest = x.shape.slice(1);
    const out = backend.allocFloat32(numSegments * sizeOf(rest)); // [numSegments, ...rest]
    backend.addon.segmentSum(values, ids, out, numSegments, sizeOf(rest));
    return floatOutput(backend, [numSegments, ...rest], out);
  },
};
