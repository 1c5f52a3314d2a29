// AvgPoolGrad: float32 NHWC; dy spread over each window and scaled by 1 / window size (the cpu
// kernel's rule, also at padded borders). Other dtypes use the cpu kernel.
import type { KernelConfig } from '@tensorflow/tfjs';
import { tf } from '../../../tf.ts';
import { convGeometry, poolInfo, type PoolAttrs } from './conv.ts';
import { cpuKernel, floatOutput, floatValues, kernelArgs, sizeOf } from './shared.ts';

export const avgPoolGradConfig: KernelConfig = {
  kernelName: tf.AvgPoolGrad,
  backendName: 'native',
  kernelFunc: (args) => {
    const { inputs, backend, attrs } = kernelArgs(args);
    const { dy, input } = inputs;
    const dyValues = floatValues(backend, dy);
    if (!dy || !input || !dyValues || input.shape.length !== 4 || input.dtype !== 'float32') {
      return cpuKernel(tf.AvgPoolGrad)(args);
    }
    // The cpu kernel ignores dimRoundingMode here; so do we, to agree with it.
    const info = poolInfo(input, attrs as unknown as PoolAttrs, false);
    // dy can disagree with that geometry (rounding modes); the cpu kernel then reads dy with its
    // own strides. Leave that case to it.
    if (!tf.util.arraysEqual(dy.shape, info.outShape)) return cpuKernel(tf.AvgPoolGrad)(args);
    const dx = backend.allocFloat32(sizeOf(input.shape)); // [batch, inH, inW, channels]
    backend.addon.avgPoolGrad(dyValues, dx, convGeometry(info));
    return floatOutput(backend, input.shape.slice(), dx);
  },
};
