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

const DIGIT_NAMES = [
  'zero',
  'one',
  'two',
  'three',
  'four',
  'five',
  'six',
  'seven',
  'eight',
  'nine',
];

/**
 * A real table computed from MNIST images (for the table / jsonl kinds): a 4×4 grid of mean ink,
 * the ink centroid, the bounding box of pixels > 0.5, the quadrant with most ink (categorical) and
 * the digit's name as the label. Columns: g00…g33, cx, cy, width, height, quadrant, digit.
 */
export function mnistFeatureRows(
  data: Dataset,
  count: number,
  offset = 0,
): Record<string, string | number>[] {
  const rows: Record<string, string | number>[] = [];
  const split = data.train;
  for (let n = offset; n < offset + count; n++) {
    const px = (y: number, x: number) => {
      const v = split.x[n * 784 + y * 28 + x];
      return split.x instanceof Uint8Array ? v / 255 : v;
    };
    const row: Record<string, string | number> = {};
    const quadrants = [0, 0, 0, 0];
    let sum = 0,
      sx = 0,
      sy = 0;
    let x0 = 28,
      x1 = -1,
      y0 = 28,
      y1 = -1;
    const grid = Array(16).fill(0);
    for (let y = 0; y < 28; y++)
      for (let x = 0; x < 28; x++) {
        const v = px(y, x);
        grid[Math.floor(y / 7) * 4 + Math.floor(x / 7)] += v / 49;
        quadrants[(y < 14 ? 0 : 2) + (x < 14 ? 0 : 1)] += v;
        sum += v;
        sx += v * x;
        sy += v * y;
        if (v > 0.5) {
          x0 = Math.min(x0, x);
          x1 = Math.max(x1, x);
          y0 = Math.min(y0, y);
          y1 = Math.max(y1, y);
        }
      }
    grid.forEach((g, k) => (row[`g${Math.floor(k / 4)}${k % 4}`] = Number(g.toFixed(4))));
    row.cx = Number((sx / sum).toFixed(3));
    row.cy = Number((sy / sum).toFixed(3));
    row.width = x1 - x0 + 1;
    row.height = y1 - y0 + 1;
    row.quadrant = ['top-left', 'top-right', 'bottom-left', 'bottom-right'][
      quadrants.indexOf(Math.max(...quadrants))
    ];
    row.digit = DIGIT_NAMES[split.y[n]];
    rows.push(row);
  }
  return rows;
}

/** Rows as delimited text with a header (no quoting needed: no delimiter in the values). */
export function toDelimited(rows: Record<string, string | number>[], delimiter = ','): string {
  const columns = Object.keys(rows[0]);
  return (
    [columns.join(delimiter), ...rows.map((r) => columns.map((c) => r[c]).join(delimiter))].join(
      '\n',
    ) + '\n'
  );
}
