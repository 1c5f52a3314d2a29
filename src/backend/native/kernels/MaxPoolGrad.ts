// MaxPoolGrad: float32 NHWC; each window's dy goes to its first maximal pixel (recomputed from the
// input, as the cpu kernel does). Other dtypes use the cpu kernel.
import type { KernelConfig } from '@tensorflow/tfjs';
import { tf } from '../../../tf.ts';
import { convGeometry, poolInfo, type PoolAttrs } from './conv.ts';
import { cpuKernel, floatOutput, floatValues, kernelArgs, sizeOf } from './shared.ts';

export const maxPoolGradConfig: KernelConfig = {
  kernelName: tf.MaxPoolGrad,
  backendName: 'native',
  kernelFunc: (args) => {
    const { inputs, backend, attrs } = kernelArgs(args);
    const { dy, input } = inputs;
    const dyValues = floatValues(backend, dy);
    const xValues = floatValues(backend, input);
    if (!dy || !input || !dyValues || !xValues || input.shape.length !== 4) {
      return cpuKernel(tf.MaxPoolGrad)(args);
    }
    const info = poolInfo(input, attrs as unknown as PoolAttrs);
    // The tfjs gradient drops dimRoundingMode, so dy can be larger than the geometry says; the
    // cpu kernel then reads dy with its own strides. Leave that case to it.
    if (!tf.util.arraysEqual(dy.shape, info.outShape)) return cpuKernel(tf.MaxPoolGrad)(args);
    const dx = backend.allocFloat32(sizeOf(input.shape)); // [batch, inH, inW, channels]
    backend.addon.maxPoolGrad(dyValues, xValues, dx, convGeometry(info));
    return floatOutput(backend, input.shape.slice(), dx);
  },
};
