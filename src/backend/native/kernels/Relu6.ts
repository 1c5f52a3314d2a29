// Relu6: float32 min(max(0, x), 6), in C++; other dtypes use the cpu kernel.
import type { KernelConfig } from '@tensorflow/tfjs';
import { tf } from '../../../tf.ts';
import { UnaryOp } from '../binding.ts';
import { unaryKernelFunc } from './unary.ts';

export const relu6Config: KernelConfig = {
  kernelName: tf.Relu6,
  backendName: 'native',
  kernelFunc: unaryKernelFunc(tf.Relu6, UnaryOp.Relu6),
};
