// A teacher behind the KServe v2 / Open Inference Protocol (Triton, KServe, Seldon MLServer):
// `GET /v2/health/ready`, `GET /v2/models/{m}[/versions/{v}]` for the input's name, shape and
// datatype and the output's class count, `POST …/infer` with FP32 tensors in JSON.
// Leaves out: the binary tensor extension, gRPC, string (BYTES) inputs, several inputs.
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
