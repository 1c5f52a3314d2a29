// Backend selection: `auto` = native (OpenBLAS addon) if it loads, else patched wasm, else cpu.
// The chosen backend and thread count are returned so runs can record them.
import { tf } from '../tf.ts';
import { usageError } from '../errors.ts';
import { patchWasmMatMul } from './wasm-patched.ts';
import { registerWasmFallbacks } from './wasm-fallback.ts';
import { registerOptimizerProvider, type OptimizerOptions } from '../train/optimizers.ts';

import { backendNames, type BackendName } from './names.ts';

export { backendNames, type BackendName };

export interface BackendInfo {
  /** What was asked for. */
  requested: BackendName;
  /** The tfjs backend actually active ('native' | 'wasm' | 'cpu'). */
  name: string;
  /** Human-readable variant, e.g. 'wasm (patched matmul)'. */
  description: string;
  threads: number;
}

export interface BackendOptions {
  threads?: number;
}

/** What the optional native module (./native/index.ts) provides. */
interface NativeModule {
  registerNativeBackend(options?: { threads?: number }): boolean;
  nativeLoadError(): string | undefined;
  getNativeThreads(): number;
  createFusedAdam(options: { learningRate: number }): tf.Optimizer;
  createFusedAdamW(options: OptimizerOptions): tf.Optimizer;
  createFusedMomentum(options: { learningRate: number; momentum: number }): tf.Optimizer;
}

async function tryNative(options: BackendOptions): Promise<BackendInfo | string> {
  try {
    // Imported by a computed path: the module is optional and loads the addon when it runs.
    const path = './native/index.ts';
    const native = (await import(path)) as NativeModule;
    if (!native.registerNativeBackend({ threads: options.threads })) {
      return native.nativeLoadError() ?? 'the native addon is not built (npm run build:native)';
    }
    if (!(await tf.setBackend('native'))) return 'tfjs could not initialise the native backend';
    // One fused native pass per variable instead of tfjs' ~15 tensor ops per Adam update.
    const fused: Partial<Record<OptimizerOptions['name'], (o: OptimizerOptions) => tf.Optimizer>> =
      {
        adam: (o) => native.createFusedAdam({ learningRate: o.learningRate }),
        adamw: (o) => native.createFusedAdamW(o),
        momentum: (o) =>
          native.createFusedMomentum({ learningRate: o.learningRate, momentum: o.momentum ?? 0.9 }),
      };
    registerOptimizerProvider('native', (o) => fused[o.name]?.(o));
    return {
      requested: 'native',
      name: 'native',
      description: 'native (OpenBLAS)',
      threads: native.getNativeThreads(),
    };
  } catch (e) {
    return `the native backend is unavailable (${(e as Error).message})`;
  }
}

async function useWasm(patched: boolean): Promise<BackendInfo> {
  // Emscripten's Node glue adds process-wide handlers that rethrow any uncaught error with the
  // whole minified module as context; drop them so errors stay one line.
  const before = {
    uncaughtException: new Set(process.listeners('uncaughtException')),
    unhandledRejection: new Set(process.listeners('unhandledRejection')),
  };
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  const ok = await tf.setBackend('wasm');
  for (const listener of process.listeners('uncaughtException')) {
    if (!before.uncaughtException.has(listener))
      process.removeListener('uncaughtException', listener);
  }
  for (const listener of process.listeners('unhandledRejection')) {
    if (!before.unhandledRejection.has(listener))
      process.removeListener('unhandledRejection', listener);
  }
  if (!ok) throw usageError('the wasm backend failed to initialise');
  registerWasmFallbacks();
  if (patched) patchWasmMatMul();
  return {
    requested: patched ? 'wasm' : 'wasm-stock',
    name: 'wasm',
    description: patched ? 'wasm (patched matmul)' : 'wasm (stock)',
    threads: wasm.getThreadsCount(),
  };
}

/** Activates a backend; throws a usage error if an explicitly requested one is unavailable. */
export async function selectBackend(
  requested: BackendName = 'auto',
  options: BackendOptions = {},
): Promise<BackendInfo> {
  let info: BackendInfo;
  switch (requested) {
    case 'native': {
      const r = await tryNative(options);
      if (typeof r === 'string') {
        throw usageError(
          `--backend native: ${r}; install libopenblas-dev and run 'npm run build:native', or use --backend wasm`,
        );
      }
      info = r;
      break;
    }
    case 'auto': {
      const r = await tryNative(options);
      info = typeof r === 'string' ? await useWasm(true) : r;
      info.requested = 'auto';
      break;
    }
    case 'wasm':
    case 'wasm-stock':
      info = await useWasm(requested === 'wasm');
      break;
    case 'cpu':
      await tf.setBackend('cpu');
      info = { requested, name: 'cpu', description: 'cpu (plain JavaScript)', threads: 1 };
      break;
    default:
      throw usageError(
        `unknown backend '${requested as string}': use one of ${backendNames.join(', ')}`,
      );
  }
  await tf.ready();
  return info;
}
