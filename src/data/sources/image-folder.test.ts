// The image-folder source on real images: MNIST digits written as PNG / JPEG files, loaded back
// (PNG pixel-exact), the decode cache (hit on the second load, miss after a file's mtime
// changes), the split layouts, and each bad-input case as a one-line data error.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DistilleryError } from '../../errors.ts';
import { loadMnist } from '../image-idx.ts';
import { loadDataset, resolveDataSource } from '../index.ts';
import type { Dataset, Split } from '../dataset.ts';
import { decodeImages, loadImageFolder } from './image-folder.ts';
import { writeImageFolder, type WrittenImage } from './testing.ts';

const tmp = mkdtempSync(join(tmpdir(), 'distillery-imgfolder-'));
let mnist: Dataset;
let pngs: WrittenImage[];
const pngRoot = join(tmp, 'png');

before(async () => {
  mnist = await loadMnist({ trainLimit: 400, validationSize: 1, splits: ['train'] });
  pngs = await writeImageFolder(mnist, pngRoot, { count: 200 });
});

const hashOf = (bytes: Uint8Array) => createHash('sha1').update(bytes).digest('hex');
const rows = (s: Split, per: number) =>
  Array.from({ length: s.count }, (_, i) => ({
    bytes: (s.x as Uint8Array).subarray(i * per, (i + 1) * per),
    label: s.y[i],
  }));

test('PNG files decode to exactly the pixels written', async () => {
  const decoded = await decodeImages(
    pngs.map((p) => p.path),
    { imageSize: 28, channels: 1, fit: 'cover' },
  );
  assert.equal(decoded.hit, false);
  pngs.forEach((p, i) =>
    assert.deepEqual(decoded.pixels.subarray(i * 784, (i + 1) * 784), p.pixels, p.path),
  );
});

test('a class-folder tree loads as uint8, classes = sorted folder names, split stratified', async () => {
  const data = await loadImageFolder({ path: pngRoot, imageSize: 28, channels: 1, splitSeed: 3 });
  assert.deepEqual(data.classNames, [...'0123456789']);
  assert.deepEqual(data.inputShape, [28, 28, 1]);
  assert.ok(data.train.x instanceof Uint8Array, 'held as uint8');
  assert.equal(data.train.xScale, 1 / 255);
  assert.equal(data.train.count + data.validation.count + data.test.count, 200);
  // Every loaded example is one of the written images, with its label.
  const written = new Map(pngs.map((p) => [hashOf(p.pixels), p.label]));
  for (const split of [data.train, data.validation, data.test])
    for (const r of rows(split, 784)) assert.equal(written.get(hashOf(r.bytes)), r.label);
  // Stratified: each class has ~20% of its images in test.
  for (let c = 0; c < 10; c++) {
    const n = pngs.filter((p) => p.label === c).length;
    const inTest = [...data.test.y].filter((y) => y === c).length;
    assert.equal(inTest, Math.round(n * 0.2), `class ${c}`);
  }
  assert.equal(data.spec.inputs[0].preprocessing.kind, 'image');
  assert.deepEqual(data.spec.classNames, data.classNames);
  // Same split seed, same split (whatever the run's seed); another split seed, another split.
  const again = await loadImageFolder({
    path: pngRoot,
    imageSize: 28,
    channels: 1,
    splitSeed: 3,
    seed: 9,
  });
  assert.deepEqual(again.test.y, data.test.y);
  const other = await loadImageFolder({ path: pngRoot, imageSize: 28, channels: 1, splitSeed: 4 });
  assert.notDeepEqual(
    rows(other.test, 784).map((r) => hashOf(r.bytes)),
    rows(data.test, 784).map((r) => hashOf(r.bytes)),
  );
});

test('the decode cache: hit on the second load, miss when a file mtime changes', async () => {
  const cacheDir = join(tmp, 'cache');
  const load = () =>
    loadImageFolder({ path: pngRoot, imageSize: 28, channels: 1, seed: 1, cacheDir });
  const first = await load();
  assert.match(first.notes!.join('\n'), /200 images decoded/);
  const second = await load();
  assert.match(second.notes!.join('\n'), /200 decoded images read from the cache/);
  assert.deepEqual(second.train.x, first.train.x);
  assert.deepEqual(second.test.y, first.test.y);
  // Touch one file: the split holding it misses, the others still hit.
  const future = new Date(Date.now() + 60_000);
  utimesSync(pngs[0].path, future, future);
  const third = await load();
  assert.match(third.notes!.join('\n'), /images decoded, \d+ read from the cache/);
  assert.deepEqual(third.train.x, first.train.x, 'same pixels after re-decoding');
  // Other options are another cache entry.
  const rgb = await loadImageFolder({ path: pngRoot, imageSize: 16, channels: 3, cacheDir });
  assert.match(rgb.notes!.join('\n'), /200 images decoded/);
});

test('resize and channels: 16×16 RGB from grayscale repeats the channel', async () => {
  const data = await loadImageFolder({ path: pngRoot, imageSize: 16, channels: 3 });
  assert.deepEqual(data.inputShape, [16, 16, 3]);
  assert.equal(data.train.x.length, data.train.count * 16 * 16 * 3);
  const x = data.train.x;
  for (let i = 0; i < 16 * 16 * 5; i++) {
    assert.equal(x[3 * i], x[3 * i + 1]);
    assert.equal(x[3 * i], x[3 * i + 2]);
  }
  const p = data.spec.inputs[0].preprocessing;
  assert.deepEqual(p, { kind: 'image', size: [16, 16], channels: 3, fit: 'cover', scale: 1 / 255 });
});

test('JPEG files load close to the written pixels; train/test folders are kept', async () => {
  const root = join(tmp, 'jpeg-splits');
  const written = await writeImageFolder(mnist, root, {
    count: 100,
    format: 'jpeg',
    layout: 'splits',
  });
  const data = await loadDataset({ data: root, options: { imageSize: 28, channels: 1 } });
  assert.equal(data.test.count, 20, 'every 5th image was written to test/');
  assert.equal(data.train.count + data.validation.count, 80);
  const decoded = await decodeImages(
    written.map((w) => w.path),
    { imageSize: 28, channels: 1, fit: 'cover' },
  );
  let sum = 0;
  written.forEach((w, i) => {
    for (let p = 0; p < 784; p++) sum += Math.abs(decoded.pixels[i * 784 + p] - w.pixels[p]);
  });
  const meanAbs = sum / (100 * 784);
  assert.ok(meanAbs < 4, `JPEG quality 90 mean |error| ${meanAbs.toFixed(2)} < 4 grey levels`);
  // --validation-size carves about that many from train/ (here 80 images, 0.1 by default).
  const sized = await loadDataset({
    data: root,
    options: { imageSize: 28, channels: 1 },
    validationSize: 30,
  });
  assert.ok(Math.abs(sized.validation.count - 30) <= 5, `${sized.validation.count} images`);
  assert.equal(sized.train.count + sized.validation.count, 80);
});

test('only the test split is decoded when only it is asked for', async () => {
  const data = await loadImageFolder({
    path: pngRoot,
    imageSize: 28,
    channels: 1,
    splits: ['test'],
  });
  assert.equal(data.train.count, 0);
  assert.equal(data.test.count, 40);
  assert.match(data.notes!.join('\n'), /^40 images decoded/);
});

test('--data detects an image folder', () => {
  assert.equal(resolveDataSource({ data: pngRoot }).name, 'image-folder');
});

async function rejectsData(promise: Promise<unknown>, pattern: RegExp) {
  await assert.rejects(promise, (e: unknown) => {
    assert.ok(e instanceof DistilleryError, String(e));
    assert.equal(e.kind, 'data');
    assert.match(e.message, pattern);
    assert.ok(!e.message.includes('\n'), 'one line');
    return true;
  });
}

test('bad input: empty class folder, single class, images without class folders', async () => {
  const empty = join(tmp, 'empty-class');
  await writeImageFolder(mnist, empty, { count: 20 });
  mkdirSync(join(empty, 'zebra'));
  await rejectsData(loadImageFolder({ path: empty }), /class folder .*zebra has no images/);

  const single = join(tmp, 'single');
  await writeImageFolder(mnist, single, { count: 10, classNames: Array(10).fill('only') });
  await rejectsData(loadImageFolder({ path: single }), /a single class 'only'/);

  const flat = join(tmp, 'flat');
  await writeImageFolder(mnist, flat, { count: 10, layout: 'flat' });
  await rejectsData(loadImageFolder({ path: flat }), /no classes/);
});

test('bad input: a truncated image names the file; --skip-bad-files skips and counts it', async () => {
  const root = join(tmp, 'truncated');
  const written = await writeImageFolder(mnist, root, { count: 60 });
  const victim = written[7].path;
  const bytes = readFileSync(victim);
  writeFileSync(victim, bytes.subarray(0, Math.floor(bytes.length / 2)));
  writeFileSync(join(root, '3', 'notes.png'), 'not an image at all');
  await rejectsData(
    loadImageFolder({ path: root, imageSize: 28, channels: 1 }),
    /\.png: not a readable image .*--skip-bad-files/,
  );
  const data = await loadImageFolder({
    path: root,
    imageSize: 28,
    channels: 1,
    skipBadFiles: true,
  });
  assert.equal(data.train.count + data.validation.count + data.test.count, 59);
  assert.match(data.notes!.join('\n'), /skipped 2 unreadable file\(s\)/);
});
