// Exp: float32 exp(x), in C++; other dtypes use the cpu kernel.
import type { KernelConfig } from '@tensorflow/tfjs';
import { tf } from '../../../tf.ts';
import { UnaryOp } from '../binding.ts';
import { unaryKernelFunc } from './unary.ts';

export const expConfig: KernelConfig = {
  kernelName: tf.Exp,
  backendName: 'native',
  kernelFunc: unaryKernelFunc(tf.Exp, UnaryOp.Exp),
};
