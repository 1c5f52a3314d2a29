// Relu: float32 max(0, x), NaN kept, in C++; other dtypes use the cpu kernel.
import type { KernelConfig } from '@tensorflow/tfjs';
import { tf } from '../../../tf.ts';
import { UnaryOp } from '../binding.ts';
import { unaryKernelFunc } from './unary.ts';

export const reluConfig: KernelConfig = {
  kernelName: tf.Relu,
  backendName: 'native',
  kernelFunc: unaryKernelFunc(tf.Relu, UnaryOp.Relu),
};
