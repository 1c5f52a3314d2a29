// Where a result was measured: Node, tfjs and OpenBLAS versions, the backend, and the machine
// (cores, CPU model, memory), recorded in results.json so numbers can be compared across runs.
import { availableParallelism, cpus, platform, release, totalmem } from 'node:os';
import { tf } from '../tf.ts';

export interface Environment {
  node: string;
  tfjs: string;
  /** The OpenBLAS build when the native backend is active (version, target core). */
  openblas?: string;
  backend: string;
  platform: string;
  cores: number;
  cpuModel: string;
  memoryGiB: number;
}

/** The environment of this process; `backend` is the active tfjs backend's name. */
export async function describeEnvironment(): Promise<Environment> {
  const backend = tf.getBackend();
  let openblas: string | undefined;
  if (backend === 'native') {
    // Imported by a computed path, as backend/index.ts does: the native module is optional.
    const path = '../backend/native/index.ts';
    const native = (await import(path)) as { nativeBlasConfig(): string | undefined };
    openblas = native.nativeBlasConfig();
  }
  return {
    node: process.version,
    tfjs: tf.version_core,
    openblas,
    backend,
    platform: `${platform()} ${release()}`,
    cores: availableParallelism(),
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
  };
}
