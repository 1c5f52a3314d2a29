// AvgPool: float32 NHWC average pooling in C++ (mean of the in-bounds pixels, as in the cpu
// kernel); the identity pool (1x1, same shape) and other dtypes use the cpu kernel.
import type { KernelConfig } from '@tensorflow/tfjs';
import { tf } from '../../../tf.ts';
import { convGeometry, isIdentityPool, poolInfo, type PoolAttrs } from './conv.ts';
import { cpuKernel, floatOutput, floatValues, kernelArgs, sizeOf } from './shared.ts';

export const avgPoolConfig: KernelConfig = {
  kernelName: tf.AvgPool,
  backendName: 'native',
  kernelFunc: (args) => {
    const { inputs, backend, attrs } = kernelArgs(args);
    const { x } = inputs;
    const xValues = floatValues(backend, x);
    if (!x || !xValues || x.shape.length !== 4) return cpuKernel(tf.AvgPool)(args);
    const info = poolInfo(x, attrs as unknown as PoolAttrs);
    if (isIdentityPool(info)) return cpuKernel(tf.AvgPool)(args);
    const out = backend.allocFloat32(sizeOf(info.outShape)); // [batch, outH, outW, channels]
    backend.addon.pool(1, xValues, out, convGeometry(info));
    return floatOutput(backend, info.outShape, out);
  },
};
