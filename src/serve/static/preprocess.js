// MNIST-style preprocessing of a drawing (browser and Node; no DOM): ink intensities of any size
// → a 28×28 float input. As LeCun et al. describe MNIST: the ink's bounding box is scaled, keeping
// its aspect ratio, so that its longer side is 20 px (area averaging, hence grey edges), then
// placed in a 28×28 field with its centre of mass on the field's centre (whole-pixel shift).
// Leaves out: deslanting and stroke-width normalisation (MNIST does neither).

export const SIZE = 28;
export const BOX = 20;
/** Ink below this (0..255) does not count towards the bounding box. */
export const INK_THRESHOLD = 8;

/**
 * @param {ArrayLike<number>} ink intensities 0..255, row-major [height, width] (e.g. canvas alpha)
 * @param {number} width
 * @param {number} height
 * @returns {Float32Array | null} [28 * 28] values in [0, 1], or null when there is no ink
 */
export function toMnistInput(ink, width, height) {
  // 1. Bounding box of the ink.
  let x0 = width;
  let y0 = height;
  let x1 = -1;
  let y1 = -1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (ink[y * width + x] >= INK_THRESHOLD) {
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
        if (y < y0) y0 = y;
        if (y > y1) y1 = y;
      }
    }
  }
  if (x1 < 0) return null;
  const w = x1 - x0 + 1;
  const h = y1 - y0 + 1;

  // 2. Scale the box so that its longer side is 20 px, by area averaging (separable).
  const scale = BOX / Math.max(w, h);
  const tw = Math.max(1, Math.min(BOX, Math.round(w * scale)));
  const th = Math.max(1, Math.min(BOX, Math.round(h * scale)));
  const cols = areaWeights(w, tw);
  const rows = areaWeights(h, th);
  const wide = new Float32Array(h * tw); // [h, tw]: rows of the box, columns resampled
  for (let y = 0; y < h; y++) {
    const row = (y0 + y) * width + x0;
    for (let tx = 0; tx < tw; tx++) {
      let sum = 0;
      for (const [sx, weight] of cols[tx]) sum += weight * ink[row + sx];
      wide[y * tw + tx] = sum;
    }
  }
  const small = new Float32Array(th * tw); // [th, tw], 0..1
  for (let ty = 0; ty < th; ty++) {
    for (let tx = 0; tx < tw; tx++) {
      let sum = 0;
      for (const [sy, weight] of rows[ty]) sum += weight * wide[sy * tw + tx];
      small[ty * tw + tx] = Math.min(1, sum / 255);
    }
  }

  // 3. Centre of mass (pixel centres at +0.5) onto the centre of the 28×28 field.
  let mass = 0;
  let mx = 0;
  let my = 0;
  for (let y = 0; y < th; y++) {
    for (let x = 0; x < tw; x++) {
      const v = small[y * tw + x];
      mass += v;
      mx += v * (x + 0.5);
      my += v * (y + 0.5);
    }
  }
  const dx = Math.round(SIZE / 2 - mx / mass);
  const dy = Math.round(SIZE / 2 - my / mass);
  const out = new Float32Array(SIZE * SIZE);
  for (let y = 0; y < th; y++) {
    const oy = y + dy;
    if (oy < 0 || oy >= SIZE) continue;
    for (let x = 0; x < tw; x++) {
      const ox = x + dx;
      if (ox >= 0 && ox < SIZE) out[oy * SIZE + ox] = small[y * tw + x];
    }
  }
  return out;
}

/**
 * For each of `dst` output cells, the source cells it covers and their weights (the covered
 * fraction of each source cell, normalised so that the weights of one output cell sum to 1).
 * @returns {[number, number][][]}
 */
export function areaWeights(src, dst) {
  const step = src / dst; // source cells per output cell
  const out = [];
  for (let d = 0; d < dst; d++) {
    const start = d * step;
    const end = start + step;
    const cells = [];
    for (let s = Math.floor(start); s < Math.min(src, Math.ceil(end)); s++) {
      const covered = Math.min(end, s + 1) - Math.max(start, s);
      if (covered > 1e-9) cells.push([s, covered / step]);
    }
    out.push(cells);
  }
  return out;
}

/** Probabilities from logits, stable for large values. */
export function softmax(logits) {
  const max = Math.max(...logits);
  const exps = logits.map((v) => Math.exp(v - max));
  const sum = exps.reduce((a, b) => a + b, 0);
  return exps.map((e) => e / sum);
}

/** Median of a list of numbers. */
export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}
