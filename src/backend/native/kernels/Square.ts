// Square: float32 x², in C++; other dtypes use the cpu kernel.
import type { KernelConfig } from '@tensorflow/tfjs';
import { tf } from '../../../tf.ts';
import { UnaryOp } from '../binding.ts';
import { unaryKernelFunc } from './unary.ts';

export const squareConfig: KernelConfig = {
  kernelName: tf.Square,
  backendName: 'native',
  kernelFunc: unaryKernelFunc(tf.Square, UnaryOp.Square),
};
