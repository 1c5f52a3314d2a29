// Multiply: float32 a * b with broadcasting, in C++; other dtypes use the cpu kernel.
import type { KernelConfig } from '@tensorflow/tfjs';
import { tf } from '../../../tf.ts';
import { BinaryOp } from '../binding.ts';
import { binaryKernelFunc } from './binary.ts';

export const multiplyConfig: KernelConfig = {
  kernelName: tf.Multiply,
  backendName: 'native',
  kernelFunc: binaryKernelFunc(tf.Multiply, BinaryOp.Multiply),
};
