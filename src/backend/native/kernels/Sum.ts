// Sum: float32 sum (accumulated in double, like the cpu kernel) over any axes, in C++; other dtypes use the cpu kernel.
import type { KernelConfig } from '@tensorflow/tfjs';
import { tf } from '../../../tf.ts';
import { ReduceOp } from '../binding.ts';
import { reduceKernelFunc } from './reduce.ts';

export const sumConfig: KernelConfig = {
  kernelName: tf.Sum,
  backendName: 'native',
  kernelFunc: reduceKernelFunc(tf.Sum, ReduceOp.Sum, 'axis'),
};
