// SquaredDifference: float32 (a - b)² with broadcasting, in C++; other dtypes use the cpu kernel.
import type { KernelConfig } from '@tensorflow/tfjs';
import { tf } from '../../../tf.ts';
import { BinaryOp } from '../binding.ts';
import { binaryKernelFunc } from './binary.ts';

export const squaredDifferenceConfig: KernelConfig = {
  kernelName: tf.SquaredDifference,
  backendName: 'native',
  kernelFunc: binaryKernelFunc(tf.SquaredDifference, BinaryOp.SquaredDifference),
};
