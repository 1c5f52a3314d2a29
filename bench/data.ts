// Image-folder loading speed: decode + resize throughput (images/s) with sharp, and the speed-up of
// the on-disk uint8 cache, all measured in one run on real Fashion-MNIST images written as PNG and
// JPEG files. Reference: the first load decodes every file; validated: the cached load returns
// the same bytes. Writes its table into docs/benchmarks.md. Usage: npm run bench:data -- [--images 2000]
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadFashionMnist } from '../src/data/index.ts';
import { loadImageFolder } from '../src/data/sources/image-folder.ts';
import { writeImageFolder } from '../src/data/sources/testing.ts';
import { renderTable } from '../src/report/table.ts';
import sharp from 'sharp';
import { benchArgs } from './args.ts';

const count = Number(benchArgs(['images']).get('images') ?? 2000);
const reps = 3;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const tmp = mkdtempSync(join(tmpdir(), 'distillery-bench-data-'));
const source = await loadFashionMnist({ trainLimit: count, validationSize: 0, splits: ['train'] });

const rows: string[][] = [];
for (const format of ['png', 'jpeg'] as const) {
  const root = join(tmp, format);
  await writeImageFolder(source, root, { count, format });
  for (const [size, channels] of [
    [32, 3],
    [64, 3],
  ] as const) {
    const options = { path: root, imageSize: size, channels, seed: 1 } as const;
    const decodeTimes: number[] = [];
    const hitTimes: number[] = [];
    for (let r = 0; r < reps; r++) {
      const cacheDir = join(tmp, `cache-${format}-${size}-${r}`);
      let t0 = performance.now();
      const cold = await loadImageFolder({ ...options, cacheDir });
      decodeTimes.push((performance.now() - t0) / 1000);
      t0 = performance.now();
      const warm = await loadImageFolder({ ...options, cacheDir });
      hitTimes.push((performance.now() - t0) / 1000);
      if (!warm.notes?.some((n) => n.includes('read from the cache')))
        throw new Error('second load missed the cache');
      if (Buffer.compare(Buffer.from(cold.train.x), Buffer.from(warm.train.x)) !== 0)
        throw new Error('cached pixels differ from decoded ones');
    }
    const decode = median(decodeTimes);
    const hit = median(hitTimes);
    rows.push([
      `${format.toUpperCase()} 28×28 → ${size}×${size}×${channels}`,
      (count / decode).toFixed(0),
      (count / hit).toFixed(0),
      `${(decode / hit).toFixed(1)}×`,
      `${((count * size * size * channels) / 2 ** 20).toFixed(1)} MiB`,
    ]);
  }
}
rmSync(tmp, { recursive: true, force: true });

const text =
  `${count} Fashion-MNIST images per folder (10 class folders), loaded with loadImageFolder ` +
  `(4 files decoded at a time, sharp with libvips ${sharp.versions.vips}), ` +
  `median of ${reps} loads, measured ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC ` +
  `on a 2-core machine shared with other jobs (absolute speeds drift; the ratios are from one run):\n\n` +
  renderTable(
    ['files', 'decode images/s', 'cache hit images/s', 'hit speed-up', 'uint8 in memory'],
    rows,
  ) +
  `\n\nThe decode column includes writing the cache; float32 in memory would be 4× the uint8 column.\n`;
process.stdout.write(text);

const doc = 'docs/benchmarks.md';
const section = `<!-- data:start -->\n## Image-folder decoding and its cache (\`npm run bench:data\`)\n\n\`\`\`\n${text}\`\`\`\n<!-- data:end -->\n`;
const current = existsSync(doc) ? readFileSync(doc, 'utf8') : '# Benchmarks\n';
writeFileSync(
  doc,
  current.includes('<!-- data:start -->')
    ? current.replace(/<!-- data:start -->[\s\S]*<!-- data:end -->\n/, section)
    : `${current.trimEnd()}\n\n${section}`,
);
