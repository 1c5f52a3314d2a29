// Atomic file writes: data goes to a temporary file beside the target and is renamed over it, so
// a reader (or a resumed run after a kill) sees the old file or the new one, never half of one.
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { describeSystemError } from './system-errors.ts';

/** Writes via a temporary file and rename, so a crash never leaves a half-written file. */
export function writeAtomic(path: string, data: string | Uint8Array): void {
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(tmp, data);
    renameSync(tmp, path);
  } catch (e) {
    // e.g. ENOSPC halfway: leave no partial temporary file behind, and say it in one line.
    rmSync(tmp, { force: true });
    throw describeSystemError(e, `cannot write ${path}`);
  }
}
