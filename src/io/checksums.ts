// SHA-256 of every file in a folder, stored beside them (checksums.json) when the folder is
// complete and checked before it is read back: a checkpoint or a stage's saved model damaged on
// disk (truncated, zeroed, bit-flipped) is reported with the fix instead of silently resumed from.
// Folders without the file (written before checksums existed, exports) are read unchecked.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { writeAtomic } from './atomic.ts';
import { ioError } from '../errors.ts';

export const CHECKSUMS_FILE = 'checksums.json';

function filesUnder(dir: string, root = dir, out: string[] = []): string[] {
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) filesUnder(path, root, out);
    else if (name !== CHECKSUMS_FILE && !/\.tmp-\d+$/.test(name)) out.push(relative(root, path));
  }
  return out;
}

const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

/** Records the checksum of every file under `dir` (call once the folder is complete). */
export function sealFolder(dir: string): void {
  const sums = Object.fromEntries(filesUnder(dir).map((f) => [f, sha256(join(dir, f))]));
  writeAtomic(join(dir, CHECKSUMS_FILE), JSON.stringify(sums, null, 1));
}

/** Throws a one-line io error (ending in `fix`) if a file under `dir` changed since sealFolder. */
export function verifyFolder(dir: string, fix: string): void {
  const path = join(dir, CHECKSUMS_FILE);
  if (!existsSync(path)) return;
  let sums: Record<string, string>;
  try {
    sums = JSON.parse(readFileSync(path, 'utf8'));
    if (!sums || typeof sums !== 'object') throw new Error('not an object');
  } catch {
    throw ioError(`${path} is damaged: ${fix}`);
  }
  for (const [file, sum] of Object.entries(sums)) {
    const full = join(dir, file);
    if (!existsSync(full)) throw ioError(`${full} is missing: ${fix}`);
    if (sha256(full) !== sum) throw ioError(`${full} is corrupted (checksum mismatch): ${fix}`);
  }
}
