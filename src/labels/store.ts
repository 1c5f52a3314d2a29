// The logit store: a teacher's logits over a dataset, in shards of a fixed number of rows, under a
// manifest naming the teacher identity, the data identity and preprocessing. The store is
// content-addressed twice: its key hashes all of these, every shard carries the key and a SHA-256
// of its payload, so a shard of another store, a truncated or edited one is never read; and each
// row is addressed by its own digest (rows.bin, 16 bytes a row, src/data/record-hash.ts; the data
// identity is the hash of that list), so a trainer finds its rows in a store labelled on a
// superset of them or in another order (teacher-logits.ts). v1 stores (no rows.bin) are refused.
// Publishing is atomic and exclusive (write a temp file, then link(2) it to the final name, which
// fails if it exists): two workers racing on one shard publish it once, and the loser checks that
// its bytes are the same. Values are float16 by default (float32 optional); top-k keeps the k
// largest logits per row plus one fill logit that spreads the remaining probability uniformly.
// Leaves out: compression, object stores (S3): the folder must be shared by the workers (NFS).
import { createHash, randomBytes } from 'node:crypto';
import {
  existsSync,
  linkSync,
  mkdirSync,
  readFileSync,
  statSync,
  unlinkSync,
  writeFileSync,
  fsyncSync,
  openSync,
  closeSync,
  renameSync,
} from 'node:fs';
import { join } from 'node:path';
import { ioError, usageError, dataError } from '../errors.ts';
import { writeAtomic } from '../io/atomic.ts';
import { decodeFloat16, encodeFloat16 } from '../export/quantize.ts';
import type { TeacherRecord } from '../teachers/teacher.ts';
import { ROW_HASH_BYTES, rowsHash } from '../data/record-hash.ts';

export const STORE_FORMAT = 'distillery-logits';
export const STORE_VERSION = 2;

export interface StoreData {
  /** 'mnist', the JSONL path, … */
  name: string;
  /** 'train', 'validation', 'test' or 'file' (every record of a file, in order). */
  split: string;
  count: number;
  /** Hash of the per-row digests in order (rowsHash of rows.bin; src/data/record-hash.ts). */
  hash: string;
  /** Class names of the rows' labels, in class-index order (labels are part of the digests). */
  classNames?: string[];
  preprocessing: string;
  /** 'tensor' rows (features) or 'text' rows (records read by an LLM teacher). */
  rows: 'tensor' | 'text';
}

export interface StoreSettings {
  dtype: 'float16' | 'float32';
  /** Keep only the k largest logits per row (plus a fill logit); undefined = dense. */
  topK?: number;
  shardSize: number;
}

export interface StoreManifest extends StoreSettings {
  format: typeof STORE_FORMAT;
  version: number;
  /** Hash of teacher identity, data identity and settings: the store's address. */
  key: string;
  teacher: { identity: string; record: TeacherRecord };
  data: StoreData;
  classes: number;
  shards: number;
  createdAt: string;
}

/** The manifest a teacher + data + settings define (its key is their hash). */
export function storeManifest(
  teacher: { identity: string; record: TeacherRecord; classes: number },
  data: StoreData,
  settings: StoreSettings,
): StoreManifest {
  const { dtype, topK, shardSize } = settings;
  if (!Number.isInteger(shardSize) || shardSize < 1)
    throw usageError(`--shard-size must be a whole number >= 1, got ${shardSize}`);
  if (topK !== undefined && (!Number.isInteger(topK) || topK < 1 || topK >= teacher.classes))
    throw usageError(`--top-k must be between 1 and ${teacher.classes - 1} classes, got ${topK}`);
  const key = createHash('sha256')
    .update(
      JSON.stringify([
        STORE_VERSION,
        teacher.identity,
        teacher.classes,
        data.hash,
        data.count,
        data.preprocessing,
        dtype,
        topK ?? 0,
        shardSize,
      ]),
    )
    .digest('hex')
    .slice(0, 32);
  return {
    format: STORE_FORMAT,
    version: STORE_VERSION,
    key,
    teacher: { identity: teacher.identity, record: teacher.record },
    data,
    classes: teacher.classes,
    dtype,
    topK,
    shardSize,
    shards: Math.ceil(data.count / shardSize),
    createdAt: new Date().toISOString(),
  };
}

const manifestPath = (dir: string) => join(dir, 'manifest.json');
const rowsPath = (dir: string) => join(dir, 'rows.bin');
const shardsDir = (dir: string) => join(dir, 'shards');
export const shardPath = (dir: string, index: number) =>
  join(shardsDir(dir), `${String(index).padStart(6, '0')}.bin`);

/** Reads a store's manifest, or a one-line error saying what the folder is not. */
export function readManifest(dir: string): StoreManifest {
  const path = manifestPath(dir);
  if (!existsSync(path))
    throw usageError(
      `${dir} is not a logit store (no manifest.json): write one with 'distillery label'`,
    );
  let manifest: StoreManifest;
  try {
    manifest = JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    throw ioError(`${path} is not valid JSON: delete the store and label again`);
  }
  if (manifest.format === STORE_FORMAT && manifest.version === 1)
    throw usageError(
      `${dir} is a v1 logit store (no per-row digests), which this Distillery no longer reads: label the data again into a new --out`,
    );
  if (manifest.format !== STORE_FORMAT || manifest.version !== STORE_VERSION)
    throw usageError(
      `${dir}: a ${manifest.format ?? 'unknown'} v${manifest.version} store; this Distillery reads ${STORE_FORMAT} v${STORE_VERSION}`,
    );
  return manifest;
}

/**
 * Creates the store folder with `manifest` and its rows' digests (`rowHashes`, [count × 16], the
 * list whose rowsHash is manifest.data.hash), or reuses it when it holds the same store (resume);
 * refuses a folder holding another teacher's or data's logits. rows.bin is written before the
 * manifest: a folder with a manifest has its rows.
 */
export function openStore(
  dir: string,
  manifest: StoreManifest,
  rowHashes: Uint8Array,
): StoreManifest {
  if (existsSync(manifestPath(dir))) {
    const existing = readManifest(dir);
    if (existing.key !== manifest.key) {
      const what =
        existing.teacher.identity !== manifest.teacher.identity
          ? `teacher ${existing.teacher.record.source}`
          : existing.data.hash !== manifest.data.hash
            ? `other data (${existing.data.name} ${existing.data.split}, ${existing.data.count} rows)`
            : `other settings (${existing.dtype}, top-k ${existing.topK ?? 'off'}, shards of ${existing.shardSize})`;
      throw usageError(
        `${dir} holds logits of ${what}: choose another --out or delete that folder`,
      );
    }
    mkdirSync(shardsDir(dir), { recursive: true });
    return existing;
  }
  if (rowHashes.byteLength !== manifest.data.count * ROW_HASH_BYTES)
    throw dataError(
      `${rowHashes.byteLength / ROW_HASH_BYTES} row digests for ${manifest.data.count} rows`,
    );
  if (rowsHash(rowHashes) !== manifest.data.hash)
    throw dataError(`the row digests do not hash to the store's data identity`);
  mkdirSync(shardsDir(dir), { recursive: true });
  writeAtomic(rowsPath(dir), rowHashes);
  writeAtomic(manifestPath(dir), JSON.stringify(manifest, null, 2));
  return manifest;
}

/** The digests of the store's rows, [count × 16] in store order, checked against the manifest. */
export function readRowHashes(dir: string, manifest: StoreManifest): Uint8Array {
  const path = rowsPath(dir);
  if (!existsSync(path))
    throw ioError(`${dir} has no rows.bin (the digests of its rows): label the data again`);
  const bytes = new Uint8Array(readFileSync(path));
  if (
    bytes.byteLength !== manifest.data.count * ROW_HASH_BYTES ||
    rowsHash(bytes) !== manifest.data.hash
  )
    throw ioError(`${path} does not match the store's manifest (edited or truncated): label again`);
  return bytes;
}

/** Rows [start, end) of shard `index`. */
export function shardRange(manifest: StoreManifest, index: number): { start: number; end: number } {
  const start = index * manifest.shardSize;
  return { start, end: Math.min(manifest.data.count, start + manifest.shardSize) };
}

// Shard layout: a 64-byte header, then the payload.
//   0 magic 'DLGT' | 4 version | 8 index | 12 start | 16 count | 20 classes | 24 topK (0 = dense)
//   28 dtype (0 f32, 1 f16) | 32 store key (16 bytes) | 48 payload SHA-256, first 16 bytes
// Payload: dense [count, classes] values; top-k: [count, k] uint32 class indices, [count, k]
// values, [count] fill values.
const HEADER = 64;
const MAGIC = 0x54474c44; // 'DLGT' little-endian

function payloadSize(manifest: StoreManifest, count: number): number {
  const bytes = manifest.dtype === 'float16' ? 2 : 4;
  const k = manifest.topK;
  return k === undefined
    ? count * manifest.classes * bytes
    : count * k * 4 + count * k * bytes + count * bytes;
}

/** Shard bytes of `logits` ([count, classes] row-major) for shard `index`. */
export function encodeShard(
  manifest: StoreManifest,
  index: number,
  logits: Float32Array,
): Uint8Array {
  const { start, end } = shardRange(manifest, index);
  const count = end - start;
  const { classes, topK } = manifest;
  if (logits.length !== count * classes)
    throw dataError(`shard ${index}: ${logits.length} values for ${count}×${classes} logits`);
  let values: Float32Array;
  let indices: Uint32Array | undefined;
  if (topK === undefined) values = logits;
  else {
    indices = new Uint32Array(count * topK);
    values = new Float32Array(count * topK + count);
    for (let r = 0; r < count; r++) {
      const row = logits.subarray(r * classes, (r + 1) * classes);
      const order = Array.from(row.keys()).sort((a, b) => row[b] - row[a] || a - b);
      let max = -Infinity;
      for (const v of row) max = Math.max(max, v);
      let total = 0;
      for (const v of row) total += Math.exp(v - max);
      let kept = 0;
      for (let j = 0; j < topK; j++) {
        indices[r * topK + j] = order[j];
        values[r * topK + j] = row[order[j]];
        kept += Math.exp(row[order[j]] - max);
      }
      // The other classes share the remaining probability mass uniformly.
      const rest = Math.max((total - kept) / total, 1e-30) / (classes - topK);
      values[count * topK + r] = Math.max(-65000, max + Math.log(total) + Math.log(rest));
    }
  }
  let payload: Uint8Array;
  if (manifest.dtype === 'float16') {
    for (let i = 0; i < values.length; i++)
      if (!(Math.abs(values[i]) <= 65504))
        throw dataError(
          `shard ${index}: logit ${values[i]} does not fit float16 (|x| <= 65504): label with --dtype float32`,
        );
    const half = encodeFloat16(values);
    payload = new Uint8Array(half.buffer, half.byteOffset, half.byteLength);
  } else payload = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  const out = new Uint8Array(HEADER + payloadSize(manifest, count));
  let offset = HEADER;
  if (indices) {
    out.set(new Uint8Array(indices.buffer), offset);
    offset += indices.byteLength;
  }
  out.set(payload, offset);
  const view = new DataView(out.buffer);
  [
    MAGIC,
    STORE_VERSION,
    index,
    start,
    count,
    classes,
    topK ?? 0,
    manifest.dtype === 'float16' ? 1 : 0,
  ].forEach((v, i) => view.setUint32(i * 4, v, true));
  out.set(Buffer.from(manifest.key, 'hex').subarray(0, 16), 32);
  out.set(createHash('sha256').update(out.subarray(HEADER)).digest().subarray(0, 16), 48);
  return out;
}

/** Checks a shard's header and checksum; returns why it is unusable, or undefined if it is fine. */
export function checkShard(
  manifest: StoreManifest,
  index: number,
  bytes: Uint8Array,
): string | undefined {
  const { start, end } = shardRange(manifest, index);
  if (bytes.byteLength !== HEADER + payloadSize(manifest, end - start))
    return `has ${bytes.byteLength} bytes, expected ${HEADER + payloadSize(manifest, end - start)} (truncated?)`;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const fields = Array.from({ length: 8 }, (_, i) => view.getUint32(i * 4, true));
  const expected = [
    MAGIC,
    STORE_VERSION,
    index,
    start,
    end - start,
    manifest.classes,
    manifest.topK ?? 0,
    manifest.dtype === 'float16' ? 1 : 0,
  ];
  if (fields.some((v, i) => v !== expected[i])) return 'has a header of another shard or store';
  if (Buffer.from(bytes.subarray(32, 48)).toString('hex') !== manifest.key.slice(0, 32))
    return `belongs to another store`;
  const sum = createHash('sha256').update(bytes.subarray(HEADER)).digest().subarray(0, 16);
  if (!Buffer.from(bytes.subarray(48, 64)).equals(sum)) return 'fails its checksum (corrupted)';
  return undefined;
}

/** Dense [count, classes] float32 logits of a shard (top-k rows filled). */
export function decodeShard(
  manifest: StoreManifest,
  index: number,
  bytes: Uint8Array,
): Float32Array {
  const problem = checkShard(manifest, index, bytes);
  if (problem) throw ioError(`shard ${index} of the store ${problem}: label again to rewrite it`);
  const { start, end } = shardRange(manifest, index);
  const count = end - start;
  const { classes, topK } = manifest;
  const body = new Uint8Array(bytes.byteLength - HEADER); // an aligned copy (Buffers share a pool)
  body.set(bytes.subarray(HEADER));
  const readValues = (offset: number, n: number) =>
    manifest.dtype === 'float16'
      ? decodeFloat16(new Uint16Array(body.buffer, offset, n))
      : new Float32Array(body.buffer, offset, n);
  if (topK === undefined) return Float32Array.from(readValues(0, count * classes));
  const indices = new Uint32Array(body.buffer, 0, count * topK);
  const values = readValues(count * topK * 4, count * topK + count);
  const out = new Float32Array(count * classes);
  for (let r = 0; r < count; r++) {
    out.fill(values[count * topK + r], r * classes, (r + 1) * classes);
    for (let j = 0; j < topK; j++) out[r * classes + indices[r * topK + j]] = values[r * topK + j];
  }
  return out;
}

/**
 * Publishes shard bytes exactly once: temp file + link to the final name. Returns 'published', or
 * 'present' when another writer got there first with the same bytes; a different valid shard
 * already there is an error (the teacher is not deterministic), a broken one is replaced.
 */
export function publishShard(
  dir: string,
  manifest: StoreManifest,
  index: number,
  bytes: Uint8Array,
): 'published' | 'present' {
  const final = shardPath(dir, index);
  const temp = join(
    shardsDir(dir),
    `.tmp-${index}-${process.pid}-${randomBytes(4).toString('hex')}`,
  );
  const fd = openSync(temp, 'w');
  try {
    writeFileSync(fd, bytes);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(temp, final);
    return 'published';
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST')
      throw ioError(`cannot publish ${final}: ${(e as Error).message}`);
    const existing = readFileSync(final);
    if (Buffer.from(bytes).equals(existing)) return 'present';
    if (checkShard(manifest, index, existing) !== undefined) {
      renameSync(temp, final); // a broken shard (a crashed writer without link, an edit) is replaced
      return 'published';
    }
    throw dataError(
      `shard ${index} was already published with different logits: the teacher is not deterministic (same inputs, other outputs)`,
    );
  } finally {
    if (existsSync(temp)) unlinkSync(temp);
  }
}

/** Shard indices not yet published (or published broken: wrong size). */
export function missingShards(dir: string, manifest: StoreManifest): number[] {
  const missing: number[] = [];
  for (let i = 0; i < manifest.shards; i++) {
    const path = shardPath(dir, i);
    const { start, end } = shardRange(manifest, i);
    if (!existsSync(path) || statSync(path).size !== HEADER + payloadSize(manifest, end - start))
      missing.push(i);
  }
  return missing;
}

/** Every shard, verified, as one dense [count, classes] table (rows in data order). */
export function readStoreLogits(dir: string, manifest = readManifest(dir)): Float32Array {
  const missing = missingShards(dir, manifest);
  if (missing.length > 0)
    throw usageError(
      `${dir} is incomplete: ${missing.length} of ${manifest.shards} shards missing (e.g. ${missing[0]}); run the same 'distillery label' again to finish it`,
    );
  const out = new Float32Array(manifest.data.count * manifest.classes);
  for (let i = 0; i < manifest.shards; i++) {
    const { start } = shardRange(manifest, i);
    out.set(decodeShard(manifest, i, readFileSync(shardPath(dir, i))), start * manifest.classes);
  }
  return out;
}
