// Tanh: float32 tanh(x), in C++; other dtypes use the cpu kernel.
import type { KernelConfig } from '@tensorflow/tfjs';
import { tf } from '../../../tf.ts';
import { UnaryOp } from '../binding.ts';
import { unaryKernelFunc } from './unary.ts';

export const tanhConfig: KernelConfig = {
  kernelName: tf.Tanh,
  backendName: 'native',
  kernelFunc: unaryKernelFunc(tf.Tanh, UnaryOp.Tanh),
};
