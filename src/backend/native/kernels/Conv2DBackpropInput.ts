// Conv2DBackpropInput: float32 NHWC input gradient as sgemm (dy · filterᵀ) + col2im; NCHW and
// other dtypes use the cpu kernel.
import type { KernelConfig } from '@tensorflow/tfjs';
import { tf } from '../../../tf.ts';
import { convGeometry, type ConvAttrs } from './conv.ts';
import { cpuKernel, floatOutput, floatValues, kernelArgs, sizeOf } from './shared.ts';

export const conv2DBackpropInputConfig: KernelConfig = {
  kernelName: tf.Conv2DBackpropInput,
  backendName: 'native',
  kernelFunc: (args) => {
    const { inputs, backend, attrs } = kernelArgs(args);
    const { dy, filter } = inputs;
    const conv = attrs as unknown as ConvAttrs & { inputShape: [number, number, number, number] };
    const dyValues = floatValues(backend, dy);
    const filterValues = floatValues(backend, filter);
    if (!dy || !filter || !dyValues || !filterValues || conv.dataFormat === 'NCHW') {
      return cpuKernel(tf.Conv2DBackpropInput)(args);
    }
    const info = tf.backend_util.computeConv2DInfo(
      conv.inputShape,
      filter.shape as [number, number, number, number],
      conv.strides,
      1,
      conv.pad,
      conv.dimRoundingMode,
      false,
      'channelsLast',
    );
    // conv2dTranspose can pass a dy whose shape is not the forward output of inputShape; the cpu
    // kernel then reads dy with its own strides. Leave that case to it.
    if (!tf.util.arraysEqual(dy.shape, info.outShape))
      return cpuKernel(tf.Conv2DBackpropInput)(args);
    const dx = backend.allocFloat32(sizeOf(conv.inputShape)); // [batch, inH, inW, inC]
    backend.addon.conv2dBackpropInput(dyValues, filterValues, dx, convGeometry(info));
    return floatOutput(backend, conv.inputShape.slice(), dx);
  },
};
