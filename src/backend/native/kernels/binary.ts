// Kernel-function factory for the float32 broadcasting binary kernels (Add, Sub, ...). Other dtypes
// (int32, bool, complex64, string) go to the cpu kernel of the same name.
import type { KernelFunc } from '@tensorflow/tfjs';
import { tf } from '../../../tf.ts';
import { cpuKernel, floatOutput, floatValues, kernelArgs, sizeOf } from './shared.ts';

export function binaryKernelFunc(kernelName: string, op: number): KernelFunc {
  return (args) => {
    const { inputs, backend } = kernelArgs(args);
    const { a, b } = inputs;
    const aValues = floatValues(backend, a);
    const bValues = floatValues(backend, b);
    if (!a || !b || !aValues || !bValues) return cpuKernel(kernelName)(args);
    const outShape = tf.backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
    const out = backend.allocFloat32(sizeOf(outShape));
    backend.addon.binary(op, aValues, a.shape, bValues, b.shape, out, outShape);
    return floatOutput(backend, outShape, out);
  };
}
