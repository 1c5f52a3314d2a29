// Image-folder source: `root/<class>/*.{png,jpg,jpeg,webp,gif,tiff}` or `root/{train,val,test}/<class>/`.
// Class index = position in the sorted list of class folder names (torchvision's ImageFolder
// convention). Without a fixed split the examples are split stratified and seeded. Images are
// decoded and resized once with sharp into an on-disk uint8 cache and held as uint8 in memory
// (Split.x Uint8Array, xScale 1/255): batches convert to float per batch.
// Leaves out: augmentation beyond the trainer's pixel shifts, multi-label folders, video.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync } from 'node:fs';
import { writeFileSync } from 'node:fs';
import { basename, extname, join, resolve } from 'node:path';
import { z } from 'zod';
import { dataError } from '../../errors.ts';
import type { Dataset, Split, SplitName } from '../dataset.ts';
import { emptySplit } from '../dataset.ts';
import { defineDataSource, type CommonDataOptions } from '../source.ts';
import { isImagePreprocessing, type DataSpec, type ImagePreprocessing } from '../spec.ts';
import { checkClassCount, stratifiedSplit, validationShare } from './split.ts';

export const imageExtensions = ['.png', '.jpg', '.jpeg', '.webp', '.gif', '.tiff', '.tif'];
const isImageFile = (name: string) =>
  !name.startsWith('.') && imageExtensions.includes(extname(name).toLowerCase());
const fits = ['cover', 'contain', 'fill', 'inside', 'outside'] as const;

export const imageFolderSchema = z
  .object({
    /** Images are resized to imageSize × imageSize. */
    imageSize: z.number().int().min(2).max(2048).default(32),
    /** 1 = grayscale, 3 = RGB (alpha dropped). */
    channels: z.union([z.literal(1), z.literal(3)]).default(3),
    /** How images of another aspect ratio are fitted (sharp's `fit`). */
    fit: z.enum(fits).default('cover'),
    /** Without a val/ folder: fraction of each class held out for validation. */
    validationFraction: z.number().min(0).max(0.9).default(0.1),
    /** Without a test/ folder: fraction of each class held out for the test split. */
    testFraction: z.number().min(0).max(0.9).default(0.2),
    /** Skip files that do not decode (their count is reported) instead of failing. */
    skipBadFiles: z.boolean().default(false),
  })
  .strict();

export type ImageFolderOptions = z.output<typeof imageFolderSchema>;

/** One image file and its class index (-1 = unlabelled). */
export interface ImageFile {
  path: string;
  label: number;
}

interface Layout {
  classNames: string[];
  /** Files of the splits given by folders; missing splits are carved from train. */
  groups: Partial<Record<SplitName, ImageFile[]>>;
}

const SPLIT_FOLDERS: Record<SplitName, string[]> = {
  train: ['train'],
  validation: ['val', 'validation', 'valid'],
  test: ['test'],
};

const subdirs = (dir: string) =>
  readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
    .map((e) => e.name)
    .sort();

const imagesIn = (dir: string) =>
  readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isFile() && isImageFile(e.name))
    .map((e) => join(dir, e.name))
    .sort();

/** Does `path` look like an image folder (class folders holding images, or train/ with them)? */
export function isImageFolder(path: string): boolean {
  try {
    if (!statSync(path).isDirectory()) return false;
    const dirs = subdirs(path);
    const train = dirs.find((d) => SPLIT_FOLDERS.train.includes(d));
    const classRoot = train ? join(path, train) : path;
    // Images at the top level too: an unlabelled transfer set (a labelled load then says
    // that class folders are expected).
    return (
      imagesIn(path).length > 0 ||
      subdirs(classRoot).some((c) => imagesIn(join(classRoot, c)).length > 0)
    );
  } catch {
    return false;
  }
}

/** The class folders of one split folder, in sorted order, with their image files. */
function readClassFolders(dir: string): { classNames: string[]; files: string[][] } {
  const classNames = subdirs(dir);
  const files = classNames.map((c) => {
    const list = imagesIn(join(dir, c));
    if (list.length === 0)
      throw dataError(
        `class folder ${join(dir, c)} has no images (${imageExtensions.join(', ')}): add images or remove the folder`,
      );
    return list;
  });
  return { classNames, files };
}

/** Finds the layout of `root`: fixed split folders or one folder per class. */
export function readLayout(root: string): Layout {
  if (!existsSync(root) || !statSync(root).isDirectory())
    throw dataError(`--data ${root}: not a folder`);
  const dirs = subdirs(root);
  const splitDir = (name: SplitName) => dirs.find((d) => SPLIT_FOLDERS[name].includes(d));
  const trainDir = splitDir('train');
  if (!trainDir) {
    const { classNames, files } = readClassFolders(root);
    checkClassCount(classNames, `${root} (one folder per class expected)`);
    return {
      classNames,
      groups: { train: files.flatMap((list, c) => list.map((path) => ({ path, label: c }))) },
    };
  }
  const train = readClassFolders(join(root, trainDir));
  checkClassCount(train.classNames, join(root, trainDir));
  const groups: Layout['groups'] = {
    train: train.files.flatMap((list, c) => list.map((path) => ({ path, label: c }))),
  };
  for (const name of ['validation', 'test'] as const) {
    const dir = splitDir(name);
    if (!dir) continue;
    const other = readClassFolders(join(root, dir));
    const unknown = other.classNames.filter((c) => !train.classNames.includes(c));
    if (unknown.length)
      throw dataError(
        `${join(root, dir)} has class folder(s) ${unknown.map((c) => `'${c}'`).join(', ')} that ${join(root, trainDir)} lacks: every class needs training images`,
      );
    groups[name] = other.files.flatMap((list, k) =>
      list.map((path) => ({ path, label: train.classNames.indexOf(other.classNames[k]) })),
    );
  }
  return { classNames: train.classNames, groups };
}

/** Every image under `root` (recursively), unlabelled: a transfer set. */
export function listUnlabelled(root: string): ImageFile[] {
  const out: ImageFile[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) =>
      a.name < b.name ? -1 : 1,
    )) {
      if (e.name.startsWith('.')) continue;
      if (e.isDirectory()) walk(join(dir, e.name));
      else if (e.isFile() && isImageFile(e.name)) out.push({ path: join(dir, e.name), label: -1 });
    }
  };
  walk(root);
  if (out.length === 0)
    throw dataError(`${root} holds no images (${imageExtensions.join(', ')}) in any folder`);
  return out;
}

export interface DecodeOptions {
  imageSize: number;
  channels: 1 | 3;
  fit: (typeof fits)[number];
  skipBadFiles?: boolean;
  /** Folder for the decode cache; omit to decode without caching. */
  cacheDir?: string;
}

export interface Decoded {
  /** [count, size, size, channels] uint8, rows of bad files zero. */
  pixels: Uint8Array;
  /** Indices of files that did not decode (only with skipBadFiles). */
  bad: number[];
  /** True when read from the cache. */
  hit: boolean;
}

const CACHE_VERSION = 1;

/** The cache key: file list with sizes and mtimes, plus the decode options. */
export function decodeCacheKey(paths: string[], o: DecodeOptions): string {
  const hash = createHash('sha256');
  hash.update(
    JSON.stringify({
      v: CACHE_VERSION,
      size: o.imageSize,
      channels: o.channels,
      fit: o.fit,
      skip: o.skipBadFiles ?? false,
    }),
  );
  for (const p of paths) {
    const s = statSync(p);
    hash.update(`\n${resolve(p)}\t${s.size}\t${s.mtimeMs}`);
  }
  return hash.digest('hex').slice(0, 32);
}

/** Decodes one file to [size, size, channels] uint8, or throws sharp's first error line. */
export async function decodeImage(path: string, o: DecodeOptions): Promise<Uint8Array> {
  const { default: sharp } = await import('sharp');
  let image = sharp(path, { failOn: 'truncated' }).resize(o.imageSize, o.imageSize, {
    fit: o.fit,
  });
  image = o.channels === 1 ? image.grayscale() : image.toColourspace('srgb');
  const { data, info } = await image.removeAlpha().raw().toBuffer({ resolveWithObject: true });
  if (info.width !== o.imageSize || info.height !== o.imageSize)
    throw new Error(`resized to ${info.width}×${info.height}, expected ${o.imageSize}`);
  if (info.channels === o.channels)
    return new Uint8Array(data.buffer, data.byteOffset, data.length);
  // A grayscale source sometimes stays one channel under toColourspace: replicate it.
  const out = new Uint8Array(o.imageSize * o.imageSize * o.channels);
  for (let i = 0; i < o.imageSize * o.imageSize; i++)
    for (let c = 0; c < o.channels; c++) out[i * o.channels + c] = data[i * info.channels];
  return out;
}

/** Decodes `paths` (4 at a time), through the on-disk cache when `cacheDir` is given. */
export async function decodeImages(paths: string[], o: DecodeOptions): Promise<Decoded> {
  const per = o.imageSize * o.imageSize * o.channels;
  const key = o.cacheDir ? decodeCacheKey(paths, o) : undefined;
  const dir = o.cacheDir ? join(o.cacheDir, 'image-folder') : undefined;
  if (dir && key && existsSync(join(dir, `${key}.json`)) && existsSync(join(dir, `${key}.u8`))) {
    const meta = JSON.parse(readFileSync(join(dir, `${key}.json`), 'utf8'));
    const bytes = readFileSync(join(dir, `${key}.u8`));
    if (meta.count === paths.length && bytes.length === per * paths.length)
      return {
        pixels: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length),
        bad: meta.bad,
        hit: true,
      };
  }
  const pixels = new Uint8Array(per * paths.length);
  const bad: number[] = [];
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < paths.length; i = next++) {
      try {
        pixels.set(await decodeImage(paths[i], o), i * per);
      } catch (e) {
        if (!o.skipBadFiles) {
          const reason = String((e as Error).message).split('\n')[0];
          throw dataError(
            `${paths[i]}: not a readable image (${reason}); fix or delete it, or pass --skip-bad-files`,
          );
        }
        bad.push(i);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(4, paths.length) }, worker));
  bad.sort((a, b) => a - b);
  if (dir && key) {
    mkdirSync(dir, { recursive: true });
    writeAtomicFile(join(dir, `${key}.u8`), pixels);
    writeAtomicFile(join(dir, `${key}.json`), JSON.stringify({ count: paths.length, bad }));
  }
  return { pixels, bad, hit: false };
}

function writeAtomicFile(path: string, data: Uint8Array | string): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

/** Decodes files into a uint8 Split (bad files dropped when skipping). */
async function decodeSplit(
  files: ImageFile[],
  o: DecodeOptions,
  stats: { bad: string[]; hits: number; misses: number },
): Promise<Split> {
  if (files.length === 0) return { ...emptySplit(), x: new Uint8Array(0), xScale: 1 / 255 };
  const per = o.imageSize * o.imageSize * o.channels;
  const decoded = await decodeImages(
    files.map((f) => f.path),
    o,
  );
  if (decoded.hit) stats.hits += files.length;
  else stats.misses += files.length;
  const badSet = new Set(decoded.bad);
  for (const i of decoded.bad) stats.bad.push(files[i].path);
  const count = files.length - badSet.size;
  const x = badSet.size === 0 ? decoded.pixels : new Uint8Array(count * per);
  const y = new Int32Array(count);
  let k = 0;
  files.forEach((f, i) => {
    if (badSet.has(i)) return;
    if (badSet.size > 0) x.set(decoded.pixels.subarray(i * per, (i + 1) * per), k * per);
    y[k++] = f.label;
  });
  return { x, xScale: 1 / 255, y, count };
}

/** Loads an image folder as a Dataset (uint8 in memory). */
export async function loadImageFolder(
  options: Partial<ImageFolderOptions> & CommonDataOptions,
): Promise<Dataset> {
  const o = imageFolderSchema.parse(pick(options, Object.keys(imageFolderSchema.shape)));
  // A transfer set is decoded exactly as the labelled data was (size, channels, fit).
  const given = options.spec?.inputs[0]?.preprocessing;
  if (options.unlabelled && given && isImagePreprocessing(given)) {
    if (given.size[0] !== given.size[1])
      throw dataError(`image transfer sets need square inputs, got ${given.size.join('×')}`);
    Object.assign(o, {
      imageSize: given.size[0],
      channels: given.channels,
      fit: given.fit ?? o.fit,
    });
  }
  if (!options.path) throw dataError('image-folder needs a path (--data <folder>)');
  const root = resolve(options.path);
  const decode: DecodeOptions = { ...o, cacheDir: options.cacheDir };
  const wanted = options.splits ?? ['train', 'validation', 'test'];
  const stats = { bad: [] as string[], hits: 0, misses: 0 };
  let classNames: string[];
  let files: Record<SplitName, ImageFile[]>;
  if (options.unlabelled) {
    classNames = options.spec?.classNames ?? [];
    files = { train: listUnlabelled(root), validation: [], test: [] };
  } else {
    const layout = readLayout(root);
    classNames = layout.classNames;
    files = carveMissing(layout, o, options.splitSeed ?? 1, options.validationSize);
  }
  if (options.trainLimit !== undefined) files.train = files.train.slice(0, options.trainLimit);
  if (options.testLimit !== undefined) files.test = files.test.slice(0, options.testLimit);
  const splits = {} as Record<SplitName, Split>;
  for (const name of ['train', 'validation', 'test'] as const)
    splits[name] = wanted.includes(name)
      ? await decodeSplit(files[name], decode, stats)
      : { ...emptySplit(), x: new Uint8Array(0), xScale: 1 / 255 };
  const [h, w, c] = [o.imageSize, o.imageSize, o.channels];
  const preprocessing: ImagePreprocessing = {
    kind: 'image',
    size: [h, w],
    channels: c,
    fit: o.fit,
    scale: 1 / 255,
  };
  const description = `decoded with sharp, resized to ${h}×${w} (fit ${o.fit}), ${c === 1 ? 'grayscale' : 'RGB'}, uint8 / 255 → float32 in [0, 1], shape [${h}, ${w}, ${c}]`;
  const spec: DataSpec = {
    inputs: [{ name: 'image', shape: [h, w, c], dtype: 'float32', preprocessing, description }],
    classNames,
  };
  const notes: string[] = [];
  if (stats.hits + stats.misses > 0)
    notes.push(
      stats.misses === 0
        ? `${stats.hits} decoded images read from the cache`
        : `${stats.misses} images decoded${stats.hits ? `, ${stats.hits} read from the cache` : ''}${options.cacheDir ? ` (cached under ${options.cacheDir})` : ''}`,
    );
  if (stats.bad.length)
    notes.push(
      `skipped ${stats.bad.length} unreadable file(s) (--skip-bad-files), e.g. ${stats.bad[0]}`,
    );
  return {
    name: basename(root),
    spec,
    inputShape: [h, w, c],
    classes: classNames.length,
    classNames,
    ...splits,
    preprocessing: description,
    source: root,
    notes,
  };
}

/** Splits not given as folders are carved from train, stratified and seeded. */
function carveMissing(
  layout: Layout,
  o: ImageFolderOptions,
  seed: number,
  validationSize: number | undefined,
): Record<SplitName, ImageFile[]> {
  const train = layout.groups.train!;
  const share = { validationSize, validationFraction: o.validationFraction };
  const missingValidation = !layout.groups.validation;
  const missingTest = !layout.groups.test;
  if (!missingValidation) validationShare(share, train.length, 'the image folder', 'a val/ folder');
  const rows = stratifiedSplit(
    train.map((f) => f.label),
    layout.classNames,
    {
      validationFraction: missingValidation
        ? validationShare(share, train.length, 'the image folder')
        : 0,
      testFraction: missingTest ? o.testFraction : 0,
      seed,
    },
  );
  const at = (r: number[]) => r.map((i) => train[i]);
  return {
    train: at(rows.train),
    validation: layout.groups.validation ?? at(rows.validation),
    test: layout.groups.test ?? at(rows.test),
  };
}

function pick(o: object, keys: string[]): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([k]) => keys.includes(k)));
}

/** Library form: `imageFolder({ path: './photos', imageSize: 64 })`. */
export const imageFolder = loadImageFolder;

export const imageFolderSource = defineDataSource({
  name: 'image-folder',
  description:
    'a folder of class folders of images (png, jpg, webp, gif, tiff), or train/ val/ test/ folders of them',
  schema: imageFolderSchema,
  needsPath: true,
  detect: isImageFolder,
  load: (o) => loadImageFolder(o),
});
