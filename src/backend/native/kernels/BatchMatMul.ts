// BatchMatMul: float32 a·b (any transposes, broadcast batch dims) via OpenBLAS sgemm; other dtypes
// use the cpu kernel.
import type { KernelConfig } from '@tensorflow/tfjs';
import { tf } from '../../../tf.ts';
import { nativeMatMul } from './matmul.ts';
import { cpuKernel, kernelArgs } from './shared.ts';

export const batchMatMulConfig: KernelConfig = {
  kernelName: tf.BatchMatMul,
  backendName: 'native',
  kernelFunc: (args) => {
    const { inputs, backend, attrs } = kernelArgs(args);
    const { a, b } = inputs;
    const result =
      a && b && nativeMatMul(backend, a, b, Boolean(attrs.transposeA), Boolean(attrs.transposeB));
    return result || cpuKernel(tf.BatchMatMul)(args);
  },
};
