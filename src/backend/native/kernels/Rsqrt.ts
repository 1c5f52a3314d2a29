// Rsqrt: float32 1 / sqrt(x), in C++; other dtypes use the cpu kernel.
import type { KernelConfig } from '@tensorflow/tfjs';
import { tf } from '../../../tf.ts';
import { UnaryOp } from '../binding.ts';
import { unaryKernelFunc } from './unary.ts';

export const rsqrtConfig: KernelConfig = {
  kernelName: tf.Rsqrt,
  backendName: 'native',
  kernelFunc: unaryKernelFunc(tf.Rsqrt, UnaryOp.Rsqrt),
};
