// The PNG encoding (pngjs): the header it writes, pixels read back by an independent decoder
// (sharp/libvips), and dataset rows turned into images only when the input shape is one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodePng, exampleImage, pngDataUri } from './png.ts';

test('a grayscale image is an 8-bit, colour type 0 PNG of its size (no alpha added)', () => {
  const pixels = Uint8Array.from({ length: 6 }, (_, i) => i * 40); // 3 wide, 2 high
  const png = encodePng({ width: 3, height: 2, channels: 1, pixels });
  assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  assert.equal(png.toString('latin1', 12, 16), 'IHDR'); // the first chunk
  assert.deepEqual([png.readUInt32BE(16), png.readUInt32BE(20), png[24], png[25]], [3, 2, 8, 0]);
  const rgb = encodePng({ width: 1, height: 1, channels: 3, pixels: new Uint8Array(3) });
  assert.equal(rgb[25], 2); // truecolour
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
