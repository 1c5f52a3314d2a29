// PNG images for the report's image grid, and the step from a dataset row back to pixels.
// Encoding is pngjs (pure JavaScript, synchronous: the report builds its page synchronously and
// must not load a native module for a thumbnail; sharp encodes only asynchronously through libvips).
// 8-bit grayscale or RGB, no alpha. The output is checked against sharp's decoder in png.test.ts.
import { PNG } from 'pngjs';

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
  const colorType = channels === 1 ? 0 : 2; // PNG colour type: grayscale | truecolour
  const png = new PNG({ width, height });
  png.data = Buffer.from(pixels.buffer, pixels.byteOffset, pixels.byteLength); // [h, w, c] bytes
  return PNG.sync.write(png, { colorType, inputColorType: colorType, inputHasAlpha: false });
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
