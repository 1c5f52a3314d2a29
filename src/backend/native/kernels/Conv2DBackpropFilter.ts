// Conv2DBackpropFilter: float32 NHWC filter gradient as im2col(x)ᵀ · dy summed over the batch
// (sgemm); NCHW and other dtypes use the cpu kernel.
import type { KernelConfig } from '@tensorflow/tfjs';
import { tf } from '../../../tf.ts';
import { convGeometry, type ConvAttrs } from './conv.ts';
import { cpuKernel, floatOutput, floatValues, kernelArgs, sizeOf } from './shared.ts';

export const conv2DBackpropFilterConfig: KernelConfig = {
  kernelName: tf.Conv2DBackpropFilter,
  backendName: 'native',
  kernelFunc: (args) => {
    const { inputs, backend, attrs } = kernelArgs(args);
    const { x, dy } = inputs;
    const conv = attrs as unknown as ConvAttrs & { filterShape: [number, number, number, number] };
    const xValues = floatValues(backend, x);
    const dyValues = floatValues(backend, dy);
    if (!x || !dy || !xValues || !dyValues || conv.dataFormat === 'NCHW') {
      return cpuKernel(tf.Conv2DBackpropFilter)(args);
    }
    const info = tf.backend_util.computeConv2DInfo(
      x.shape as [number, number, number, number],
      conv.filterShape,
      conv.strides,
      1,
      conv.pad,
      conv.dimRoundingMode,
      false,
      'channelsLast',
    );
    if (!tf.util.arraysEqual(dy.shape, info.outShape))
      return cpuKernel(tf.Conv2DBackpropFilter)(args);
    const dw = backend.allocFloat32(sizeOf(conv.filterShape)); // [fH, fW, inC, outC]
    backend.addon.conv2dBackpropFilter(xValues, dyValues, dw, convGeometry(info));
    return floatOutput(backend, conv.filterShape.slice(), dw);
  },
};
