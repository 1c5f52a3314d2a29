// LeakyRelu: float32 x < 0 ? alpha·x : x, in C++; other dtypes use the cpu kernel.
import type { KernelConfig } from '@tensorflow/tfjs';
import { tf } from '../../../tf.ts';
import { UnaryOp } from '../binding.ts';
import { unaryKernelFunc } from './unary.ts';

export const leakyReluConfig: KernelConfig = {
  kernelName: tf.LeakyRelu,
  backendName: 'native',
  kernelFunc: unaryKernelFunc(tf.LeakyRelu, UnaryOp.LeakyRelu, 'alpha'),
};
