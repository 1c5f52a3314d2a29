// Kernels the tfjs `wasm` backend lacks (notably Conv2DBackpropFilter, so no CNN could train on
// wasm) run through the `cpu` backend's implementation: inputs are copied out of wasm memory,
// the cpu kernel runs, outputs are copied back. Correct and complete, not fast: a stopgap that
// makes every model trainable on wasm. Leaves out: complex dtypes and string kernels.
import { tf } from '../tf.ts';

type TensorInfo = { dataId: object; shape: number[]; dtype: tf.DataType };
type Backend = {
  readSync(dataId: object): tf.TypedArray;
  makeTensorInfo(shape: number[], dtype: tf.DataType, values: tf.TypedArray): TensorInfo;
  disposeData(dataId: object): void;
};
type WasmBackend = Backend & {
  makeOutput(
    shape: number[],
    dtype: tf.DataType,
    memoryOffset?: number,
    values?: tf.TypedArray,
  ): TensorInfo;
};

const SKIP = new Set([
  'Complex',
  'ComplexAbs',
  'Real',
  'Imag',
  'FFT',
  'IFFT',
  'StaticRegexReplace',
  'Draw',
]);
const bridged = new Set<string>();

/** Registers cpu-backed versions of every kernel `wasm` is missing; returns their names. */
export function registerWasmFallbacks(): string[] {
  const wasmKernels = new Set(tf.getKernelsForBackend('wasm').map((k) => k.kernelName));
  for (const config of tf.getKernelsForBackend('cpu')) {
    const name = config.kernelName;
    if (wasmKernels.has(name) || SKIP.has(name) || bridged.has(name)) continue;
    tf.registerKernel({
      kernelName: name,
      backendName: 'wasm',
      kernelFunc: ({ inputs, attrs, backend }) => {
        const wasm = backend as unknown as WasmBackend;
        const cpu = tf.engine().findBackend('cpu') as unknown as Backend;
        const cpuInputs: Record<string, TensorInfo> = {};
        for (const [key, info] of Object.entries(inputs as Record<string, TensorInfo>)) {
          cpuInputs[key] = cpu.makeTensorInfo(info.shape, info.dtype, wasm.readSync(info.dataId));
        }
        try {
          const out = config.kernelFunc({
            inputs: cpuInputs as never,
            attrs,
            backend: cpu as never,
          }) as TensorInfo | TensorInfo[];
          const copy = (o: TensorInfo) => {
            const info = wasm.makeOutput(o.shape, o.dtype, undefined, cpu.readSync(o.dataId));
            cpu.disposeData(o.dataId);
            return info;
          };
          return (Array.isArray(out) ? out.map(copy) : copy(out)) as never;
        } finally {
          for (const info of Object.values(cpuInputs)) cpu.disposeData(info.dataId);
        }
      },
    });
    bridged.add(name);
  }
  return [...bridged];
}
