// Sqrt: float32 sqrt(x), in C++; other dtypes use the cpu kernel.
import type { KernelConfig } from '@tensorflow/tfjs';
import { tf } from '../../../tf.ts';
import { UnaryOp } from '../binding.ts';
import { unaryKernelFunc } from './unary.ts';

export const sqrtConfig: KernelConfig = {
  kernelName: tf.Sqrt,
  backendName: 'native',
  kernelFunc: unaryKernelFunc(tf.Sqrt, UnaryOp.Sqrt),
};
