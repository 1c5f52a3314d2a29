// FusedConv2D: float32 NHWC convolution + bias (per channel or scalar) + activation (linear,
// relu, relu6, elu, leakyrelu, sigmoid) in one native call; prelu, NCHW and other dtypes use the
// cpu kernel.
import type { KernelConfig } from '@tensorflow/tfjs';
import { tf } from '../../../tf.ts';
import { activationCodes } from '../binding.ts';
import { nativeConv2D, type ConvAttrs } from './conv.ts';
import { cpuKernel, kernelArgs } from './shared.ts';

export const fusedConv2DConfig: KernelConfig = {
  kernelName: tf.FusedConv2D,
  backendName: 'native',
  kernelFunc: (args) => {
    const { inputs, backend, attrs } = kernelArgs(args);
    const { x, filter, bias, preluActivationWeights } = inputs;
    const activation = activationCodes[(attrs.activation as string | undefined) ?? 'linear'];
    const result =
      x &&
      filter &&
      !preluActivationWeights &&
      activation !== undefined &&
      nativeConv2D(backend, x, filter, attrs as unknown as ConvAttrs, {
        bias,
        activation,
        alpha: Number(attrs.leakyreluAlpha ?? 0),
      });
    return result || cpuKernel(tf.FusedConv2D)(args);
  },
};
