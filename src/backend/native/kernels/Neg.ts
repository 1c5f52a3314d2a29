// Neg: float32 -x, in C++; other dtypes use the cpu kernel.
import type { KernelConfig } from '@tensorflow/tfjs';
import { tf } from '../../../tf.ts';
import { UnaryOp } from '../binding.ts';
import { unaryKernelFunc } from './unary.ts';

export const negConfig: KernelConfig = {
  kernelName: tf.Neg,
  backendName: 'native',
  kernelFunc: unaryKernelFunc(tf.Neg, UnaryOp.Neg),
};
