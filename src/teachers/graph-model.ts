// A TensorFlow.js graph model (the format of tfjs-converter and of published tfjs models:
// model.json with `format: 'graph-model'`, a GraphDef in JSON, weight shards) as a Teacher, from a
// folder / model.json path or an http(s) URL. Files are read (or fetched) and validated here, then
// handed to tf.loadGraphModel through an in-memory IOHandler, so no tfjs-node is needed and the
// identity is a hash of exactly the bytes that were loaded. Input adaptation as for ONNX (adapt.ts).
// Leaves out: models with several required inputs, string/int inputs, and hub URLs (tfhub.dev).
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, normalize } from 'node:path';
import { tf, type Tensor } from '../tf.ts';
import { modelError } from '../errors.ts';
import { primaryInput, type DataSpec, type InputSpec } from '../data/spec.ts';
import { oneLine } from '../models/io.ts';
import {
  createAdapter,
  defaultImageSpec,
  describeAdapter,
  resolveTeacherInput,
  type InputAdapter,
  type TeacherInputOptions,
} from './adapt.ts';
import { toLogits } from './function.ts';
import type { Teacher, TeacherRecord } from './teacher.ts';

export interface GraphModelTeacherOptions {
  /** The teacher's own input: name, size, channels, scale, mean/std, layout (else inferred). */
  input?: TeacherInputOptions;
  /** Output to read when the graph has several. */
  outputName?: string;
  /** The data's spec (a dataset's `spec`): batches arrive in its representation; classes checked. */
  data?: DataSpec;
  /** Where it came from, for the record (default: the path or URL). */
  source?: string;
}

/** A graph model's input or output as tfjs-converter describes it. */
interface GraphIo {
  name: string;
  shape?: number[];
  dtype: string;
}

const isUrl = (s: string) => /^https?:\/\//i.test(s);

interface GraphFiles {
  artifacts: tf.io.ModelArtifacts;
  /** sha256 of model.json and every weight file, in manifest order. */
  hash: string;
}

/** Reads (or fetches) a graph model's model.json and weights, validating both. */
export async function readGraphModel(pathOrUrl: string): Promise<GraphFiles> {
  const remote = isUrl(pathOrUrl);
  let jsonPath = pathOrUrl;
  if (remote) {
    if (!/\.json($|\?)/.test(pathOrUrl)) jsonPath = pathOrUrl.replace(/\/?$/, '/model.json');
  } else {
    try {
      if (statSync(pathOrUrl).isDirectory()) jsonPath = join(pathOrUrl, 'model.json');
    } catch {
      throw modelError(`no graph model at ${pathOrUrl}: no such file or folder`);
    }
  }
  const read = async (location: string): Promise<Uint8Array> => {
    if (!remote) {
      try {
        return readFileSync(location);
      } catch {
        throw modelError(`cannot read ${location}: no such file`);
      }
    }
    let response: Response;
    try {
      response = await fetch(location);
    } catch (e) {
      const cause = (e as { cause?: Error }).cause?.message;
      throw modelError(`cannot fetch ${location}: ${oneLine(cause ?? (e as Error).message)}`);
    }
    if (!response.ok) throw modelError(`cannot fetch ${location}: HTTP ${response.status}`);
    return new Uint8Array(await response.arrayBuffer());
  };
  const hash = createHash('sha256');
  const jsonBytes = await read(jsonPath);
  hash.update(jsonBytes);
  let json: {
    format?: string;
    modelTopology?: { node?: unknown[] };
    weightsManifest?: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
    signature?: object;
    userDefinedMetadata?: Record<string, object>;
    modelInitializer?: object;
  };
  try {
    json = JSON.parse(new TextDecoder().decode(jsonBytes));
  } catch (e) {
    throw modelError(`${jsonPath} is not valid JSON (${oneLine((e as Error).message)})`);
  }
  if (json.format !== 'graph-model' && !Array.isArray(json.modelTopology?.node))
    throw modelError(
      `${jsonPath} is not a tfjs graph model (format ${JSON.stringify(json.format ?? null)}, no GraphDef nodes)${json.format === 'layers-model' ? ': it is a Layers model, pass its folder as a Layers teacher' : ''}`,
    );
  if (!Array.isArray(json.weightsManifest))
    throw modelError(`${jsonPath} has no weightsManifest array`);
  const weightSpecs: tf.io.WeightsManifestEntry[] = [];
  const parts: Uint8Array[] = [];
  for (const group of json.weightsManifest) {
    for (const path of group.paths ?? []) {
      if (
        typeof path !== 'string' ||
        path === '' ||
        isAbsolute(path) ||
        normalize(path).startsWith('..')
      )
        throw modelError(
          `${jsonPath}: weight path ${JSON.stringify(path)} must be relative to model.json`,
        );
      const location = remote ? new URL(path, jsonPath).href : join(dirname(jsonPath), path);
      const bytes = await read(location);
      hash.update(bytes);
      parts.push(bytes);
    }
    weightSpecs.push(...(group.weights ?? []));
  }
  const total = parts.reduce((a, p) => a + p.byteLength, 0);
  const needed = weightSpecs.reduce((a, w) => a + specBytes(w), 0);
  if (total !== needed)
    throw modelError(
      `weight files of ${jsonPath} hold ${total} bytes but the manifest needs ${needed}: ${total < needed ? 'truncated' : 'mismatched'} weights`,
    );
  const weightData = new Uint8Array(total);
  let offset = 0;
  for (const p of parts) {
    weightData.set(p, offset);
    offset += p.byteLength;
  }
  return {
    artifacts: {
      modelTopology: json.modelTopology,
      format: 'graph-model',
      weightSpecs,
      weightData: weightData.buffer,
      signature: json.signature,
      userDefinedMetadata: json.userDefinedMetadata,
      modelInitializer: json.modelInitializer,
    },
    hash: hash.digest('hex'),
  };
}

const DTYPE_BYTES: Record<string, number> = {
  float32: 4,
  int32: 4,
  bool: 1,
  uint8: 1,
  uint16: 2,
  float16: 2,
};

function specBytes(w: tf.io.WeightsManifestEntry): number {
  const dtype = w.quantization?.dtype ?? w.dtype;
  return (w.shape as number[]).reduce((a, b) => a * b, 1) * (DTYPE_BYTES[dtype] ?? 4);
}

/** Loads a tfjs graph model classifier as a Teacher. */
export async function graphModelTeacher(
  urlOrDir: string,
  options: GraphModelTeacherOptions = {},
): Promise<Teacher> {
  const who = `graph-model teacher ${urlOrDir}`;
  const { artifacts, hash } = await readGraphModel(urlOrDir);
  let model: tf.GraphModel;
  try {
    model = await tf.loadGraphModel(tf.io.fromMemory(artifacts));
  } catch (e) {
    throw modelError(`cannot build the graph model ${urlOrDir}: ${oneLine((e as Error).message)}`);
  }
  const values = (list: GraphIo[]) =>
    list.map((t) => ({ name: t.name, shape: t.shape?.map((d) => (d < 0 ? '?' : d)) }));
  const pick = (list: GraphIo[], wanted: string | undefined, what: string, option: string) => {
    const named = values(list);
    const show = named
      .map((v) => `${v.name}${v.shape ? ` [${v.shape.join(', ')}]` : ''}`)
      .join(', ');
    if (wanted !== undefined) {
      const found = list.find((t) => t.name === wanted || t.name === `${wanted}:0`);
      if (!found) throw modelError(`${who} has no ${what} '${wanted}' (its ${what}s: ${show})`);
      return found;
    }
    if (list.length !== 1)
      throw modelError(`${who} has ${list.length} ${what}s (${show}): choose one with ${option}`);
    return list[0];
  };
  const input = pick(
    model.inputs,
    options.input?.name,
    'input',
    '--teacher-input-name (input.name)',
  );
  const output = pick(
    model.outputs,
    options.outputName,
    'output',
    '--teacher-output-name (outputName)',
  );
  if (input.dtype !== 'float32')
    throw modelError(
      `${who}: input '${input.name}' is ${input.dtype}; only float32 inputs are supported`,
    );
  const declared = (input.shape ?? []).map((d) => (d > 0 ? d : null));
  const dataInput: InputSpec | undefined = options.data ? primaryInput(options.data) : undefined;
  const teacherInput = resolveTeacherInput(
    declared,
    { ...options.input, name: input.name },
    dataInput,
    who,
  );
  const fixedBatch = declared[0] ?? undefined;
  if (fixedBatch !== undefined)
    throw modelError(
      `${who}: input '${input.name}' has a fixed batch of ${fixedBatch}; graph-model teachers need a dynamic batch (-1)`,
    );

  // execute() while the graph allows it: executeAsync() on a graph without control flow warns
  // on every call (dozens of lines per run); a graph with dynamic ops makes execute() throw,
  // naming executeAsync(), and from then on every batch goes through executeAsync().
  let sync = true;
  const forward = async (x: Tensor): Promise<Tensor> => {
    try {
      if (sync)
        try {
          return model.execute({ [input.name]: x }, output.name) as Tensor;
        } catch (e) {
          if (!/executeAsync/.test((e as Error).message)) throw e;
          sync = false;
        }
      return (await model.executeAsync({ [input.name]: x }, output.name)) as Tensor;
    } catch (e) {
      throw modelError(
        `${who} failed on a batch of ${x.shape[0]}: ${oneLine((e as Error).message)}`,
      );
    }
  };
  let classes = output.shape?.length === 2 && output.shape[1] > 0 ? output.shape[1] : undefined;
  if (classes === undefined) {
    const probe = tf.zeros([1, ...teacherInput.shape]);
    const out = await forward(probe);
    classes = out.shape[1];
    if (out.rank !== 2 || classes === undefined)
      throw modelError(
        `${who}: output '${output.name}' has shape [${out.shape.join(', ')}]: expected [batch, classes] logits`,
      );
    tf.dispose([probe, out]);
  }
  if (options.data && options.data.classNames.length !== classes)
    throw modelError(
      `${who} outputs ${classes} classes but the data has ${options.data.classNames.length} (${options.data.classNames.slice(0, 5).join(', ')}${options.data.classNames.length > 5 ? ', …' : ''}): use a teacher trained on these classes`,
    );
  const adapters = new Map<string, InputAdapter>();
  const adapterFor = (shape: number[]): InputAdapter => {
    const key = shape.join('×');
    let adapter = adapters.get(key);
    if (!adapter) {
      const data =
        dataInput && dataInput.shape.join('×') === key ? dataInput : defaultImageSpec(shape);
      adapter = createAdapter(data, teacherInput, who);
      adapters.set(key, adapter);
    }
    return adapter;
  };
  if (dataInput) adapterFor(dataInput.shape);

  const parameters = (artifacts.weightSpecs ?? [])
    .filter((w) => w.dtype === 'float32')
    .reduce((a, w) => a + (w.shape as number[]).reduce((p, d) => p * d, 1), 0);
  const identity = `graph-model:${hash}:${JSON.stringify({ input: input.name, output: output.name, preprocessing: teacherInput.preprocessing })}`;
  const n = classes;
  return {
    kind: 'graph-model',
    classes: n,
    dataShape: dataInput?.shape,
    identity: async () => identity,
    logits: async (x: Tensor): Promise<Tensor> => {
      const adapted = adapterFor(x.shape.slice(1)).apply(x); // [batch, ...teacher input]
      const out = await forward(adapted);
      adapted.dispose();
      return toLogits(out, x.shape[0], n, who); // [batch, classes]
    },
    describe: (): TeacherRecord => ({
      kind: 'graph-model',
      source: options.source ?? urlOrDir,
      classes: n,
      input: teacherInput,
      inputName: input.name,
      outputName: output.name,
      adaptation: dataInput ? describeAdapter(adapterFor(dataInput.shape)) : undefined,
      sha256: hash,
      parameters,
      weightBytes: parameters * 4,
    }),
    dispose: () => model.dispose(),
  };
}
