// Greater: float32 a > b with broadcasting, bool out, in C++; other dtypes use the cpu kernel.
import type { KernelConfig } from '@tensorflow/tfjs';
import { tf } from '../../../tf.ts';
import { CompareOp } from '../binding.ts';
import { compareKernelFunc } from './compare.ts';

export const greaterConfig: KernelConfig = {
  kernelName: tf.Greater,
  backendName: 'native',
  kernelFunc: compareKernelFunc(tf.Greater, CompareOp.Greater),
};
