// What the demo server needs from a run folder: which run to serve (the newest finished one by
// default), the facts the page shows (from results.json), a few test images of the run's dataset,
// and a uint8-quantized export of the distilled student (made once, into <run>/exports/uint8).
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { RunResults } from '../pipeline/pipeline.ts';
import { usageError, ioError } from '../errors.ts';
import { datasets, type DatasetName } from '../data/index.ts';

/** The newest folder under `runsDir` that holds a results.json (by that file's mtime). */
export function findNewestRun(runsDir: string): string {
  const dir = resolve(runsDir);
  let names: string[] = [];
  try {
    names = readdirSync(dir);
  } catch {
    // handled below, with the same message as an empty folder
  }
  let best: { path: string; mtime: number } | undefined;
  for (const name of names) {
    try {
      const mtime = statSync(join(dir, name, 'results.json')).mtimeMs;
      if (!best || mtime > best.mtime) best = { path: join(dir, name), mtime };
    } catch {
      // not a finished run
    }
  }
  if (!best)
    throw usageError(
      `no finished run under ${dir} (a folder with results.json): pass a run folder, or create one with 'distillery run'`,
    );
  return best.path;
}

/** Reads results.json; one-line usage errors for a folder that is not a finished run. */
export function readResults(runDir: string): RunResults {
  const path = join(runDir, 'results.json');
  if (!existsSync(runDir) || !statSync(runDir).isDirectory())
    throw usageError(`${runDir} is not a folder (expected a run folder, runs/<timestamp>/)`);
  if (!existsSync(path))
    throw usageError(`${runDir} is not a finished Distillery run (no results.json in it)`);
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as RunResults;
  } catch (e) {
    // A damaged file, as `report` says it (exit 6): the folder is right, its content is not.
    throw ioError(`${path} is not valid JSON (${(e as Error).message.split('\n')[0]})`);
  }
}

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
  const name = (results.config?.dataset ?? 'mnist') as DatasetName;
  const load = Object.hasOwn(datasets, name) ? datasets[name] : undefined;
  if (!load) throw usageError(`the run's dataset '${name}' is unknown to this Distillery version`);
  const data = await load({
    dataDir: results.config?.dataDir,
    testLimit: count,
    trainLimit: 2, // only the test split is used
    validationSize: 1,
  });
  const bytes = new Uint8Array(data.test.x.length);
  // The loader stored v/255 as float32: rounding recovers the original byte exactly.
  for (let i = 0; i < bytes.length; i++) bytes[i] = Math.round(data.test.x[i] * 255);
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
