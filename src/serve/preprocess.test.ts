// The demo page's MNIST-style preprocessing (static/preprocess.js, plain browser JS) run in Node:
// a drawing becomes 28×28 with its ink in a 20 px box and its centre of mass at the centre.
import { test } from 'node:test';
import assert from 'node:assert/strict';

interface Preprocess {
  SIZE: number;
  BOX: number;
  toMnistInput(ink: ArrayLike<number>, width: number, height: number): Float32Array | null;
  areaWeights(src: number, dst: number): [number, number][][];
  softmax(logits: number[]): number[];
  median(values: number[]): number;
}
const pre = (await import(new URL('./static/preprocess.js', import.meta.url).href)) as Preprocess;

/** A 280×280 canvas-like ink image with the rectangle [x0, x1) × [y0, y1) fully inked. */
function rectangle(x0: number, x1: number, y0: number, y1: number): Uint8Array {
  const ink = new Uint8Array(280 * 280);
  for (let y = y0; y < y1; y++) ink.fill(255, y * 280 + x0, y * 280 + x1);
  return ink;
}

/** Bounding box and centre of mass (pixel centres at +0.5) of a 28×28 image. */
function measure(pixels: Float32Array) {
  let [x0, y0, x1, y1, mass, mx, my] = [28, 28, -1, -1, 0, 0, 0];
  for (let y = 0; y < 28; y++)
    for (let x = 0; x < 28; x++) {
      const v = pixels[y * 28 + x];
      if (v > 0)
        [x0, y0, x1, y1] = [Math.min(x0, x), Math.min(y0, y), Math.max(x1, x), Math.max(y1, y)];
      mass += v;
      mx += v * (x + 0.5);
      my += v * (y + 0.5);
    }
  return { width: x1 - x0 + 1, height: y1 - y0 + 1, cx: mx / mass, cy: my / mass };
}

test('an off-centre tall stroke fills 20 px in height, keeps its aspect and is centred by mass', () => {
  const out = pre.toMnistInput(rectangle(10, 50, 100, 260), 280, 280)!; // 40 × 160, bottom left
  assert.equal(out.length, 28 * 28);
  const m = measure(out);
  assert.equal(m.height, 20);
  assert.equal(m.width, 5); // 40 / 160 * 20
  assert.ok(Math.abs(m.cx - 14) <= 0.5 && Math.abs(m.cy - 14) <= 0.5, `centre ${m.cx}, ${m.cy}`);
  assert.ok(out.every((v) => v >= 0 && v <= 1));
  assert.equal(Math.max(...out), 1);
});

test('a wide stroke fills 20 px in width', () => {
  const m = measure(pre.toMnistInput(rectangle(0, 280, 0, 70), 280, 280)!);
  assert.deepEqual([m.width, m.height], [20, 5]);
});

test('thin ink is area-averaged into grey values', () => {
  const ink = new Uint8Array(280 * 280);
  for (let i = 0; i < 280; i++) ink.fill(255, i * 280 + Math.max(0, i - 1), i * 280 + i + 2); // 3 px diagonal
  const out = pre.toMnistInput(ink, 280, 280)!;
  const grey = out.filter((v) => v > 0 && v < 1).length;
  assert.ok(grey >= 20, `${grey} grey pixels`);
  assert.equal(measure(out).width, 20);
  // 1.5 source cells per output cell: each takes its covered fraction.
  assert.deepEqual(pre.areaWeights(3, 2), [
    [
      [0, 2 / 3],
      [1, 1 / 3],
    ],
    [
      [1, 1 / 3],
      [2, 2 / 3],
    ],
  ]);
});

test('an empty pad gives null; faint ink below the threshold does not count', () => {
  assert.equal(pre.toMnistInput(new Uint8Array(280 * 280), 280, 280), null);
  assert.equal(pre.toMnistInput(new Uint8Array(280 * 280).fill(3), 280, 280), null);
});

test('softmax is stable for large logits; median of odd and even lists', () => {
  const p = pre.softmax([1000, 1000, 999]);
  assert.ok(Math.abs(p.reduce((a, b) => a + b, 0) - 1) < 1e-12);
  assert.ok(Math.abs(p[0] - p[1]) < 1e-12 && p[2] < p[0]);
  assert.equal(pre.median([3, 1, 2]), 2);
  assert.equal(pre.median([4, 1, 3, 2]), 2.5);
});
