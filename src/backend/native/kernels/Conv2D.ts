// Conv2D: float32 NHWC convolution as im2col + OpenBLAS sgemm (any strides, padding, dilation);
// NCHW and other dtypes use the cpu kernel.
import type { KernelConfig } from '@tensorflow/tfjs';
import { tf } from '../../../tf.ts';
import { nativeConv2D, type ConvAttrs } from './conv.ts';
import { cpuKernel, kernelArgs } from './shared.ts';

export const conv2DConfig: KernelConfig = {
  kernelName: tf.Conv2D,
  backendName: 'native',
  kernelFunc: (args) => {
    const { inputs, backend, attrs } = kernelArgs(args);
    const { x, filter } = inputs;
    const result = x && filter && nativeConv2D(backend, x, filter, attrs as unknown as ConvAttrs);
    return result || cpuKernel(tf.Conv2D)(args);
  },
};
