// Sigmoid: float32 1 / (1 + exp(-x)), in C++; other dtypes use the cpu kernel.
import type { KernelConfig } from '@tensorflow/tfjs';
import { tf } from '../../../tf.ts';
import { UnaryOp } from '../binding.ts';
import { unaryKernelFunc } from './unary.ts';

export const sigmoidConfig: KernelConfig = {
  kernelName: tf.Sigmoid,
  backendName: 'native',
  kernelFunc: unaryKernelFunc(tf.Sigmoid, UnaryOp.Sigmoid),
};
