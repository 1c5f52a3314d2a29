// The OpenBLAS ceiling of a bench model's training step: the time of exactly its GEMMs with plain
// cblas_sgemm from C, i.e. the speed a backend would reach if everything but matrix products were
// free. Shared by bench/backends.ts and bench/cnn.ts.
import { setNativeThreads, sgemmGflops } from '../src/backend/native/index.ts';
import { trainingFlops, trainingGemms, type BenchModel } from './models.ts';

export interface Ceiling {
  threads: number;
  stepMs: number;
  gflops: number;
}

/**
 * Time of the step's GEMMs alone, each at the best of three rates plain cblas_sgemm reaches on its
 * shape (best, not median: a ceiling, and the cores are shared).
 */
export function sgemmCeiling(model: BenchModel, threads: number): Ceiling {
  setNativeThreads(threads);
  let seconds = 0;
  for (const g of trainingGemms(model)) {
    const flops = 2 * g.m * g.n * g.k;
    const reps = Math.max(3, Math.min(200, Math.ceil(1e9 / flops)));
    const rates = [0, 1, 2].map(() => sgemmGflops(g.m, g.n, g.k, g.transposeA, g.transposeB, reps));
    seconds += flops / (Math.max(...rates) * 1e9);
  }
  return { threads, stepMs: seconds * 1000, gflops: trainingFlops(model) / seconds / 1e9 };
}
