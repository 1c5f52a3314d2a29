// Abs: float32 |x|, in C++; other dtypes use the cpu kernel.
import type { KernelConfig } from '@tensorflow/tfjs';
import { tf } from '../../../tf.ts';
import { UnaryOp } from '../binding.ts';
import { unaryKernelFunc } from './unary.ts';

export const absConfig: KernelConfig = {
  kernelName: tf.Abs,
  backendName: 'native',
  kernelFunc: unaryKernelFunc(tf.Abs, UnaryOp.Abs),
};
