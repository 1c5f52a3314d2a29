// Helpers shared by the native kernels: typed access to float32 tensor data, the cpu fallback,
// and output allocation. Not a kernel itself.
import type { KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs';
import { tf } from '../../../tf.ts';
import type { NativeBackend } from '../backend.ts';

export interface NativeKernelArgs {
  inputs: Record<string, TensorInfo | undefined>;
  backend: NativeBackend;
  attrs: NamedAttrMap;
}

/** Unpacks the loosely typed kernel arguments tfjs passes to every kernelFunc. */
export function kernelArgs(args: Parameters<KernelFunc>[0]): NativeKernelArgs {
  const a = args as unknown as NativeKernelArgs;
  return { inputs: a.inputs, backend: a.backend, attrs: a.attrs ?? {} };
}

/** The tensor's backing Float32Array, or undefined if it is not float32 (caller falls back). */
export function floatValues(
  backend: NativeBackend,
  t: TensorInfo | undefined,
): Float32Array | undefined {
  if (t == null || t.dtype !== 'float32') return undefined;
  const values = backend.data.get(t.dataId).values;
  return values instanceof Float32Array ? values : undefined;
}

const cpuKernels = new Map<string, KernelFunc>();

/** The cpu backend's kernel for `kernelName`, for inputs the native code does not cover. */
export function cpuKernel(kernelName: string): KernelFunc {
  let kernel = cpuKernels.get(kernelName);
  if (!kernel) {
    const config = tf.getKernel(kernelName, 'cpu');
    if (!config) throw new Error(`native backend: no cpu kernel '${kernelName}' to fall back to`);
    kernel = config.kernelFunc;
    cpuKernels.set(kernelName, kernel);
  }
  return kernel;
}

export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Wraps a freshly written Float32Array as a float32 tensor of `shape` on the backend. */
export function floatOutput(
  backend: NativeBackend,
  shape: number[],
  values: Float32Array,
): TensorInfo {
  return backend.makeTensorInfo(shape, 'float32', values);
}
