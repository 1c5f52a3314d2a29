// What the demo server needs from a run folder: which run to serve (the newest finished one by
// default), the facts the page shows (from results.json), a few test images of the run's dataset,
// and a uint8-quantized export of the distilled student (made once, into <run>/exports/uint8).
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { RunResults } from '../run/record.ts';
import { datasetRefOf, featuresAsFloat, loadDataset } from '../data/index.ts';

const isModelDir = (dir: string) => existsSync(join(dir, 'model.json'));

/**
 * The folders the server may read models from, by URL name. A run made by `distill --teacher`
 * has no models/teacher: its single saved teacher (stages.teacher.modelDir) is served instead.
 */
export function modelFolders(runDir: string, results: RunResults): Record<string, string> {
  const folders: Record<string, string> = {};
  for (const stage of ['teacher', 'scratch', 'distilled']) {
    const dir = join(runDir, 'models', stage);
    if (isModelDir(dir)) folders[stage] = dir;
  }
  const external = results.stages?.teacher?.modelDir;
  if (!folders.teacher && external && !external.includes(', ') && isModelDir(external))
    folders.teacher = external;
  return folders;
}

export interface TestImages {
  dataset: string;
  classNames: string[];
  count: number;
  /** Class index per image. */
  labels: number[];
  /** Pixels 0..255, row-major [count, 28, 28], base64: the page divides by 255 like the loader. */
  pixels: string;
}

/** The first `count` test images of the run's dataset (the run's own test split starts there). */
export async function loadTestImages(results: RunResults, count = 100): Promise<TestImages> {
  const data = await loadDataset({
    ...(results.config ? datasetRefOf(results.config) : { dataset: 'mnist' }),
    testLimit: count,
    splits: ['test'], // only the test split is used
  });
  const x = featuresAsFloat(data.test);
  const bytes = new Uint8Array(x.length);
  // The loader stored v/255 as float32: rounding recovers the original byte exactly.
  for (let i = 0; i < bytes.length; i++) bytes[i] = Math.round(x[i] * 255);
  return {
    dataset: data.name,
    classNames: data.classNames,
    count: data.test.count,
    labels: Array.from(data.test.y),
    pixels: Buffer.from(bytes).toString('base64'),
  };
}

/**
 * <run>/exports/uint8 holding a uint8 export of models/distilled: reused when present (and made
 * from the distilled model, per its metadata.json), else written with exportModel. Returns the
 * folder, or a reason why there is none.
 */
export async function ensureUint8Export(
  runDir: string,
): Promise<{ dir: string; created: boolean } | { reason: string }> {
  const outDir = join(runDir, 'exports', 'uint8');
  const modelDir = join(runDir, 'models', 'distilled');
  if (isModelDir(outDir)) {
    const source = readSourceModelDir(outDir);
    if (source && basename(source) !== 'distilled')
      return { reason: `${outDir} holds an export of ${source}, not of the distilled student` };
    return { dir: outDir, created: false };
  }
  if (!isModelDir(modelDir)) return { reason: `no distilled student in ${dirname(modelDir)}` };
  try {
    const { exportModel } = await import('../export/export.ts');
    // The run's own exports folder: rewriting a stale or partial export there is intended.
    await exportModel({ modelDir, outDir, quantize: 'uint8', name: 'distilled', overwrite: true });
    return { dir: outDir, created: true };
  } catch (e) {
    return { reason: `could not write ${outDir}: ${(e as Error).message.split('\n')[0]}` };
  }
}

function readSourceModelDir(exportDir: string): string | undefined {
  try {
    const card = JSON.parse(readFileSync(join(exportDir, 'metadata.json'), 'utf8'));
    return typeof card?.source?.modelDir === 'string' ? card.source.modelDir : undefined;
  } catch {
    return undefined;
  }
}
