// Kernel-function factory for the float32 unary kernels (Relu, Exp, ...). `alphaAttr` names the
// attribute passed as alpha (Step, LeakyRelu). Other dtypes go to the cpu kernel.
import type { KernelFunc } from '@tensorflow/tfjs';
import { cpuKernel, floatOutput, floatValues, kernelArgs } from './shared.ts';

export function unaryKernelFunc(kernelName: string, op: number, alphaAttr?: string): KernelFunc {
  return (args) => {
    const { inputs, backend, attrs } = kernelArgs(args);
    const { x } = inputs;
    const xValues = floatValues(backend, x);
    if (!x || !xValues) return cpuKernel(kernelName)(args);
    const alpha = alphaAttr ? Number(attrs[alphaAttr] ?? 0) : 0;
    const out = backend.allocFloat32(xValues.length);
    backend.addon.unary(op, xValues, out, alpha);
    return floatOutput(backend, x.shape.slice(), out);
  };
}
