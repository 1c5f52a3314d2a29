// Step: float32 x > 0 ? 1 : alpha, NaN kept, in C++; other dtypes use the cpu kernel.
import type { KernelConfig } from '@tensorflow/tfjs';
import { tf } from '../../../tf.ts';
import { UnaryOp } from '../binding.ts';
import { unaryKernelFunc } from './unary.ts';

export const stepConfig: KernelConfig = {
  kernelName: tf.Step,
  backendName: 'native',
  kernelFunc: unaryKernelFunc(tf.Step, UnaryOp.Step, 'alpha'),
};
