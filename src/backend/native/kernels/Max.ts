// Max: float32 max (NaN wins, like the cpu kernel) over any axes, in C++; other dtypes use the cpu kernel.
import type { KernelConfig } from '@tensorflow/tfjs';
import { tf } from '../../../tf.ts';
import { ReduceOp } from '../binding.ts';
import { reduceKernelFunc } from './reduce.ts';

export const maxConfig: KernelConfig = {
  kernelName: tf.Max,
  backendName: 'native',
  kernelFunc: reduceKernelFunc(tf.Max, ReduceOp.Max, 'reductionIndices'),
};
