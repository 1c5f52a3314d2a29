// Test and benchmark helper: writes real MNIST / Fashion-MNIST images as PNG or JPEG files into
// an image-folder tree (root/<class>/ or root/{train,test}/<class>/), so the folder path is tested
// on real images, and returns what was written (pixels per file) to compare after loading.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Dataset } from '../dataset.ts';

export interface WrittenImage {
  path: string;
  label: number;
  /** The 28×28 uint8 pixels written. */
  pixels: Uint8Array;
}

export interface WriteFolderOptions {
  /** Images to write, taken from the start of the dataset's train split. */
  count: number;
  format?: 'png' | 'jpeg';
  /** 'classes' = root/<class>/, 'splits' = root/train/<class>/ and root/test/<class>/ (every 5th). */
  layout?: 'classes' | 'splits' | 'flat';
  /** Skip this many examples first (to write a disjoint set, e.g. a transfer set). */
  offset?: number;
  /** Class folder names (default the dataset's class names made file-safe). */
  classNames?: string[];
}

const safe = (name: string) => name.replace(/[^A-Za-z0-9_-]+/g, '-');

/** Writes `count` images of `data` (a 28×28×1 dataset) as files; returns what it wrote. */
export async function writeImageFolder(
  data: Dataset,
  root: string,
  options: WriteFolderOptions,
): Promise<WrittenImage[]> {
  const { default: sharp } = await import('sharp');
  const format = options.format ?? 'png';
  const layout = options.layout ?? 'classes';
  const names = options.classNames ?? data.classNames.map(safe);
  const split = data.train;
  const per = 28 * 28;
  const out: WrittenImage[] = [];
  const offset = options.offset ?? 0;
  for (let k = 0; k < options.count; k++) {
    const i = offset + k;
    const label = split.y[i];
    const pixels = new Uint8Array(per);
    for (let p = 0; p < per; p++) {
      const v = split.x[i * per + p];
      pixels[p] = split.x instanceof Uint8Array ? v : Math.round(v * 255);
    }
    const dir =
      layout === 'flat'
        ? root
        : layout === 'splits'
          ? join(root, k % 5 === 4 ? 'test' : 'train', names[label])
          : join(root, names[label]);
    mkdirSync(dir, { recursive: true });
    const path = join(dir, `${String(i).padStart(6, '0')}.${format === 'png' ? 'png' : 'jpg'}`);
    const image = sharp(Buffer.from(pixels), { raw: { width: 28, height: 28, channels: 1 } });
    await (format === 'png' ? image.png() : image.jpeg({ quality: 90 })).toFile(path);
    out.push({ path, label, pixels });
  }
  return out;
}
