// Maximum: float32 max(a, b), NaN if either is NaN (Math.max) with broadcasting, in C++; other dtypes use the cpu kernel.
import type { KernelConfig } from '@tensorflow/tfjs';
import { tf } from '../../../tf.ts';
import { BinaryOp } from '../binding.ts';
import { binaryKernelFunc } from './binary.ts';

export const maximumConfig: KernelConfig = {
  kernelName: tf.Maximum,
  backendName: 'native',
  kernelFunc: binaryKernelFunc(tf.Maximum, BinaryOp.Maximum),
};
