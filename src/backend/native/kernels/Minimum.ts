// Minimum: float32 min(a, b), NaN if either is NaN (Math.min) with broadcasting, in C++; other dtypes use the cpu kernel.
import type { KernelConfig } from '@tensorflow/tfjs';
import { tf } from '../../../tf.ts';
import { BinaryOp } from '../binding.ts';
import { binaryKernelFunc } from './binary.ts';

export const minimumConfig: KernelConfig = {
  kernelName: tf.Minimum,
  backendName: 'native',
  kernelFunc: binaryKernelFunc(tf.Minimum, BinaryOp.Minimum),
};
