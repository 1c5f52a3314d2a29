// Reciprocal: float32 1 / x, in C++; other dtypes use the cpu kernel.
import type { KernelConfig } from '@tensorflow/tfjs';
import { tf } from '../../../tf.ts';
import { UnaryOp } from '../binding.ts';
import { unaryKernelFunc } from './unary.ts';

export const reciprocalConfig: KernelConfig = {
  kernelName: tf.Reciprocal,
  backendName: 'native',
  kernelFunc: unaryKernelFunc(tf.Reciprocal, UnaryOp.Reciprocal),
};
