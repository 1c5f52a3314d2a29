// Saving and loading tfjs LayersModels on disk in Node without tfjs-node: model.json plus weight
// shards of at most 4 MiB named like the reference converter's (group1-shard1of3.bin), readable
// by the stock `tf.loadLayersModel` in the browser. Malformed files give one-line errors; a
// sealed folder (a run's stage model, with checksums.json) is checked against its checksums.
// Importing this module registers a `file://` load router, so the stock
// `tf.loadLayersModel('file:///abs/model.json')` works in Node without tfjs-node.
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tf, type LayersModel } from '../tf.ts';
import { modelError } from '../errors.ts';
import { writeAtomic } from '../io/atomic.ts';
import { CHECKSUMS_FILE, verifyFolder } from '../io/checksums.ts';

export const SHARD_BYTES = 4 * 1024 * 1024;

type WeightSpec = tf.io.WeightsManifestEntry;

export interface ModelJson {
  modelTopology: object;
  format: 'layers-model';
  generatedBy: string;
  convertedBy: string | null;
  weightsManifest: { paths: string[]; weights: WeightSpec[] }[];
}

/** Splits bytes into shards of at most SHARD_BYTES and names them like the tfjs converter. */
export function shardWeights(data: Uint8Array): { name: string; bytes: Uint8Array }[] {
  const count = Math.max(1, Math.ceil(data.byteLength / SHARD_BYTES));
  return Array.from({ length: count }, (_, i) => ({
    name: `group1-shard${i + 1}of${count}.bin`,
    bytes: data.subarray(i * SHARD_BYTES, Math.min((i + 1) * SHARD_BYTES, data.byteLength)),
  }));
}

/** Writes model.json + shards into `dir` (created if needed); files appear atomically. */
export function writeModelFiles(
  dir: string,
  modelTopology: object,
  weightSpecs: WeightSpec[],
  weightData: Uint8Array,
): void {
  mkdirSync(dir, { recursive: true });
  const shards = shardWeights(weightData);
  for (const shard of shards) writeAtomic(join(dir, shard.name), shard.bytes);
  const json: ModelJson = {
    modelTopology,
    format: 'layers-model',
    generatedBy: `TensorFlow.js tfjs-layers v${tf.version['tfjs-layers']}`,
    convertedBy: 'Distillery',
    weightsManifest: [{ paths: shards.map((s) => s.name), weights: weightSpecs }],
  };
  writeAtomic(join(dir, 'model.json'), JSON.stringify(json));
}

/** Saves a LayersModel (float32 weights) to `dir`. */
export async function saveModel(model: LayersModel, dir: string): Promise<void> {
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const data = artifacts.weightData;
      const bytes =
        data instanceof ArrayBuffer ? new Uint8Array(data) : concat(data as ArrayBuffer[]);
      writeModelFiles(dir, artifacts.modelTopology as object, artifacts.weightSpecs ?? [], bytes);
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
}

/** Reads model.json and its weight files from `dir`, validating both. */
export function readModelArtifacts(dir: string): tf.io.ModelArtifacts {
  const jsonPath = join(dir, 'model.json');
  let text: string;
  try {
    text = readFileSync(jsonPath, 'utf8');
  } catch {
    throw modelError(
      `no model at ${dir}: ${jsonPath} is missing (expected a tfjs LayersModel folder)`,
    );
  }
  return parseModelArtifacts(text, jsonPath);
}

/** Reads a model.json file (any name) and the weight files it lists, validating both. */
export function readModelFile(jsonPath: string): tf.io.ModelArtifacts {
  let text: string;
  try {
    text = readFileSync(jsonPath, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw modelError(
      `cannot read ${jsonPath}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : oneLine((e as Error).message)}`,
    );
  }
  return parseModelArtifacts(text, jsonPath);
}

function parseModelArtifacts(text: string, jsonPath: string): tf.io.ModelArtifacts {
  const dir = dirname(jsonPath);
  // Same-length damage (zeroed, bit-flipped) passes every check below: only checksums catch it.
  verifyFolder(
    dir,
    `the model folder is damaged; copy or train it again (or delete ${CHECKSUMS_FILE} there if you changed its files on purpose)`,
  );
  let json: Partial<ModelJson>;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw modelError(`${jsonPath} is not valid JSON (${oneLine((e as Error).message)})`);
  }
  if (!json || typeof json.modelTopology !== 'object' || json.modelTopology === null) {
    throw modelError(
      `${jsonPath} has no modelTopology: not a tfjs LayersModel (graph models are not supported)`,
    );
  }
  const topology = json.modelTopology as Record<string, unknown>;
  if (typeof topology.class_name !== 'string' && typeof topology.model_config !== 'object') {
    throw modelError(
      `${jsonPath}: modelTopology has neither 'class_name' nor 'model_config': not a Keras/tfjs layers topology`,
    );
  }
  if (!Array.isArray(json.weightsManifest)) {
    throw modelError(`${jsonPath} has no weightsManifest array`);
  }
  const weightSpecs: WeightSpec[] = [];
  const parts: Uint8Array[] = [];
  let expected = 0;
  for (const group of json.weightsManifest) {
    if (
      !group ||
      typeof group !== 'object' ||
      !Array.isArray(group.paths) ||
      !Array.isArray(group.weights)
    ) {
      throw modelError(
        `${jsonPath}: each weightsManifest entry needs 'paths' and 'weights' arrays`,
      );
    }
    let groupBytes = 0;
    for (const path of group.paths) {
      if (typeof path !== 'string' || path === '' || isAbsolute(path)) {
        throw modelError(
          `${jsonPath}: weight path ${JSON.stringify(path)} must be a file name relative to model.json`,
        );
      }
      if (normalize(path).split(/[\\/]/)[0] === '..') {
        throw modelError(`${jsonPath}: weight path '${path}' points outside the model folder`);
      }
      const file = join(dir, path);
      try {
        const buf = readFileSync(file);
        parts.push(buf);
        groupBytes += buf.byteLength;
      } catch {
        throw modelError(`weight file ${file} listed in ${jsonPath} is missing`);
      }
    }
    let needed = 0;
    for (const w of group.weights) needed += specBytes(w, jsonPath);
    if (groupBytes !== needed) {
      throw modelError(
        `weight files of ${jsonPath} hold ${groupBytes} bytes but the manifest needs ${needed}: ${groupBytes < needed ? 'truncated' : 'mismatched'} weights; re-export the model`,
      );
    }
    expected += needed;
    weightSpecs.push(...group.weights);
  }
  const weightData = concat(parts);
  if (weightData.byteLength !== expected) throw modelError(`${jsonPath}: weight size mismatch`);
  return {
    modelTopology: json.modelTopology,
    weightSpecs,
    weightData: weightData.buffer.slice(
      weightData.byteOffset,
      weightData.byteOffset + weightData.byteLength,
    ) as ArrayBuffer,
    format: json.format,
    generatedBy: json.generatedBy,
    convertedBy: json.convertedBy ?? undefined,
  };
}

/** Loads a LayersModel saved by saveModel (or by the tfjs converter) from a folder. */
export async function loadModel(dir: string): Promise<LayersModel> {
  const artifacts = readModelArtifacts(dir);
  try {
    return await tf.loadLayersModel(tf.io.fromMemory(artifacts));
  } catch (e) {
    throw modelError(`cannot build the model in ${dir}: ${oneLine((e as Error).message)}`);
  }
}

/** Whether `dir` looks like a saved model folder. */
export function isModelDir(dir: string): boolean {
  try {
    return statSync(join(dir, 'model.json')).isFile();
  } catch {
    return false;
  }
}

/** Bytes per stored value, by dtype (quantized dtypes included). */
export const DTYPE_BYTES: Record<string, number> = {
  float32: 4,
  int32: 4,
  bool: 1,
  uint8: 1,
  uint16: 2,
  float16: 2,
};

function specBytes(spec: WeightSpec, jsonPath: string): number {
  const malformed = () =>
    modelError(`${jsonPath}: malformed weight entry ${JSON.stringify(spec)?.slice(0, 200)}`);
  if (!spec || typeof spec !== 'object' || typeof spec.name !== 'string') throw malformed();
  if (!Array.isArray(spec.shape) || !spec.shape.every((d) => Number.isInteger(d) && d >= 0))
    throw malformed();
  const size = spec.shape.reduce((a, b) => a * b, 1);
  const q = spec.quantization as Record<string, unknown> | undefined | null;
  if (q !== undefined) {
    if (!q || typeof q !== 'object' || !['uint8', 'uint16', 'float16'].includes(q.dtype as string))
      throw modelError(
        `${jsonPath}: weight '${spec.name}' has unsupported quantization ${JSON.stringify(q)} (expected dtype uint8, uint16 or float16)`,
      );
    if (q.dtype !== 'float16' && !(Number.isFinite(q.min) && Number.isFinite(q.scale)))
      throw modelError(
        `${jsonPath}: weight '${spec.name}' is quantized to ${q.dtype as string} but lacks finite 'min' and 'scale'`,
      );
    if (
      q.dtype === 'float16' ? spec.dtype !== 'float32' : !['float32', 'int32'].includes(spec.dtype)
    )
      throw modelError(
        `${jsonPath}: weight '${spec.name}' of dtype ${spec.dtype} cannot be quantized to ${q.dtype as string}`,
      );
  }
  const dtype = (q?.dtype as string | undefined) ?? spec.dtype;
  const bytes = DTYPE_BYTES[dtype];
  if (!bytes)
    throw modelError(`${jsonPath}: weight '${spec.name}' has unsupported dtype '${dtype}'`);
  return size * bytes;
}

/** Collapses an error message onto one line (tfjs and V8 messages may span several). */
export function oneLine(message: string): string {
  return message.replace(/\s*\n\s*/g, ' ').trim();
}

function concat(parts: (ArrayBuffer | Uint8Array)[]): Uint8Array {
  const arrays = parts.map((p) => (p instanceof Uint8Array ? p : new Uint8Array(p)));
  const out = new Uint8Array(arrays.reduce((a, p) => a + p.byteLength, 0));
  let offset = 0;
  for (const a of arrays) {
    out.set(a, offset);
    offset += a.byteLength;
  }
  return out;
}

/**
 * The `file://` load router: `tf.loadLayersModel('file:///abs/dir/model.json')` (or the folder's
 * URL) reads through readModelFile, so bad files fail with a one-line DistilleryError.
 * Both percent-encoded URLs (pathToFileURL) and raw paths after `file://` are accepted.
 */
export function fileUrlToModelPath(url: string): string {
  const raw = url.slice('file://'.length);
  const candidates: string[] = [];
  try {
    candidates.push(fileURLToPath(url));
  } catch {
    // e.g. 'file://relative/dir' (tfjs-node style): not a valid file URL, used as a path below.
  }
  candidates.push(raw);
  const existing = candidates.find((p) => existsSync(p)) ?? candidates[0];
  try {
    if (statSync(existing).isDirectory()) return join(existing, 'model.json');
  } catch {
    // missing: readModelFile reports it
  }
  return existing;
}

const fileRouter = (url: string | string[]): tf.io.IOHandler | null => {
  if (typeof url !== 'string' || !url.startsWith('file://')) return null;
  return { load: async () => readModelFile(fileUrlToModelPath(url)) };
};

/** Registers the `file://` router once per process (skipped if another one, e.g. tfjs-node's, exists). */
export function registerFileRouter(): void {
  const key = Symbol.for('distillery.file-router');
  const registry = globalThis as Record<symbol, unknown>;
  if (registry[key]) return;
  registry[key] = true;
  if (tf.io.getLoadHandlers('file:///model.json').length > 0) return;
  // tfjs types a router as always returning a handler; at run time null means "not mine".
  tf.io.registerLoadRouter(fileRouter as Parameters<typeof tf.io.registerLoadRouter>[0]);
}

registerFileRouter();
