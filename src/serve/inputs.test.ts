// The demo page's inputs (static/inputs.js and the tokenizer compiled for the browser) against
// what Node does for the same data: resizing real MNIST PNGs against sharp (the loader's decoder)
// with the measured gap as the tolerance, gray from colour as sharp's grayscale(), a table row
// encoded as the loader encodes it, and text ids equal to src/text/tokenizer.ts on real mails.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import sharp from 'sharp';
import { featuresAsFloat, loadDataset, loadMnist, readRecords } from '../data/index.ts';
import { decodeImage } from '../data/sources/image-folder.ts';
import { encodeRows } from '../data/sources/columns.ts';
import type { TablePreprocessing } from '../data/spec.ts';
import { createTokenizer, fitTokenizer } from '../text/tokenizer.ts';
import { buildBrowserModules } from './browser-modules.ts';

interface Pre {
  size: [number, number];
  channels: 1 | 3;
  fit?: 'cover' | 'contain' | 'fill' | 'inside' | 'outside';
  scale: number;
}
interface Inputs {
  resizeImage(rgba: ArrayLike<number>, width: number, height: number, pre: Pre): Uint8Array;
  pixelsToInput(bytes: Uint8Array, pre: Pre): Float32Array;
  grayOf(r: number, g: number, b: number): number;
  encodeRow(values: Record<string, unknown>, columns: TablePreprocessing['columns']): Float32Array;
  decodeRow(
    features: Float32Array,
    columns: TablePreprocessing['columns'],
  ): Record<string, unknown>;
}
const inputs = (await import(new URL('./static/inputs.js', import.meta.url).href)) as Inputs;

const root = mkdtempSync(join(tmpdir(), 'distillery-inputs-'));
after(() => rmSync(root, { recursive: true, force: true }));

/** Real MNIST test digits as PNG files, and the RGBA a browser decodes from them. */
const mnist = await loadMnist({ trainLimit: 2, validationSize: 1, testLimit: 20 });
const pngs: { path: string; rgba: Uint8Array; width: number; height: number }[] = [];
for (let i = 0; i < 20; i++) {
  const gray = Uint8Array.from(mnist.test.x.subarray(i * 784, (i + 1) * 784), (v) =>
    Math.round(v * 255),
  );
  // Every fifth one cropped to 28 × 20, so that the fits differ.
  const [width, height] = i % 5 === 4 ? [28, 20] : [28, 28];
  const path = join(root, `${i}.png`);
  const crop = gray.subarray(
    4 * 28 * ((28 - height) / 8),
    (4 * 28 * (28 - height)) / 8 + width * height,
  );
  await sharp(Buffer.from(crop), { raw: { width, height, channels: 1 } })
    .png()
    .toFile(path);
  const { data } = await sharp(path).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  pngs.push({ path, rgba: new Uint8Array(data), width, height });
}

/** Largest and mean |browser byte − sharp byte| over every file. */
async function gap(imageSize: number, channels: 1 | 3, fit: Pre['fit']) {
  let [max, sum, n] = [0, 0, 0];
  for (const png of pngs) {
    const ref = await decodeImage(png.path, { imageSize, channels, fit: fit! });
    const pre: Pre = { size: [imageSize, imageSize], channels, fit, scale: 1 / 255 };
    const mine = inputs.resizeImage(png.rgba, png.width, png.height, pre);
    assert.equal(mine.length, ref.length);
    for (let k = 0; k < ref.length; k++) {
      const d = Math.abs(mine[k] - ref[k]);
      [max, sum, n] = [Math.max(max, d), sum + d, n + 1];
    }
  }
  return { max, mean: sum / n };
}

test('enlarging real MNIST PNGs to 32×32×3 and 64×64×3: within 1 grey level of sharp', async (t) => {
  for (const size of [32, 64]) {
    const g = await gap(size, 3, 'cover');
    t.diagnostic(`${size}×${size}×3 cover: max ${g.max}, mean ${g.mean.toFixed(3)} grey levels`);
    assert.ok(g.max <= 1 && g.mean < 0.1, `${size}: max ${g.max}, mean ${g.mean.toFixed(3)}`);
  }
  for (const fit of ['fill', 'contain'] as const) {
    const g = await gap(32, 1, fit);
    t.diagnostic(`32×32×1 ${fit}: max ${g.max}, mean ${g.mean.toFixed(3)} grey levels`);
    assert.ok(g.max <= 1 && g.mean < 0.1, `${fit}: max ${g.max}, mean ${g.mean.toFixed(3)}`);
  }
});

test('shrinking real MNIST PNGs to 20 and 14 px: mean gap to sharp below 1 grey level', async (t) => {
  // libvips' reduce is fixed-point with its own window: edges of strokes differ by up to ~20.
  for (const [size, channels] of [
    [20, 1],
    [14, 3],
  ] as const) {
    const g = await gap(size, channels, 'cover');
    t.diagnostic(`${size}×${size}×${channels} cover: max ${g.max}, mean ${g.mean.toFixed(3)}`);
    assert.ok(g.mean < 1 && g.max <= 32, `${size}: max ${g.max}, mean ${g.mean.toFixed(3)}`);
  }
});

test('colour to gray as sharp grayscale() (linear-light Rec. 709); scaling as the loader', async () => {
  const colours = [
    [255, 0, 0],
    [0, 255, 0],
    [0, 0, 255],
    [128, 64, 200],
    [10, 200, 30],
    [250, 250, 10],
    [200, 100, 50],
  ];
  const png = await sharp(Buffer.from(colours.flat()), {
    raw: { width: colours.length, height: 1, channels: 3 },
  })
    .png()
    .toBuffer();
  const { data } = await sharp(png).grayscale().raw().toBuffer({ resolveWithObject: true });
  colours.forEach(([r, g, b], i) =>
    assert.ok(Math.abs(Math.round(inputs.grayOf(r, g, b)) - data[i]) <= 1, `${[r, g, b]}`),
  );
  // The page's float input of the loader's bytes is the loader's float input, bit for bit.
  const folder = join(root, 'folder');
  for (const [i, png] of pngs.slice(0, 8).entries()) {
    const dir = join(folder, String(i % 2));
    await import('node:fs').then((fs) => fs.mkdirSync(dir, { recursive: true }));
    await sharp(png.path).toFile(join(dir, `${i}.png`));
  }
  const data32 = await loadDataset({
    data: folder,
    options: { imageSize: 32, channels: 3, testFraction: 0.5, validationFraction: 0 },
  });
  const pre = data32.spec.inputs[0].preprocessing as unknown as Pre;
  const bytes = data32.test.x as Uint8Array;
  assert.deepEqual(inputs.pixelsToInput(bytes, pre), featuresAsFloat(data32.test));
});

test('a table row: the page encodes it as the loader does, and decodes a test row back', async () => {
  const path = new URL('../../test/fixtures/mnist-features.csv', import.meta.url).pathname;
  const data = await loadDataset({ data: path, options: { labelColumn: 'digit' } });
  const spec = data.spec.inputs[0].preprocessing as TablePreprocessing;
  const records = await readRecords(path);
  const rows = Array.from({ length: 50 }, (_, i) => i);
  const loader = encodeRows(records, rows, spec);
  const width = loader.length / rows.length;
  for (const r of rows) {
    const values = Object.fromEntries(records.columns.map((c, j) => [c, records.rows[r][j]]));
    const page = inputs.encodeRow(values, spec.columns);
    const want = loader.subarray(r * width, (r + 1) * width);
    page.forEach((v, k) => assert.ok(Math.abs(v - want[k]) < 1e-5, `row ${r}, feature ${k}`));
    const back = inputs.encodeRow(inputs.decodeRow(want, spec.columns), spec.columns);
    back.forEach((v, k) => assert.ok(Math.abs(v - want[k]) < 1e-4, `round trip ${r}, ${k}`));
  }
  assert.ok(
    spec.columns.some((c) => c.type === 'categorical'),
    'the fixture has a categorical',
  );
  assert.throws(() => inputs.encodeRow({ cx: 'abc' }, spec.columns), /cx: expected a number/);
});

test('text: the tokenizer compiled for the page gives the ids Node gives, on real mails', async () => {
  const modules = await buildBrowserModules();
  const file = join(root, 'tokenizer.mjs');
  writeFileSync(file, modules['tokenizer.js']);
  const page = (await import(pathToFileURL(file).href)) as typeof import('../text/tokenizer.ts');
  const data = await loadDataset({ dataset: 'spam-assassin', trainLimit: 300, testLimit: 100 });
  const texts = [...data.test.texts!, 'Ünïcödé — FREE $$$ viagra!!! 🎉 naïve café', '', '  '];
  const train = data.train.texts!;
  for (const spec of [fitTokenizer(train), fitTokenizer(train, { type: 'char-ngrams' })]) {
    const node = createTokenizer(spec);
    const browser = page.createTokenizer(spec);
    for (const text of texts) assert.deepEqual(browser.encode(text, 128), node.encode(text, 128));
  }
  assert.match(modules['layers.js'].toString(), /DistilleryTransformerEncoderLayer/);
  assert.doesNotMatch(modules['tokenizer.js'].toString(), /^import /m, 'no imports left');
});
