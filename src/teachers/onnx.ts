// An ONNX file (e.g. a PyTorch or Hugging Face model exported with torch.onnx.export) as a Teacher,
// through onnxruntime-node (inference only, imported lazily). Input and output names are inferred
// when the graph has one of each, else chosen by option; the teacher's own input (size, channels,
// mean/std, NCHW/NHWC) comes from its declared input shape plus options, and data batches are
// adapted to it (adapt.ts). Fixed-batch graphs get their last batch zero-padded; dynamic ones are
// fed in chunks of `batchSize`. Logits are validated (shape, finiteness) before use.
// Text teachers take int32 or int64 token ids [batch, length] as the data's tokenizer encodes them
// (the data must use the teacher's vocabulary, e.g. --data-option tokenizerFile=…; ids pass as is).
// Leaves out: GPU execution providers, other input types, models with several required inputs.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Tensor } from '../tf.ts';
import { modelError } from '../errors.ts';
import {
  primaryInput,
  type DataSpec,
  type InputSpec,
  type TokensPreprocessing,
} from '../data/spec.ts';
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

export const ONNX_INSTALL = 'ONNXRUNTIME_NODE_INSTALL=skip npm install onnxruntime-node';

export interface OnnxTeacherOptions {
  /** The teacher's own input: name, size, channels, scale, mean/std, layout (else inferred). */
  input?: TeacherInputOptions;
  /** Output to read when the graph has several. */
  outputName?: string;
  /** The data's spec (a dataset's `spec`): batches arrive in its representation; classes checked. */
  data?: DataSpec;
  /** Rows per session.run for dynamic-batch graphs (default 256). */
  batchSize?: number;
  /** onnxruntime intra-op threads (default 1: the training loop uses the other cores). */
  threads?: number;
  /** Where it came from, for the record (default: the path). */
  source?: string;
  /** How onnxruntime-node is imported (tests replace it). */
  runtime?: () => Promise<unknown>;
}

type Ort = typeof import('onnxruntime-node');
type Session = import('onnxruntime-node').InferenceSession;

/** onnxruntime-node, or a one-line model error saying how to install it. */
export async function loadOnnxRuntime(
  runtime: () => Promise<unknown> = () => import('onnxruntime-node'),
): Promise<Ort> {
  try {
    const mod = (await runtime()) as Ort & { default?: Ort };
    return (mod.InferenceSession ? mod : mod.default) as Ort;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND')
      throw modelError(
        `ONNX teachers need onnxruntime-node, which is not installed: run ${ONNX_INSTALL}`,
      );
    throw modelError(
      `onnxruntime-node failed to load (${oneLine((e as Error).message)}): reinstall it with ${ONNX_INSTALL}`,
    );
  }
}

interface ValueInfo {
  name: string;
  type?: string;
  shape?: (number | string)[];
}

const describeValues = (values: ValueInfo[]) =>
  values.map((v) => `${v.name}${v.shape ? ` [${v.shape.join(', ')}]` : ''}`).join(', ');

function pick(
  values: ValueInfo[],
  wanted: string | undefined,
  what: string,
  option: string,
  who: string,
): ValueInfo {
  if (wanted !== undefined) {
    const found = values.find((v) => v.name === wanted);
    if (!found)
      throw modelError(
        `${who} has no ${what} '${wanted}' (its ${what}s: ${describeValues(values)})`,
      );
    return found;
  }
  if (values.length !== 1)
    throw modelError(
      `${who} has ${values.length} ${what}s (${describeValues(values)}): choose one with ${option}`,
    );
  return values[0];
}

/** Loads an ONNX classifier as a Teacher. */
export async function onnxTeacher(
  path: string,
  options: OnnxTeacherOptions = {},
): Promise<Teacher> {
  const who = `ONNX teacher ${path}`;
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw modelError(
      `cannot read ${path}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory (pass the .onnx file)' : oneLine((e as Error).message)}`,
    );
  }
  const ort = await loadOnnxRuntime(options.runtime);
  let session: Session;
  try {
    session = await ort.InferenceSession.create(
      new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength),
      {
        intraOpNumThreads: options.threads ?? 1,
        interOpNumThreads: 1,
      },
    );
  } catch (e) {
    const message = oneLine((e as Error).message);
    throw modelError(
      /protobuf|parse/i.test(message)
        ? `${path} is not an ONNX model (${message}): pass a file written by torch.onnx.export or another ONNX exporter`
        : `onnxruntime cannot load ${path}: ${message}`,
    );
  }
  try {
    return await wrapSession(ort, session, bytes, path, who, options);
  } catch (e) {
    await session.release();
    throw e;
  }
}

async function wrapSession(
  ort: Ort,
  session: Session,
  bytes: Buffer,
  path: string,
  who: string,
  options: OnnxTeacherOptions,
): Promise<Teacher> {
  const metadata = (list: readonly string[], meta: unknown): ValueInfo[] =>
    list.map((name, i) => {
      const m = (meta as ValueInfo[] | undefined)?.[i];
      return { name, type: m?.type, shape: m?.shape };
    });
  const inputs = metadata(
    session.inputNames,
    (session as { inputMetadata?: unknown }).inputMetadata,
  );
  const outputs = metadata(
    session.outputNames,
    (session as { outputMetadata?: unknown }).outputMetadata,
  );
  const input = pick(
    inputs,
    options.input?.name,
    'input',
    '--teacher-input-name (input.name)',
    who,
  );
  const output = pick(
    outputs,
    options.outputName,
    'output',
    '--teacher-output-name (outputName)',
    who,
  );
  const type = input.type ?? 'float32';
  if (type !== 'float32' && type !== 'int32' && type !== 'int64')
    throw modelError(
      `${who}: input '${input.name}' is ${type}; only float32 (images) and int32 / int64 (token ids) inputs are supported`,
    );
  const tokens = type !== 'float32';
  const declared = (input.shape ?? []).map((d) => (typeof d === 'number' ? d : null));
  const fixedBatch =
    declared[0] !== null && declared[0] !== undefined && declared[0] > 0 ? declared[0] : undefined;
  const dataInput: InputSpec | undefined = options.data ? primaryInput(options.data) : undefined;
  const teacherInput = tokens
    ? resolveTokenInput(declared, input.name, type, dataInput, who)
    : resolveTeacherInput(declared, { ...options.input, name: input.name }, dataInput, who);
  const chunk = fixedBatch ?? options.batchSize ?? 256;
  const per = teacherInput.shape.reduce((a, b) => a * b, 1);
  // Token ids go in as the graph declares them (int64: Hugging Face / PyTorch's default).
  const ortTensor = (values: Float32Array | Int32Array, dims: number[]) =>
    type === 'int64'
      ? new ort.Tensor(
          'int64',
          BigInt64Array.from(values, (v) => BigInt(v)),
          dims,
        )
      : type === 'int32'
        ? new ort.Tensor('int32', Int32Array.from(values), dims)
        : new ort.Tensor('float32', values as Float32Array, dims);

  const run = async (values: Float32Array | Int32Array, rows: number): Promise<Float32Array> => {
    const out = new Float32Array(rows * classesOf());
    let offset = 0;
    for (let start = 0; start < rows; start += chunk) {
      const n = Math.min(chunk, rows - start);
      let feed = values.subarray(start * per, (start + n) * per);
      const fed = fixedBatch ?? n;
      if (fixedBatch !== undefined && n < fixedBatch) {
        const padded = new (tokens ? Int32Array : Float32Array)(fixedBatch * per); // zero rows, dropped below
        padded.set(feed);
        feed = padded;
      }
      let result;
      try {
        result = await session.run({
          [input.name]: ortTensor(feed, [fed, ...teacherInput.shape]),
        });
      } catch (e) {
        throw modelError(`${who} failed on a batch of ${fed}: ${oneLine((e as Error).message)}`);
      }
      const tensor = result[output.name];
      const data = tensor.data as Float32Array;
      if (tensor.type !== 'float32' || data.length !== fed * classesOf())
        throw modelError(
          `${who}: output '${output.name}' has shape [${tensor.dims.join(', ')}] (${tensor.type}) for a batch of ${fed}: expected [${fed}, ${classesOf()}] float32 logits`,
        );
      out.set(data.subarray(0, n * classesOf()), offset);
      offset += n * classesOf();
      for (const t of Object.values(result)) t.dispose?.();
    }
    return out;
  };

  // Classes: from the output's declared shape, else by running one batch of zeros.
  const declaredClasses =
    output.shape?.length === 2 && typeof output.shape[1] === 'number' ? output.shape[1] : undefined;
  let classes = declaredClasses;
  const classesOf = () => classes!;
  if (classes === undefined) {
    const rows = fixedBatch ?? 1;
    const result = await session.run({
      [input.name]: ortTensor(new Float32Array(rows * per), [rows, ...teacherInput.shape]),
    });
    const dimsOut = result[output.name].dims;
    if (dimsOut.length !== 2)
      throw modelError(
        `${who}: output '${output.name}' has shape [${dimsOut.join(', ')}]: expected [batch, classes] logits`,
      );
    classes = dimsOut[1];
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
  if (dataInput && !tokens) adapterFor(dataInput.shape); // shape mismatches fail now, not in the first epoch

  const hash = createHash('sha256').update(bytes).digest('hex');
  const identity = `onnx:${hash}:${JSON.stringify({ input: input.name, output: output.name, preprocessing: teacherInput.preprocessing })}`;
  const weights = onnxInitializerStats(bytes);
  const source = options.source ?? path;
  return {
    kind: 'onnx',
    classes,
    dataShape: dataInput?.shape,
    batchSize: fixedBatch,
    identity: async () => identity,
    logits: async (x: Tensor): Promise<Tensor> => {
      const batch = x.shape[0];
      let values: Float32Array | Int32Array;
      if (tokens) {
        if (x.shape.length !== 2 || x.shape[1] !== per || x.dtype !== 'int32')
          throw modelError(
            `${who}: got a ${x.dtype} batch of shape [${x.shape.join(', ')}] but the teacher takes int32 token ids [batch, ${per}]`,
          );
        values = (await x.data()) as Int32Array; // [batch, length]
      } else {
        const adapted = adapterFor(x.shape.slice(1)).apply(x); // [batch, ...teacher input]
        values = (await adapted.data()) as Float32Array;
        adapted.dispose();
      }
      const logits = await run(values, batch);
      return toLogits(logits, batch, classes!, who); // [batch, classes]
    },
    describe: (): TeacherRecord => ({
      kind: 'onnx',
      source,
      classes: classes!,
      input: teacherInput,
      inputName: input.name,
      outputName: output.name,
      batch: fixedBatch ?? 'dynamic',
      adaptation: tokens
        ? `token ids as they are${type === 'int64' ? ' (int32 → int64)' : ''}`
        : dataInput
          ? describeAdapter(adapterFor(dataInput.shape))
          : undefined,
      sha256: hash,
      fileBytes: bytes.byteLength,
      ...(weights ? { parameters: weights.parameters, weightBytes: weights.bytes } : {}),
    }),
    dispose: async () => {
      await session.release();
    },
  };
}

/**
 * A token teacher's input: [batch, length] ids, the length fixed by the graph or taken from the
 * data, whose input must be token ids of that length.
 */
function resolveTokenInput(
  declared: (number | null)[],
  name: string,
  type: string,
  data: InputSpec | undefined,
  who: string,
): InputSpec {
  const shown = `[${declared.map((d) => (d === null || d < 0 ? '?' : d)).join(', ')}]`;
  if (declared.length !== 2)
    throw modelError(
      `${who}: input '${name}' is ${type} of shape ${shown}, not token ids [batch, length]`,
    );
  const length = declared[1] !== null && declared[1] > 0 ? declared[1] : data?.shape[0];
  if (data && (data.preprocessing.kind !== 'tokens' || data.shape.length !== 1))
    throw modelError(
      `${who} takes token ids (${type} ${shown}) but the data gives ${data.preprocessing.kind} inputs of shape [${data.shape.join(', ')}]: use a text dataset`,
    );
  if (length === undefined)
    throw modelError(`${who}: input '${name}' ${shown} leaves the sequence length open`);
  if (data && data.shape[0] !== length)
    throw modelError(
      `${who} takes ${length} tokens per example but the data encodes ${data.shape[0]}: set the data's sequence length to ${length} (or use the teacher's tokenizer file)`,
    );
  const tokenizer =
    data?.preprocessing.kind === 'tokens'
      ? (data.preprocessing as TokensPreprocessing).tokenizer
      : undefined;
  return {
    name,
    shape: [length],
    dtype: 'int32',
    preprocessing: { kind: 'tokens', tokenizer: { type: tokenizer?.type ?? 'unknown' }, length },
    description: `${length} token ids (${type} in the graph)`,
  };
}

// The parameter count, read from the file's float initializers with a minimal protobuf walk
// (ModelProto.graph = 7 → GraphProto.initializer = 5 → TensorProto.dims = 1, data_type = 2).
const FLOAT_BYTES: Record<number, number> = { 1: 4, 10: 2, 11: 8, 16: 2 };

export function onnxInitializerStats(
  bytes: Uint8Array,
): { parameters: number; bytes: number } | undefined {
  try {
    let parameters = 0;
    let total = 0;
    for (const graph of fields(bytes, 0, bytes.length, 7))
      for (const init of fields(bytes, graph.start, graph.end, 5)) {
        let type = 0;
        let size = 1;
        for (const f of allFields(bytes, init.start, init.end)) {
          if (f.field === 2 && f.wire === 0) type = f.value;
          if (f.field === 1 && f.wire === 0) size *= f.value;
          if (f.field === 1 && f.wire === 2)
            for (const d of varints(bytes, f.start, f.end)) size *= d;
        }
        if (FLOAT_BYTES[type]) {
          parameters += size;
          total += size * FLOAT_BYTES[type];
        }
      }
    return parameters > 0 ? { parameters, bytes: total } : undefined;
  } catch {
    return undefined; // not worth failing a teacher over: the record simply lacks the count
  }
}

interface Field {
  field: number;
  wire: number;
  value: number;
  start: number;
  end: number;
}

function varint(b: Uint8Array, pos: number): [number, number] {
  let value = 0;
  let mul = 1;
  for (;;) {
    if (pos >= b.length) throw new Error('truncated varint');
    const byte = b[pos++];
    value += (byte & 0x7f) * mul;
    mul *= 128;
    if (byte < 0x80) return [value, pos];
  }
}

function* varints(b: Uint8Array, start: number, end: number): Generator<number> {
  let pos = start;
  while (pos < end) {
    const [v, next] = varint(b, pos);
    pos = next;
    yield v;
  }
}

function* allFields(b: Uint8Array, start: number, end: number): Generator<Field> {
  let pos = start;
  while (pos < end) {
    const [key, afterKey] = varint(b, pos);
    const field = Math.floor(key / 8);
    const wire = key % 8;
    pos = afterKey;
    if (wire === 0) {
      const [value, next] = varint(b, pos);
      yield { field, wire, value, start: pos, end: next };
      pos = next;
    } else if (wire === 2) {
      const [length, next] = varint(b, pos);
      yield { field, wire, value: length, start: next, end: next + length };
      pos = next + length;
    } else if (wire === 5) pos += 4;
    else if (wire === 1) pos += 8;
    else throw new Error(`wire type ${wire}`);
    if (pos > end) throw new Error('field past the end');
  }
}

function* fields(b: Uint8Array, start: number, end: number, wanted: number): Generator<Field> {
  for (const f of allFields(b, start, end)) if (f.field === wanted && f.wire === 2) yield f;
}
