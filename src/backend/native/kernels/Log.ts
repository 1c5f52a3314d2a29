// Log: float32 log(x), in C++; other dtypes use the cpu kernel.
import type { KernelConfig } from '@tensorflow/tfjs';
import { tf } from '../../../tf.ts';
import { UnaryOp } from '../binding.ts';
import { unaryKernelFunc } from './unary.ts';

export const logConfig: KernelConfig = {
  kernelName: tf.Log,
  backendName: 'native',
  kernelFunc: unaryKernelFunc(tf.Log, UnaryOp.Log),
};
