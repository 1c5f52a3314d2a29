// What the demo server needs from a run folder: which run to serve (the newest finished one by
// default), the facts the page shows (from results.json), a few test examples of the run's dataset
// (images, table rows or texts), the logits of a teacher the page cannot run,
// and a uint8-quantized export of the distilled student (made once, into <run>/exports/uint8).
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { RunResults } from '../run/record.ts';
import { datasetRefOf, featuresAsFloat, loadDataset, primaryInput } from '../data/index.ts';
import type { InputSpec } from '../data/spec.ts';
import { verifyFolder } from '../io/checksums.ts';

const isModelDir = (dir: string) => existsSync(join(dir, 'model.json'));

/**
 * The folders the server may read models from, by URL name. A run made by `distill --teacher`
 * has no models/teacher: its single saved teacher (stages.teacher.modelDir) is served instead.
 * A folder whose files no longer match its checksums.json (truncated, overwritten) is left out
 * and named in `damaged` (by URL name: one line with the fix), so the page never hands the browser a
 * model that fails deep inside tfjs.
 */
export function checkedModelFolders(
  runDir: string,
  results: RunResults,
): { folders: Record<string, string>; damaged: Record<string, string> } {
  const candidates: Record<string, string> = {};
  for (const stage of ['teacher', 'scratch', 'distilled']) {
    const dir = join(runDir, 'models', stage);
    if (isModelDir(dir)) candidates[stage] = dir;
  }
  // Only a tfjs Layers teacher runs in the page (a graph model, ONNX, … run in Node: loadExamples).
  const external = results.stages?.teacher?.modelDir;
  const layers = (results.teacher?.kind ?? 'layers') === 'layers';
  if (!candidates.teacher && layers && external && !external.includes(', ') && isModelDir(external))
    candidates.teacher = external;
  const folders: Record<string, string> = {};
  const damaged: Record<string, string> = {};
  for (const [name, dir] of Object.entries(candidates)) {
    try {
      verifyFolder(dir, `the ${name} model is not served; rerun its stage or restore the folder`);
      folders[name] = dir;
    } catch (e) {
      damaged[name] = (e as Error).message;
    }
  }
  return { folders, damaged };
}

/**
 * Test examples for the page's picker, in the form its input kind needs (from the run's data
 * spec): image bytes before scaling, a table's encoded feature rows, or raw texts.
 */
export interface TestExamples {
  dataset: string;
  classNames: string[];
  count: number;
  /** Class index per example. */
  labels: number[];
  /** The run's (first) input: shape, dtype and preprocessing as data. */
  input?: InputSpec;
  /** Images: uint8 pixels 0..255, row-major [count, ...shape], base64 (the page scales them). */
  pixels?: string;
  /** Tables: encoded float32 features [count, width], base64 (the page decodes them for the form). */
  features?: string;
  /** Text: the raw texts (the page tokenizes them with the model's tokenizer.json). */
  texts?: string[];
  /** Teachers the page cannot run (ONNX, graph models, …): their logits per example, from Node. */
  teacherLogits?: number[][];
  /** Why teacherLogits is there (e.g. 'onnx teacher: runs in Node only'). */
  teacherNote?: string;
}

/** @deprecated the image-only name of TestExamples. */
export type TestImages = TestExamples;

/** How many characters of each test text the picker carries. */
const TEXT_CHARS = 4000;

/** The first `count` test examples of the run's dataset (the run's own test split starts there). */
export async function loadExamples(
  results: RunResults,
  count = 100,
  options: { runDir?: string; teacherDirs?: string[] } = {},
): Promise<TestExamples> {
  const runDir = options.runDir;
  const ref = results.config ? datasetRefOf(results.config) : { dataset: 'mnist' };
  // A text model's own tokenizer.json: the ids it was trained on, without refitting on train.
  const tokenizerFile = runDir && join(runDir, 'models', 'distilled', 'tokenizer.json');
  const data = await loadDataset({
    ...ref,
    ...(tokenizerFile && existsSync(tokenizerFile)
      ? { options: { ...ref.options, tokenizerFile } }
      : {}),
    testLimit: count,
    splits: ['test'], // only the test split is used
  });
  const input = data.spec ? primaryInput(data.spec) : undefined;
  const out: TestExamples = {
    dataset: data.name,
    classNames: data.classNames,
    count: data.test.count,
    labels: Array.from(data.test.y),
    input,
  };
  const kind = input?.preprocessing.kind ?? 'image';
  if (kind === 'image') {
    const x = featuresAsFloat(data.test);
    const scale = (input?.preprocessing as { scale?: number } | undefined)?.scale ?? 1 / 255;
    const bytes = new Uint8Array(x.length);
    // The loader stored v·scale as float32: dividing and rounding recovers the byte exactly.
    for (let i = 0; i < bytes.length; i++) bytes[i] = Math.round(x[i] / scale);
    out.pixels = Buffer.from(bytes).toString('base64');
  } else if (kind === 'tokens') {
    out.texts = (data.test.texts ?? []).map((t) => t.slice(0, TEXT_CHARS));
  } else {
    const x = featuresAsFloat(data.test);
    out.features = Buffer.from(x.buffer, x.byteOffset, x.byteLength).toString('base64');
  }
  const batch =
    data.test.x instanceof Int32Array ? data.test.x.slice() : featuresAsFloat(data.test).slice();
  try {
    const teacher = await nodeTeacherLogits(results, options.teacherDirs ?? [], out, {
      x: batch,
      shape: data.inputShape,
    });
    if (teacher) {
      out.teacherNote = teacher.note;
      if (teacher.logits.length) out.teacherLogits = teacher.logits;
    }
  } catch (e) {
    out.teacherNote = `the ${results.teacher?.kind} teacher did not load in Node: ${(e as Error).message.split('\n')[0]}`;
  }
  return out;
}

/** The first `count` test images (kept for callers of the 28×28 demo). */
export const loadTestImages = (results: RunResults, count = 100) => loadExamples(results, count);

/**
 * Logits of a teacher the page cannot run (ONNX, a graph model, a remote kind) on the picker's
 * examples, computed here in Node through the same loader the run used; undefined when the
 * teacher is a tfjs Layers model (the page runs it) or cannot be loaded again.
 */
async function nodeTeacherLogits(
  results: RunResults,
  teacherDirs: string[],
  examples: TestExamples,
  data: { x: Float32Array | Int32Array; shape: number[] },
): Promise<{ logits: number[][]; note: string } | undefined> {
  const kind = results.teacher?.kind;
  if (!kind || kind === 'layers' || teacherDirs.length === 0 || examples.count === 0)
    return undefined;
  // A teacher behind a URL (a served model, an LLM API) is not called again just to show a demo:
  // that may be slow, need credentials, or cost money.
  if (teacherDirs.some((d) => /^https?:\/\//i.test(d)))
    return { logits: [], note: `${kind} teacher at a URL: not called by the demo` };
  const { loadTeachers, teacherOptionsFromConfig } = await import('../teachers/load.ts');
  const { tf } = await import('../tf.ts');
  const loaded = await loadTeachers(teacherDirs, {
    ...teacherOptionsFromConfig(results.config?.teacherOptions),
    data: results.dataset.spec,
  });
  try {
    const x = tf.tensor(data.x, [examples.count, ...data.shape], examples.input?.dtype); // [n, ...]
    const y = await loaded.teacher.logits(x); // [n, classes]
    const logits = (await y.array()) as number[][];
    tf.dispose([x, y]);
    return { logits, note: `${kind} teacher: runs in Node only; shown for test examples` };
  } finally {
    await loaded.teacher.dispose();
  }
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
    verifyFolder(modelDir, 'not exported; rerun the distilled stage or restore the folder');
  } catch (e) {
    return { reason: (e as Error).message };
  }
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
