// Public surface of the native backend: availability, registration as tfjs backend 'native',
// thread control and the fused optimizers. Importing this module never throws, with or without
// the addon built; only registerNativeBackend() changes global tfjs state.
import { availableParallelism } from 'node:os';
import { tf } from '../../tf.ts';
import { NativeBackend } from './backend.ts';
import { loadAddon, loadError } from './binding.ts';
import { registerNativeGradients } from './gradients.ts';
import { nativeKernelConfigs } from './kernels/index.ts';

export {
  createFusedAdam,
  createFusedAdamW,
  createFusedMomentum,
  FusedAdamOptimizer,
  FusedAdamWOptimizer,
  FusedMomentumOptimizer,
} from './optimizers.ts';
export type { FusedAdamOptions, FusedAdamWOptions, FusedMomentumOptions } from './optimizers.ts';
export { NativeBackend } from './backend.ts';

/** Below cpu (1) and wasm (2): 'native' is never picked unless asked for with setBackend. */
const nativePriority = 0;

export interface RegisterNativeOptions {
  /** OpenBLAS threads; default: see defaultNativeThreads(). */
  threads?: number;
}

/**
 * Half the cores (at least 1), unless OPENBLAS_NUM_THREADS says otherwise. The JS thread does all
 * non-GEMM work between the GEMMs and V8 runs GC helpers; on 2 cores, 2 BLAS threads were only
 * faster on an idle machine (teacher MLP 5,600 vs 3,700 samples/s) and slower as soon as anything
 * else ran (2,400 vs 3,900), so 1 is the robust choice there (PyTorch showed the same).
 */
export function defaultNativeThreads(): number {
  const fromEnv = Number(process.env.OPENBLAS_NUM_THREADS);
  if (Number.isInteger(fromEnv) && fromEnv > 0) return fromEnv;
  return Math.max(1, Math.floor(availableParallelism() / 2));
}

/** True if the addon is built and loads. Never throws. */
export function nativeAvailable(): boolean {
  try {
    return loadAddon() !== undefined;
  } catch {
    return false;
  }
}

/** Why the addon is unavailable; undefined when it loads. */
export function nativeLoadError(): string | undefined {
  try {
    return loadError();
  } catch (e) {
    return (e as Error).message;
  }
}

let registered = false;

/**
 * Registers tfjs backend 'native': every cpu kernel, then the native replacements on top, and the
 * gradients of gradients.ts (cheaper on native, tfjs-core's own elsewhere).
 * Idempotent; returns false (and changes nothing) if the addon is missing.
 */
export function registerNativeBackend(options: RegisterNativeOptions = {}): boolean {
  const addon = loadAddon();
  if (!addon) return false;
  if (!registered) {
    if (tf.findBackendFactory('native') == null) {
      tf.registerBackend('native', () => new NativeBackend(addon), nativePriority);
    }
    tf.copyRegisteredKernels('cpu', 'native');
    for (const config of nativeKernelConfigs) {
      if (tf.getKernel(config.kernelName, 'native'))
        tf.unregisterKernel(config.kernelName, 'native');
      tf.registerKernel(config);
    }
    registerNativeGradients();
    registered = true;
    setNativeThreads(options.threads ?? defaultNativeThreads());
  } else if (options.threads !== undefined) {
    setNativeThreads(options.threads);
  }
  return true;
}

/** Sets the OpenBLAS thread count (used by matmul and conv). No-op without the addon. */
export function setNativeThreads(threads: number): void {
  if (!Number.isInteger(threads) || threads < 1) {
    throw new RangeError(`threads must be a positive integer, got ${threads}`);
  }
  loadAddon()?.setThreads(threads);
}

/** The OpenBLAS thread count; 0 without the addon. */
export function getNativeThreads(): number {
  return loadAddon()?.getThreads() ?? 0;
}

/** The OpenBLAS build in use (version, target core); undefined without the addon. */
export function nativeBlasConfig(): string | undefined {
  return loadAddon()?.blasConfig();
}

/** sgemm GFLOP/s for [m,k]·[k,n] straight from C: the ceiling for benchmarks; 0 without addon. */
export function sgemmGflops(
  m: number,
  n: number,
  k: number,
  transposeA = false,
  transposeB = false,
  reps = 10,
): number {
  return loadAddon()?.sgemmGflops(m, n, k, transposeA, transposeB, reps) ?? 0;
}
