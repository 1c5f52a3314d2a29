// GatherV2: float32 rows copied in C++ (native/src/gather.cc), the forward of every embedding
// layer. The cpu kernel computes each output element's source through TensorBuffer index
// arithmetic, ~80 ms for one batch of 128×128 tokens × 64 dims. Same checks and message as the
// cpu kernel (an index outside [0, axis size) throws); other dtypes use the cpu kernel (reference).
import type { KernelConfig, TensorInfo } from '@tensorflow/tfjs';
import { tf } from '../../../tf.ts';
import { cpuKernel, floatOutput, floatValues, kernelArgs, sizeOf } from './shared.ts';

export const gatherV2Config: KernelConfig = {
  kernelName: tf.GatherV2,
  backendName: 'native',
  kernelFunc: (args) => {
    const { inputs, backend, attrs } = kernelArgs(args);
    const { x, indices } = inputs;
    const values = floatValues(backend, x);
    const ids = indices ? backend.data.get(indices.dataId).values : undefined;
    if (!x || !indices || !values || !(ids instanceof Int32Array))
      return cpuKernel(tf.GatherV2)(args);
    const axis = tf.util.parseAxisParam(attrs.axis as number, x.shape)[0];
    const info = tf.backend_util.segment_util.collectGatherOpShapeInfo(
      x as TensorInfo as tf.Tensor,
      indices as TensorInfo as tf.Tensor,
      axis,
      (attrs.batchDims as number | undefined) ?? 0,
    );
    const out = backend.allocFloat32(sizeOf(info.outputShape)); // [...x before axis, ...indices, ...x after]
    const { batchSize, outerSize, dimSize, sliceSize } = info;
    const bad = backend.addon.gather(values, ids, out, batchSize, outerSize, dimSize, sliceSize);
    if (bad >= 0) {
      backend.releaseFloat32(out);
      throw new Error(`GatherV2: the index value ${ids[bad]} is not in [0, ${dimSize - 1}]`);
    }
    return floatOutput(backend, info.outputShape, out);
  },
};
