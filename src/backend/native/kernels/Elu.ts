// Elu: float32 x >= 0 ? x : exp(x) - 1, in C++; other dtypes use the cpu kernel.
import type { KernelConfig } from '@tensorflow/tfjs';
import { tf } from '../../../tf.ts';
import { UnaryOp } from '../binding.ts';
import { unaryKernelFunc } from './unary.ts';

export const eluConfig: KernelConfig = {
  kernelName: tf.Elu,
  backendName: 'native',
  kernelFunc: unaryKernelFunc(tf.Elu, UnaryOp.Elu),
};
