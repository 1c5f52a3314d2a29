// _FusedMatMul: float32 a·b + bias then activation (linear, relu, relu6, elu, leakyrelu, sigmoid)
// in one native call. prelu, a bias broadcast other than along the last dim, and other dtypes use
// the cpu kernel.
import type { KernelConfig } from '@tensorflow/tfjs';
import { tf } from '../../../tf.ts';
import { activationCodes } from '../binding.ts';
import { nativeMatMul } from './matmul.ts';
import { cpuKernel, kernelArgs } from './shared.ts';

export const fusedMatMulConfig: KernelConfig = {
  kernelName: tf._FusedMatMul,
  backendName: 'native',
  kernelFunc: (args) => {
    const { inputs, backend, attrs } = kernelArgs(args);
    const { a, b, bias, preluActivationWeights } = inputs;
    const activation = activationCodes[(attrs.activation as string | undefined) ?? 'linear'];
    const result =
      a &&
      b &&
      !preluActivationWeights &&
      activation !== undefined &&
      nativeMatMul(backend, a, b, Boolean(attrs.transposeA), Boolean(attrs.transposeB), {
        bias,
        activation,
        alpha: Number(attrs.leakyreluAlpha ?? 0),
      });
    return result || cpuKernel(tf._FusedMatMul)(args);
  },
};
