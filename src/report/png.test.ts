// The PNG encoder: known CRC values, a valid chunk layout whose pixels inflate back, and dataset
// rows turned into images only when the input shape is one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inflateSync } from 'node:zlib';
import { crc32, encodePng, exampleImage, pngDataUri } from './png.ts';

test('crc32 matches the standard check value and the IEND chunk', () => {
  assert.equal(crc32(new TextEncoder().encode('123456789')), 0xcbf43926);
  assert.equal(crc32(new TextEncoder().encode('IEND')), 0xae426082);
});

test('a grayscale image encodes to signature, IHDR, IDAT, IEND with its pixels', () => {
  const pixels = Uint8Array.from({ length: 6 }, (_, i) => i * 40); // 3 wide, 2 high
  const png = encodePng({ width: 3, height: 2, channels: 1, pixels });
  assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const chunks: { type: string; data: Buffer }[] = [];
  for (let at = 8; at < png.length;) {
    const length = png.readUInt32BE(at);
    const type = png.toString('latin1', at + 4, at + 8);
    const data = png.subarray(at + 8, at + 8 + length);
    assert.equal(png.readUInt32BE(at + 8 + length), crc32(png.subarray(at + 4, at + 8 + length)));
    chunks.push({ type, data });
    at += 12 + length;
  }
  assert.deepEqual(
    chunks.map((c) => c.type),
    ['IHDR', 'IDAT', 'IEND'],
  );
  const ihdr = chunks[0].data;
  assert.deepEqual([ihdr.readUInt32BE(0), ihdr.readUInt32BE(4), ihdr[8], ihdr[9]], [3, 2, 8, 0]);
  // Each row: filter byte 0, then the row's pixels.
  assert.deepEqual([...inflateSync(chunks[1].data)], [0, 0, 40, 80, 0, 120, 160, 200]);
});

test('wrong pixel count throws', () => {
  assert.throws(
    () => encodePng({ width: 2, height: 2, channels: 3, pixels: new Uint8Array(4) }),
    /expected 12 bytes/,
  );
});

test('dataset rows become images only for image input shapes', () => {
  const x = new Float32Array([0, 0.5, 1, 0.25, /* second example */ 1, 1, 0, 0]);
  const image = exampleImage(x, 1, [2, 2, 1])!;
  assert.deepEqual([...image.pixels], [255, 255, 0, 0]);
  assert.deepEqual([image.width, image.height, image.channels], [2, 2, 1]);
  // Values outside [0, 1] are scaled by the example's own range.
  assert.deepEqual([...exampleImage(new Float32Array([-1, 1]), 0, [1, 2])!.pixels], [0, 255]);
  assert.equal(exampleImage(x, 0, [4]), undefined); // a feature vector, not an image
  assert.equal(exampleImage(x, 0, [1, 2, 2]), undefined); // 2 channels: not an image
  assert.match(pngDataUri(image), /^data:image\/png;base64,iVBORw0KGgo/);
});

test('a maintained decoder (sharp/libvips) reads our PNGs back pixel for pixel', async () => {
  const { default: sharp } = await import('sharp');
  for (const channels of [1, 3] as const) {
    const width = 7;
    const height = 5;
    const pixels = Uint8Array.from({ length: width * height * channels }, (_, i) => (i * 37) % 256);
    const png = encodePng({ width, height, channels, pixels });
    const meta = await sharp(png).metadata();
    assert.deepEqual(
      [meta.format, meta.width, meta.height, meta.channels],
      ['png', width, height, channels],
    );
    const decoded = await sharp(png)
      .toColourspace(channels === 1 ? 'b-w' : 'srgb')
      .raw()
      .toBuffer({ resolveWithObject: true });
    assert.equal(decoded.info.channels, channels);
    assert.deepEqual([...decoded.data], [...pixels]);
  }
});
