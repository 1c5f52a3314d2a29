// Transpose: float32 N-d permutation in C++ (blocked for the 2-D case); other dtypes use the cpu
// kernel.
import type { KernelConfig } from '@tensorflow/tfjs';
import { tf } from '../../../tf.ts';
import { cpuKernel, floatOutput, floatValues, kernelArgs } from './shared.ts';

export const transposeConfig: KernelConfig = {
  kernelName: tf.Transpose,
  backendName: 'native',
  kernelFunc: (args) => {
    const { inputs, backend, attrs } = kernelArgs(args);
    const { x } = inputs;
    const values = floatValues(backend, x);
    if (!x || !values) return cpuKernel(tf.Transpose)(args);
    const perm = attrs.perm as number[];
    const outShape = perm.map((p) => x.shape[p]);
    const out = backend.allocFloat32(values.length);
    backend.addon.transpose(values, x.shape, perm, out);
    return floatOutput(backend, outShape, out);
  },
};
