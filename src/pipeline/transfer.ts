// The teacher's targets on the transfer set, decided in one place for every job (run, distill,
// born-again, tune): cached logits when the transfer set is fixed — no student augmentation and
// no teacher layer taps — and the config allows it; otherwise the teacher runs live each step.
import { resolve } from 'node:path';
import type { RunConfig } from '../config.ts';
import type { Dataset, Split } from '../data/index.ts';
import type { DistillMethod } from '../distill/method.ts';
import {
  cachedTeacherLogits,
  checkCacheAllowed,
  type TeacherLogits,
} from '../distill/teacher-cache.ts';
import type { Teacher } from '../teachers/teacher.ts';
import { usageError } from '../errors.ts';
import { loadStoreLogits, storeDirOf, storeExpectations } from '../labels/teacher-logits.ts';

/** Why the teacher cannot be cached for this config and method, or undefined if it can. */
export function cacheBlocker(config: RunConfig, method: DistillMethod): string | undefined {
  if (config.student.shiftPixels > 0)
    return `student training uses random ±${config.student.shiftPixels} px shifts`;
  if (method.taps?.teacher.length) return `method ${method.name} taps teacher layers`;
  return undefined;
}

/**
 * Cached teacher logits for the training split, or undefined when the teacher must run live.
 * `teacherCache: 'on'` with a blocker is an error that names it; 'auto' falls back to live.
 */
export async function transferLogits(options: {
  config: RunConfig;
  data: Dataset;
  /** The examples the student trains on (default data.train; may include a transfer set). */
  train?: Split;
  teacher: Teacher;
  method: DistillMethod;
  onInfo?: (message: string) => void;
}): Promise<TeacherLogits | undefined> {
  const { config, data, teacher, method } = options;
  // A logit store: --teacher-logits, or the store an LLM teacher labelled into the run folder.
  const storeDir = config.teacherLogits ? resolve(config.teacherLogits) : storeDirOf(teacher);
  if (storeDir) {
    const blocker = cacheBlocker(config, method);
    if (blocker !== undefined)
      throw usageError(`the logit store ${storeDir}: ${blocker}, so it cannot serve it`);
    // Rows are looked up by digest: any split (a transfer set too) whose rows the store holds.
    const store = loadStoreLogits(
      storeDir,
      options.train ?? data.train,
      'the training split',
      storeExpectations(data),
    );
    options.onInfo?.(`teacher logits read from the store: ${store.table.count} examples`);
    return store.table;
  }
  if (config.teacherCache === 'off') return undefined;
  const blocker = cacheBlocker(config, method);
  if (blocker !== undefined) {
    if (config.teacherCache === 'auto') return undefined;
    checkCacheAllowed(config.student.shiftPixels);
    throw usageError(
      `--teacher-cache on: ${blocker}, so cached teacher logits cannot serve it (use --teacher-cache off or auto)`,
    );
  }
  const t0 = performance.now();
  const cached = await cachedTeacherLogits(teacher, options.train ?? data.train, {
    dir: resolve(config.outDir, '.cache'),
    preprocessing: `${data.name}: ${data.preprocessing}`,
    inputShape: data.inputShape,
  });
  const seconds = ((performance.now() - t0) / 1000).toFixed(1);
  if (cached.note) options.onInfo?.(cached.note);
  options.onInfo?.(
    `teacher logits ${cached.hit ? 'read from the cache' : 'computed and cached'}: ${cached.count} examples, ${seconds} s`,
  );
  return cached;
}
