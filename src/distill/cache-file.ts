// One cache entry on disk: the data file as is (e.g. raw float32 logits) plus a sidecar
// `<file>.json` holding the format version, the byte length and the data's SHA-256. A read checks
// all three, so a truncated, zeroed or foreign file is recomputed (with the reason), never trusted.
// Self-contained on purpose: any producer (tfjs teachers today, others later) can use it.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { writeAtomic } from '../io/atomic.ts';

export const CACHE_FORMAT_VERSION = 1;

export interface CacheMeta {
  /** Sidecar format version (CACHE_FORMAT_VERSION). */
  version: number;
  bytes: number;
  sha256: string;
  createdAt: string;
  /** What the entry holds, for `distillery cache list` (e.g. "teacher logits 60000 × 10"). */
  description: string;
}

const sidecarOf = (file: string) => `${file}.json`;

export function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Writes the data, then its sidecar: an entry without a valid sidecar is never read. */
export function writeCacheEntry(file: string, data: Uint8Array, description: string): void {
  writeAtomic(file, data);
  const meta: CacheMeta = {
    version: CACHE_FORMAT_VERSION,
    bytes: data.byteLength,
    sha256: sha256(data),
    createdAt: new Date().toISOString(),
    description,
  };
  writeAtomic(sidecarOf(file), JSON.stringify(meta, null, 1));
}

function readMeta(file: string): CacheMeta | string {
  const sidecar = sidecarOf(file);
  if (!existsSync(sidecar)) return 'it has no checksum file (written by an older version?)';
  try {
    const meta = JSON.parse(readFileSync(sidecar, 'utf8')) as CacheMeta;
    if (meta.version !== CACHE_FORMAT_VERSION) return `its format version is ${meta.version}`;
    if (typeof meta.sha256 !== 'string' || !Number.isInteger(meta.bytes))
      return 'its checksum file is incomplete';
    return meta;
  } catch {
    return 'its checksum file is damaged';
  }
}

/**
 * The entry's bytes if it exists, is `expectedBytes` long and matches its checksum; else
 * `{ problem }` saying why it cannot be used (missing entries have no problem to report).
 */
export function readCacheEntry(
  file: string,
  expectedBytes: number,
): { data: Buffer } | { problem?: string } {
  if (!existsSync(file)) return {};
  const meta = readMeta(file);
  if (typeof meta === 'string') return { problem: meta };
  let data: Buffer;
  try {
    data = readFileSync(file);
  } catch (e) {
    return { problem: `it cannot be read (${(e as NodeJS.ErrnoException).code ?? 'error'})` };
  }
  if (data.byteLength !== meta.bytes || meta.bytes !== expectedBytes)
    return { problem: `it holds ${data.byteLength} bytes, expected ${expectedBytes}` };
  if (sha256(data) !== meta.sha256) return { problem: 'its checksum does not match (corrupted)' };
  return { data };
}

export interface CacheEntryInfo {
  file: string;
  bytes: number;
  description?: string;
  createdAt?: string;
  /** 'ok', or why the entry would be recomputed. */
  status: string;
}

/** The entries in `dir` (data files with or without a sidecar), checked. */
export function listCacheEntries(dir: string): CacheEntryInfo[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((n) => !n.endsWith('.json') && !/\.tmp-\d+$/.test(n))
    .sort()
    .map((name) => {
      const file = join(dir, name);
      const meta = readMeta(file);
      const bytes = statSync(file).size;
      const checked =
        typeof meta === 'string' ? { problem: meta } : readCacheEntry(file, meta.bytes);
      return {
        file,
        bytes,
        description: typeof meta === 'string' ? undefined : meta.description,
        createdAt: typeof meta === 'string' ? undefined : meta.createdAt,
        status: 'data' in checked ? 'ok' : `corrupt: ${checked.problem}`,
      };
    });
}

/** Removes every entry, sidecar and temporary leftover in `dir`; returns the bytes freed. */
export function clearCacheEntries(dir: string): { files: number; bytes: number } {
  if (!existsSync(dir)) return { files: 0, bytes: 0 };
  let files = 0;
  let bytes = 0;
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (!statSync(path).isFile()) continue;
    bytes += statSync(path).size;
    rmSync(path, { force: true });
    files++;
  }
  return { files, bytes };
}
