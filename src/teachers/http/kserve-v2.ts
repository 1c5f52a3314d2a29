// A teacher behind the KServe v2 / Open Inference Protocol (Triton, KServe, Seldon MLServer):
// `GET /v2/health/ready`, `GET /v2/models/{m}[/versions/{v}]` for the input's name, shape and
// datatype and the output's class count, `POST …/infer` with FP32 tensors: as raw little-endian
// bytes (the binary tensor data extension) when the server metadata (`GET /v2`) lists
// `binary_tensor_data` — Triton does; it cuts the CPU both sides spend per request — else in JSON.
// Leaves out: gRPC, string (BYTES) inputs, several inputs, shared-memory extensions.
import { modelError } from '../../errors.ts';
import type { Tensor } from '../../tf.ts';
import type { TeacherRecord } from '../teacher.ts';
import { HttpClient } from './client.ts';
import {
  remoteLogits,
  splitModelUrl,
  type RemoteTeacher,
  type RemoteTeacherOptions,
} from './remote.ts';

interface TensorMetadata {
  name: string;
  datatype: string;
  shape: number[];
}

interface BinaryOutput extends TensorMetadata {
  data?: unknown;
  parameters?: { binary_data_size?: number };
}

const BINARY = 'binary_tensor_data';

/**
 * The extensions the server metadata lists; none when the server has no `GET /v2` (KServe's
 * older servers) or answers it with something else.
 */
async function serverExtensions(client: HttpClient): Promise<Set<string>> {
  try {
    const meta = (await client.json('/v2')) as { extensions?: unknown } | null;
    const list = meta?.extensions;
    return new Set(Array.isArray(list) ? list.filter((e) => typeof e === 'string') : []);
  } catch {
    return new Set(); // a 404 or a failure here only means: no extension is known, use JSON
  }
}

interface ModelMetadata {
  name: string;
  versions?: string[];
  platform?: string;
  inputs: TensorMetadata[];
  outputs: TensorMetadata[];
}

/** Connects to the model at `url` (…/v2/models/{m}[/versions/{v}]), reads its metadata. */
export async function kserveV2Teacher(options: RemoteTeacherOptions): Promise<RemoteTeacher> {
  const { origin, path } = splitModelUrl(options.url);
  const match = /^(.*)\/v2\/models\/([^/]+)(?:\/versions\/([^/]+))?$/.exec(path);
  if (!match)
    throw modelError(
      `${origin}${path}: a KServe v2 teacher URL ends in /v2/models/<name>[/versions/<v>]`,
    );
  const [, prefix, name, version] = match;
  const client = new HttpClient({ ...options, baseUrl: origin + prefix });
  const modelPath = `/v2/models/${name}${version ? `/versions/${version}` : ''}`;
  await client.json('/v2/health/ready', { allowEmpty: true });
  const binary = options.binaryTensors !== false && (await serverExtensions(client)).has(BINARY);
  const meta = (await client.json(modelPath)) as ModelMetadata;
  const who = `KServe v2 teacher ${origin}${modelPath}`;
  if (!meta || !Array.isArray(meta.inputs) || !Array.isArray(meta.outputs))
    throw modelError(`${who}: its metadata lists no inputs/outputs (is this a v2 server?)`);
  const input = options.inputName
    ? meta.inputs.find((i) => i.name === options.inputName)
    : meta.inputs[0];
  const output = options.outputName
    ? meta.outputs.find((o) => o.name === options.outputName)
    : meta.outputs[0];
  if (!input || !output)
    throw modelError(
      `${who}: no input '${options.inputName ?? '?'}' / output '${options.outputName ?? '?'}' (it has inputs ${meta.inputs.map((i) => i.name).join(', ')}; outputs ${meta.outputs.map((o) => o.name).join(', ')})`,
    );
  if (input.datatype !== 'FP32')
    throw modelError(`${who}: input ${input.name} is ${input.datatype}; only FP32 inputs are sent`);
  // A leading -1 is the batch dimension (Triton with max_batch_size > 0, KServe).
  const dataShape = input.shape[0] === -1 ? input.shape.slice(1) : input.shape;
  const declared = output.shape.at(-1);
  const classes = options.classes ?? (declared !== undefined && declared > 0 ? declared : NaN);
  if (!Number.isInteger(classes) || classes < 2)
    throw modelError(
      `${who}: output ${output.name} has shape [${output.shape.join(', ')}]: pass the class count (--teacher-classes)`,
    );
  if (
    options.classes !== undefined &&
    declared !== undefined &&
    declared > 0 &&
    declared !== classes
  )
    throw modelError(
      `${who}: output ${output.name} has ${declared} classes, not ${options.classes}`,
    );
  const batchSize = options.batchSize ?? 64;
  /** One request in the binary extension: the output's values (the shape checked as in JSON). */
  const inferBinary = async (values: Float32Array, shape: number[]): Promise<number[]> => {
    const rows = shape[0];
    const header = {
      inputs: [
        {
          name: input.name,
          shape,
          datatype: 'FP32',
          parameters: { binary_data_size: values.byteLength },
        },
      ],
      outputs: [{ name: output.name, parameters: { binary_data: true } }],
    };
    const bytes = new Uint8Array(values.buffer, values.byteOffset, values.byteLength); // [rows, ...] FP32
    const { json, data } = await client.binary(`${modelPath}/infer`, header, bytes);
    const outputs = (json as { outputs?: BinaryOutput[] })?.outputs ?? [];
    const out = outputs.find((o) => o.name === output.name);
    if (!out) throw modelError(`${who}: the response has no output '${output.name}'`);
    const size = (out.shape ?? []).reduce((a, b) => a * b, 1);
    if (out.shape?.[0] !== rows || size !== rows * classes)
      throw modelError(
        `${who}: output shape [${(out.shape ?? []).join(', ')}] for ${rows} examples: expected [${rows}, ${classes}]`,
      );
    if (out.parameters?.binary_data_size === undefined) return out.data as number[]; // in JSON
    if (out.datatype !== 'FP32')
      throw modelError(`${who}: output ${out.name} is ${out.datatype}; only FP32 outputs are read`);
    // Binary outputs follow the header in the order listed.
    let offset = 0;
    for (const o of outputs) {
      if (o === out) break;
      offset += o.parameters?.binary_data_size ?? 0;
    }
    const length = out.parameters.binary_data_size;
    if (length !== size * 4 || offset + length > data.byteLength)
      throw modelError(
        `${who}: output ${out.name} declares ${length} bytes at offset ${offset} of ${data.byteLength}: expected ${size * 4} for [${out.shape.join(', ')}] FP32`,
      );
    const copy = new Uint8Array(data.subarray(offset, offset + length)); // aligned for Float32Array
    return Array.from(new Float32Array(copy.buffer)); // [rows × classes]
  };
  const versionTag = version ?? meta.versions?.join(',') ?? '';
  const record = (): TeacherRecord => ({
    kind: 'kserve-v2',
    source: `${origin}${modelPath}`,
    classes,
    model: meta.name,
    version: versionTag || undefined,
    platform: meta.platform,
    input: {
      name: input.name,
      shape: dataShape,
      dtype: 'float32',
      preprocessing: { kind: 'remote' },
    },
  });
  return {
    kind: 'kserve-v2',
    classes,
    dataShape: dataShape.every((d) => d > 0) ? dataShape : undefined,
    batchSize,
    identity: async () =>
      options.id !== undefined
        ? `kserve-v2:${options.id}`
        : `kserve-v2:${origin}${modelPath}:${meta.name}:${versionTag}:${output.name}`,
    logits: (x: Tensor) =>
      remoteLogits(x, {
        batchSize,
        classes,
        output: options.output ?? 'logits',
        who,
        request: async (values, rows) => {
          if (binary) return inferBinary(values, [rows, ...x.shape.slice(1)]);
          const response = (await client.json(`${modelPath}/infer`, {
            body: {
              inputs: [
                {
                  name: input.name,
                  shape: [rows, ...x.shape.slice(1)],
                  datatype: 'FP32',
                  data: Array.from(values),
                },
              ],
              outputs: [{ name: output.name }],
            },
          })) as { outputs?: (TensorMetadata & { data: unknown })[] };
          const out = response?.outputs?.find((o) => o.name === output.name);
          if (!out) throw modelError(`${who}: the response has no output '${output.name}'`);
          const size = (out.shape ?? []).reduce((a, b) => a * b, 1);
          if (out.shape?.[0] !== rows || size !== rows * classes)
            throw modelError(
              `${who}: output shape [${(out.shape ?? []).join(', ')}] for ${rows} examples: expected [${rows}, ${classes}]`,
            );
          return out.data;
        },
      }),
    describe: record,
    stats: () => client.stats,
    dispose: () => {},
  };
}
