// Mean: float32 mean (each x / n, then summed, like the cpu kernel) over any axes, in C++; other dtypes use the cpu kernel.
import type { KernelConfig } from '@tensorflow/tfjs';
import { tf } from '../../../tf.ts';
import { ReduceOp } from '../binding.ts';
import { reduceKernelFunc } from './reduce.ts';

export const meanConfig: KernelConfig = {
  kernelName: tf.Mean,
  backendName: 'native',
  kernelFunc: reduceKernelFunc(tf.Mean, ReduceOp.Mean, 'axis'),
};
