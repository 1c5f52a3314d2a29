// Kernel-function factory for the float32 broadcasting comparisons (Equal, Greater, ...): 1 / 0
// into a bool (Uint8Array) output, in C++. Other dtypes go to the cpu kernel of the same name.
// Max's gradient compares [batch, time, filters] with the max over time (TextCNN's pooling): the
// cpu kernel's generic broadcast took ~150 ms for one batch.
import type { KernelFunc } from '@tensorflow/tfjs';
import { tf } from '../../../tf.ts';
import { cpuKernel, floatValues, kernelArgs, sizeOf } from './shared.ts';

export function compareKernelFunc(kernelName: string, op: number): KernelFunc {
  return (args) => {
    const { inputs, backend } = kernelArgs(args);
    const { a, b } = inputs;
    const aValues = floatValues(backend, a);
    const bValues = floatValues(backend, b);
    if (!a || !b || !aValues || !bValues) return cpuKernel(kernelName)(args);
    const outShape = tf.backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
    const out = new Uint8Array(sizeOf(outShape));
    backend.addon.compare(op, aValues, a.shape, bValues, b.shape, out, outShape);
    return backend.makeTensorInfo(outShape, 'bool', out);
  };
}
