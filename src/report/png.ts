// A minimal PNG encoder (8-bit grayscale or RGB, no filtering, zlib via node:zlib) for the
// report's image grid, and the step from a dataset row back to pixels. No interlacing, no alpha.
// Kept by hand on purpose: the report builds its page synchronously and must not fail to load a
// native module for a thumbnail; sharp (installed) encodes only asynchronously through libvips.
// Its output is checked against sharp's decoder in png.test.ts.
import { deflateSync } from 'node:zlib';

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32 (ISO 3309, as PNG chunks use). */
export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'latin1');
  out.set(data, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

export interface RasterImage {
  width: number;
  height: number;
  /** 1 = grayscale, 3 = RGB. */
  channels: 1 | 3;
  /** Row-major [height, width, channels] bytes. */
  pixels: Uint8Array;
}

export function encodePng(image: RasterImage): Buffer {
  const { width, height, channels, pixels } = image;
  const stride = width * channels;
  if (pixels.length !== stride * height)
    throw new RangeError(`expected ${stride * height} bytes for ${width}×${height}×${channels}`);
  const raw = new Uint8Array((stride + 1) * height); // each row: filter byte 0, then pixels
  for (let y = 0; y < height; y++)
    raw.set(pixels.subarray(y * stride, (y + 1) * stride), y * (stride + 1) + 1);
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = channels === 1 ? 0 : 2; // colour type: grayscale | truecolour
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', new Uint8Array(0)),
  ]);
}

/**
 * Example `index` of a flat feature array as an image, if the input shape is one ([h, w],
 * [h, w, 1] or [h, w, 3]); features are scaled by the example's own min and max.
 */
export function exampleImage(
  x: Float32Array,
  index: number,
  inputShape: number[],
): RasterImage | undefined {
  const [height, width, channels = 1] = inputShape;
  if (inputShape.length < 2 || inputShape.length > 3 || (channels !== 1 && channels !== 3))
    return undefined;
  const size = height * width * channels;
  const values = x.subarray(index * size, (index + 1) * size);
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    min = Math.min(min, v);
    max = Math.max(max, v);
  }
  // Data already in [0, 1] (as the image loaders give) keeps its contrast.
  if (min >= 0 && max <= 1) [min, max] = [0, 1];
  const range = max - min || 1;
  const pixels = new Uint8Array(size);
  for (let i = 0; i < size; i++) pixels[i] = Math.round((255 * (values[i] - min)) / range);
  return { width, height, channels, pixels };
}

export const pngDataUri = (image: RasterImage) =>
  `data:image/png;base64,${encodePng(image).toString('base64')}`;
