// The demo page's inputs for any dataset, as plain JS (browser and Node; no DOM), driven by the
// run's recorded input spec (src/data/spec.ts): an image of any size becomes the model's
// [height, width, channels] input with the run's fit, channels and scale; a table row is encoded
// with the training split's mean/std and vocabularies; token inputs come from the tokenizer module.
// Resizing is written here (not the browser's canvas scaling), so every browser gives the same
// bytes, following what libvips does under sharp's default kernel (see resampleWeights; the gap
// to sharp on real images is measured in inputs.test.ts). Leaves out: EXIF
// orientation, ICC profiles, and images of 'inside'/'outside' fit that are not square.

/** Lanczos window a = 3. */
const LOBES = 3;

function lanczos(x) {
  if (x === 0) return 1;
  if (x <= -LOBES || x >= LOBES) return 0;
  const px = Math.PI * x;
  return (LOBES * Math.sin(px) * Math.sin(px / LOBES)) / (px * px);
}

/** Catmull-Rom cubic (B = 0, C = 0.5): libvips' bicubic interpolator. */
function catmullRom(x) {
  const a = Math.abs(x);
  if (a < 1) return 1.5 * a * a * a - 2.5 * a * a + 1;
  if (a < 2) return -0.5 * a * a * a + 2.5 * a * a - 4 * a + 2;
  return 0;
}

/**
 * Per output index: the first source index and the weights of a 1-D resampling from `src` to
 * `dst` samples (`scale` source pixels per output pixel: src/dst unless the aspect ratio is kept,
 * when both axes share one factor), edges clamped, chosen as libvips 8.18 (sharp 0.35) does, found by measurement:
 * shrinking uses Lanczos-3 widened by src/dst (anti-aliasing) with pixel centres at +0.5;
 * enlarging uses Catmull-Rom cubic with output pixel d at source index d·src/dst − 0.5.
 * @returns {{ start: number, weights: Float64Array }[]}
 */
export function resampleWeights(src, dst, scale = src / dst) {
  // An axis that keeps its size is copied (sharp does not resample it).
  if (src === dst && scale === 1)
    return Array.from({ length: dst }, (_, d) => ({ start: d, weights: Float64Array.of(1) }));
  const shrink = scale > 1;
  const stretch = shrink ? scale : 1;
  const support = shrink ? LOBES * scale : 2;
  const kernel = shrink ? (x) => lanczos(x / stretch) : catmullRom;
  const out = [];
  for (let d = 0; d < dst; d++) {
    const centre = shrink ? (d + 0.5) * scale - 0.5 : d * scale - 0.5; // in source indices
    const start = Math.floor(centre - support);
    const end = Math.ceil(centre + support) + 1;
    const weights = new Float64Array(end - start);
    let sum = 0;
    for (let s = start; s < end; s++) {
      const w = kernel(s - centre);
      weights[s - start] = w;
      sum += w;
    }
    for (let k = 0; k < weights.length; k++) weights[k] /= sum;
    out.push({ start, weights });
  }
  return out;
}

/** Separable resampling of float planes [h, w, c] → [th, tw, c] (values not clamped). */
function resample(pixels, w, h, c, tw, th, xScale, yScale) {
  const cols = resampleWeights(w, tw, xScale);
  const rows = resampleWeights(h, th, yScale);
  const clampX = (x) => (x < 0 ? 0 : x >= w ? w - 1 : x);
  const clampY = (y) => (y < 0 ? 0 : y >= h ? h - 1 : y);
  const wide = new Float64Array(h * tw * c); // [h, tw, c]
  for (let y = 0; y < h; y++)
    for (let x = 0; x < tw; x++) {
      const { start, weights } = cols[x];
      for (let k = 0; k < c; k++) {
        let sum = 0;
        for (let i = 0; i < weights.length; i++)
          sum += weights[i] * pixels[(y * w + clampX(start + i)) * c + k];
        wide[(y * tw + x) * c + k] = sum;
      }
    }
  const out = new Float64Array(th * tw * c); // [th, tw, c]
  for (let y = 0; y < th; y++) {
    const { start, weights } = rows[y];
    for (let x = 0; x < tw; x++)
      for (let k = 0; k < c; k++) {
        let sum = 0;
        for (let i = 0; i < weights.length; i++)
          sum += weights[i] * wide[(clampY(start + i) * tw + x) * c + k];
        out[(y * tw + x) * c + k] = sum;
      }
  }
  return out;
}

const toLinear = (v) => {
  const x = v / 255;
  return x <= 0.04045 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4;
};
const toSrgb = (y) => 255 * (y <= 0.0031308 ? 12.92 * y : 1.055 * y ** (1 / 2.4) - 0.055);

/**
 * Gray of an sRGB pixel as sharp's grayscale() gives it (libvips' sRGB → b-w): Rec. 709 luma
 * taken in linear light, then encoded back to sRGB (checked against sharp: red → 127).
 */
export function grayOf(r, g, b) {
  if (r === g && g === b) return r;
  return toSrgb(0.2126 * toLinear(r) + 0.7152 * toLinear(g) + 0.0722 * toLinear(b));
}

/**
 * Decoded RGBA pixels (a canvas' ImageData, any size) → the model's uint8 image [h, w, channels]:
 * alpha dropped (sharp's removeAlpha), gray as grayOf or gray replicated to RGB, fitted
 * like sharp's `fit` (cover = scale to cover and crop the centre; contain = scale to fit and pad
 * with black; fill = stretch; inside/outside as contain/cover), resampled as in resampleWeights.
 * Measured against sharp on real MNIST PNGs in inputs.test.ts (the gap is stated there).
 * @param {ArrayLike<number>} rgba [height * width * 4]
 * @param {{ size: [number, number], channels: 1 | 3, fit?: string }} pre the run's preprocessing
 * @returns {Uint8Array} [size[0] * size[1] * channels]
 */
export function resizeImage(rgba, width, height, pre) {
  const [th, tw] = pre.size;
  const c = pre.channels;
  // Resized in RGB, made gray after (sharp converts the colourspace after resizing).
  const planes = new Float64Array(width * height * 3); // [height, width, 3]
  for (let i = 0; i < width * height; i++)
    planes.set([rgba[4 * i], rgba[4 * i + 1], rgba[4 * i + 2]], 3 * i);
  const fit = pre.fit ?? 'cover';
  let [rw, rh, xScale, yScale] = [tw, th, width / tw, height / th];
  if (fit !== 'fill') {
    const cover = fit === 'cover' || fit === 'outside';
    const scale = (cover ? Math.max : Math.min)(tw / width, th / height);
    rw = Math.max(1, Math.round(width * scale));
    rh = Math.max(1, Math.round(height * scale));
    // Enlarging samples both axes with the one factor; shrinking reduces each axis by its own
    // ratio (what matched sharp on non-square images).
    xScale = scale > 1 ? 1 / scale : width / rw;
    yScale = scale > 1 ? 1 / scale : height / rh;
  }
  const resized = resample(planes, width, height, 3, rw, rh, xScale, yScale); // [rh, rw, 3]
  // Crop (cover) or pad (contain) the centre window of th × tw; an odd margin puts its extra
  // pixel before the image when cropping and after it when padding, as sharp does (measured).
  const left = Math.ceil((rw - tw) / 2);
  const top = Math.ceil((rh - th) / 2);
  const out = new Uint8Array(th * tw * c);
  for (let y = 0; y < th; y++) {
    const sy = y + top;
    if (sy < 0 || sy >= rh) continue;
    for (let x = 0; x < tw; x++) {
      const sx = x + left;
      if (sx < 0 || sx >= rw) continue;
      const at = (sy * rw + sx) * 3;
      const clamp = (v) => (v < 0 ? 0 : v > 255 ? 255 : v);
      if (c === 1) {
        const [r, g, b] = [0, 1, 2].map((k) => clamp(resized[at + k]));
        out[y * tw + x] = Math.round(grayOf(r, g, b));
      } else
        for (let k = 0; k < 3; k++) out[(y * tw + x) * 3 + k] = Math.round(clamp(resized[at + k]));
    }
  }
  return out;
}

/**
 * uint8 image bytes → the float input the model was trained on: × scale, then the optional
 * per-channel mean / std (the loaders' order), in the recorded layout (hwc unless 'chw').
 * @returns {Float32Array}
 */
export function pixelsToInput(bytes, pre) {
  const [h, w] = pre.size;
  const c = pre.channels;
  const per = h * w * c;
  const out = new Float32Array(bytes.length);
  for (let n = 0; n < bytes.length / per; n++)
    // one example, or several back to back
    for (let i = 0; i < h * w; i++)
      for (let k = 0; k < c; k++) {
        let v = bytes[n * per + i * c + k] * pre.scale;
        if (pre.mean) v -= pre.mean[k];
        if (pre.std) v /= pre.std[k];
        out[n * per + (pre.layout === 'chw' ? k * h * w + i : i * c + k)] = v;
      }
  return out;
}

/**
 * A table row (column name → number or category string) → the model's float features:
 * numeric (v − mean) / std (missing → 0), categorical one-hot over the vocabulary (unknown → zeros).
 * @param {Record<string, unknown>} values
 * @param {{ name: string, type: 'numeric' | 'categorical', mean?: number, std?: number, vocabulary?: string[] }[]} columns
 * @returns {Float32Array}
 */
export function encodeRow(values, columns) {
  const out = [];
  for (const column of columns) {
    const v = values[column.name];
    if (column.type === 'numeric') {
      // Missing → the training mean → 0, as the loader does.
      const missing = v === undefined || v === null || String(v).trim() === '';
      const x = missing ? column.mean : Number(v);
      if (!Number.isFinite(x)) throw new Error(`${column.name}: expected a number, got '${v}'`);
      out.push((x - column.mean) / column.std);
    } else {
      for (const word of column.vocabulary) out.push(String(v) === word ? 1 : 0);
    }
  }
  return Float32Array.from(out);
}

/** The inverse of encodeRow, to show a test row in the form: numbers and category names. */
export function decodeRow(features, columns) {
  const values = {};
  let i = 0;
  for (const column of columns) {
    if (column.type === 'numeric') {
      values[column.name] = features[i++] * column.std + column.mean;
    } else {
      const n = column.vocabulary.length;
      let best = -1;
      for (let k = 0; k < n; k++) if (features[i + k] > 0.5) best = k;
      values[column.name] = best < 0 ? '' : column.vocabulary[best];
      i += n;
    }
  }
  return values;
}

/** Width of the encoded row (numeric 1, categorical its vocabulary size). */
export const encodedWidth = (columns) =>
  columns.reduce((a, c) => a + (c.type === 'numeric' ? 1 : c.vocabulary.length), 0);
