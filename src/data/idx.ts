// IDX file parser (the format of MNIST and Fashion-MNIST: LeCun et al.). Validates the magic
// number, element type, dimensions and exact file length; gzipped files are detected and inflated.
// Leaves out: streaming (files are read whole; the largest MNIST file is 47 MB).
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { dataError } from '../errors.ts';

export interface IdxArray {
  dims: number[];
  data: Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;
}

const TYPES: Record<number, { name: string; bytes: number }> = {
  0x08: { name: 'uint8', bytes: 1 },
  0x09: { name: 'int8', bytes: 1 },
  0x0b: { name: 'int16', bytes: 2 },
  0x0c: { name: 'int32', bytes: 4 },
  0x0d: { name: 'float32', bytes: 4 },
  0x0e: { name: 'float64', bytes: 8 },
};

/** Parses IDX bytes; `file` names the source in error messages. */
export function parseIdx(bytes: Uint8Array, file: string): IdxArray {
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      bytes = gunzipSync(bytes);
    } catch (e) {
      throw dataError(
        `${file}: corrupt gzip data (${(e as Error).message}); re-install the dataset`,
      );
    }
  }
  if (bytes.length < 4) {
    throw dataError(`${file}: ${bytes.length} bytes is too short for an IDX header (needs >= 4)`);
  }
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    throw dataError(
      `${file}: not an IDX file (magic starts ${hex(bytes[0])} ${hex(bytes[1])}, expected 0x00 0x00)`,
    );
  }
  const type = TYPES[bytes[2]];
  if (!type) {
    throw dataError(
      `${file}: unknown IDX element type ${hex(bytes[2])} (expected one of 0x08 0x09 0x0b 0x0c 0x0d 0x0e)`,
    );
  }
  const rank = bytes[3];
  if (rank < 1) throw dataError(`${file}: IDX header declares 0 dimensions`);
  const headerBytes = 4 + 4 * rank;
  if (bytes.length < headerBytes) {
    throw dataError(
      `${file}: truncated header: ${rank} dimensions need ${headerBytes} bytes, file has ${bytes.length}`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims: number[] = [];
  for (let i = 0; i < rank; i++) dims.push(view.getUint32(4 + 4 * i, false));
  const count = dims.reduce((a, b) => a * b, 1);
  const expected = headerBytes + count * type.bytes;
  if (bytes.length !== expected) {
    throw dataError(
      `${file}: ${bytes.length < expected ? 'truncated' : 'has trailing bytes'}: dimensions [${dims.join(', ')}] of ${type.name} need ${expected} bytes, file has ${bytes.length}`,
    );
  }
  return { dims, data: decode(view, headerBytes, count, bytes[2]) };
}

/** Reads and parses an IDX file (plain or .gz). */
export function readIdx(path: string): IdxArray {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw dataError(
      `cannot read ${path}: ${code === 'ENOENT' ? 'no such file (ENOENT)' : (code ?? (e as Error).message)}`,
    );
  }
  return parseIdx(bytes, path);
}

function decode(view: DataView, offset: number, count: number, code: number): IdxArray['data'] {
  const start = view.byteOffset + offset;
  switch (code) {
    case 0x08:
      return new Uint8Array(view.buffer.slice(start, start + count));
    case 0x09:
      return new Int8Array(view.buffer.slice(start, start + count));
  }
  // Multi-byte IDX values are big-endian: decode element by element.
  const read = {
    0x0b: (i: number) => view.getInt16(offset + 2 * i, false),
    0x0c: (i: number) => view.getInt32(offset + 4 * i, false),
    0x0d: (i: number) => view.getFloat32(offset + 4 * i, false),
    0x0e: (i: number) => view.getFloat64(offset + 8 * i, false),
  }[code]!;
  const out =
    code === 0x0b
      ? new Int16Array(count)
      : code === 0x0c
        ? new Int32Array(count)
        : code === 0x0d
          ? new Float32Array(count)
          : new Float64Array(count);
  for (let i = 0; i < count; i++) out[i] = read(i);
  return out;
}

const hex = (b: number) => '0x' + b.toString(16).padStart(2, '0');
