// Patched matmul for the tfjs `wasm` backend. XNNPACK's fast GEMM runs only when neither operand
// is transposed; the stock kernel falls to a ~0.7 GFLOP/s loop otherwise, i.e. on every dense
// backward pass. Here a transposed operand is materialised first (a cheap copy) and the kernel
// called untransposed. Exact: the same products and sums, only the memory layout differs.
// Leaves out: the rank-3 batched path (still the stock kernel's).
import { tf } from '../tf.ts';

type TensorInfo = { dataId: object; shape: number[]; dtype: string };
type KernelArgs = {
  inputs: Record<string, TensorInfo>;
  backend: { disposeData(dataId: object): void };
  attrs: Record<string, unknown>;
};

const patched = new Set<string>();

/** Re-registers BatchMatMul and _FusedMatMul on `wasm` (idempotent). */
export function patchWasmMatMul(): void {
  const transpose = tf.getKernel('Transpose', 'wasm');
  if (!transpose)
    throw new Error(
      'the wasm backend is not registered: import @tensorflow/tfjs-backend-wasm first',
    );
  for (const name of ['BatchMatMul', '_FusedMatMul']) {
    if (patched.has(name)) continue;
    const stock = tf.getKernel(name, 'wasm');
    if (!stock) continue;
    tf.unregisterKernel(name, 'wasm');
    tf.registerKernel({
      ...stock,
      kernelFunc: (args) => {
        const { inputs, backend, attrs } = args as unknown as KernelArgs;
        if (!attrs.transposeA && !attrs.transposeB) return stock.kernelFunc(args);
        const temporaries: TensorInfo[] = [];
        const untranspose = (x: TensorInfo) => {
          const perm = x.shape.map((_, i) => i);
          const r = perm.length;
          [perm[r - 1], perm[r - 2]] = [perm[r - 2], perm[r - 1]];
          const out = transpose.kernelFunc({ inputs: { x }, backend, attrs: { perm } } as never);
          temporaries.push(out as TensorInfo);
          return out as TensorInfo;
        };
        const a = attrs.transposeA ? untranspose(inputs.a) : inputs.a;
        const b = attrs.transposeB ? untranspose(inputs.b) : inputs.b;
        try {
          return stock.kernelFunc({
            ...args,
            inputs: { ...inputs, a, b },
            attrs: { ...attrs, transposeA: false, transposeB: false },
          } as never);
        } finally {
          for (const t of temporaries) backend.disposeData(t.dataId);
        }
      },
    });
    patched.add(name);
  }
}

export const isWasmMatMulPatched = () => patched.size > 0;
