// Softmax: float32 along the last axis, one fused pass per row in C++ (max, exp, sum, divide).
// Other axes (which the cpu kernel rejects too) and other dtypes use the cpu kernel.
// tfjs 4.22 has no LogSoftmax kernel: tf.logSoftmax is composed of Max/Sub/Exp/Sum/Log ops.
import type { KernelConfig } from '@tensorflow/tfjs';
import { tf } from '../../../tf.ts';
import { cpuKernel, floatOutput, floatValues, kernelArgs } from './shared.ts';

export const softmaxConfig: KernelConfig = {
  kernelName: tf.Softmax,
  backendName: 'native',
  kernelFunc: (args) => {
    const { inputs, backend, attrs } = kernelArgs(args);
    const { logits } = inputs;
    const values = floatValues(backend, logits);
    const rank = logits?.shape.length ?? 0;
    const dim = attrs.dim as number;
    if (!logits || !values || rank === 0 || (dim !== -1 && dim !== rank - 1)) {
      return cpuKernel(tf.Softmax)(args);
    }
    const cols = logits.shape[rank - 1];
    const rows = cols === 0 ? 0 : values.length / cols;
    const out = backend.allocFloat32(values.length);
    backend.addon.softmax(values, out, rows, cols); // [rows, cols]
    return floatOutput(backend, logits.shape.slice(), out);
  },
};
