// A teacher behind TensorFlow Serving's REST API: `GET /v1/models/{m}` (a version AVAILABLE),
// `GET …/metadata` (the signature's input shape, when served), `POST …:predict` in the row format
// (`instances` → `predictions`) or the columnar one (`inputs` → `outputs`).
// Leaves out: gRPC, base64 binary inputs, several named inputs, classify/regress APIs.
import { modelError } from '../../errors.ts';
import type { Tensor } from '../../tf.ts';
import type { TeacherRecord } from '../teacher.ts';
import { HttpClient } from './client.ts';
import {
  nest,
  remoteLogits,
  splitModelUrl,
  type RemoteTeacher,
  type RemoteTeacherOptions,
} from './remote.ts';

export interface TfServingOptions extends RemoteTeacherOptions {
  /** 'instances' (row format, default) or 'inputs' (columnar). */
  format?: 'instances' | 'inputs';
  /** Signature to call (default serving_default). */
  signature?: string;
}

interface VersionStatus {
  version: string;
  state: string;
}

interface SignatureTensor {
  tensor_shape?: { dim?: { size: string }[] };
}

/** Connects to the model at `url` (…/v1/models/{m}[/versions/{v}]). */
export async function tfServingTeacher(options: TfServingOptions): Promise<RemoteTeacher> {
  const { origin, path } = splitModelUrl(options.url);
  const match = /^(.*)\/v1\/models\/([^/:]+)(?:\/versions\/([^/:]+))?$/.exec(path);
  if (!match)
    throw modelError(
      `${origin}${path}: a TF Serving teacher URL ends in /v1/models/<name>[/versions/<v>]`,
    );
  const [, prefix, name, version] = match;
  const client = new HttpClient({ ...options, baseUrl: origin + prefix });
  const modelPath = `/v1/models/${name}${version ? `/versions/${version}` : ''}`;
  const who = `TF Serving teacher ${origin}${modelPath}`;
  const status = (await client.json(modelPath)) as { model_version_status?: VersionStatus[] };
  const available = (status?.model_version_status ?? []).filter((s) => s.state === 'AVAILABLE');
  if (available.length === 0)
    throw modelError(`${who}: no version is AVAILABLE (is the model loaded?)`);
  const servedVersion = version ?? available.map((s) => s.version).join(',');
  const signature = options.signature ?? 'serving_default';

  // The signature's input shape, if the server serves metadata (a missing one is not fatal).
  let dataShape: number[] | undefined;
  let classes = options.classes;
  type Signature = {
    inputs?: Record<string, SignatureTensor>;
    outputs?: Record<string, SignatureTensor>;
  };
  let meta: { metadata?: { signature_def?: { signature_def?: Record<string, Signature> } } };
  try {
    meta = (await client.json(`${modelPath}/metadata`)) as typeof meta;
  } catch {
    meta = {}; // servers behind some gateways do not expose metadata: shapes stay undeclared
  }
  const sig = meta?.metadata?.signature_def?.signature_def?.[signature];
  const dims = (t?: SignatureTensor) => t?.tensor_shape?.dim?.map((d) => Number(d.size));
  const inDims = dims(
    options.inputName ? sig?.inputs?.[options.inputName] : Object.values(sig?.inputs ?? {})[0],
  );
  const outDims = dims(
    options.outputName ? sig?.outputs?.[options.outputName] : Object.values(sig?.outputs ?? {})[0],
  );
  if (inDims && inDims.slice(1).every((d) => d > 0)) dataShape = inDims.slice(1);
  const declared = outDims?.at(-1);
  if (declared !== undefined && declared > 0) {
    if (classes !== undefined && classes !== declared)
      throw modelError(`${who}: the signature outputs ${declared} classes, not ${classes}`);
    classes = declared;
  }
  if (classes === undefined || !Number.isInteger(classes) || classes < 2)
    throw modelError(`${who}: its metadata does not give the class count: pass --teacher-classes`);
  const nClasses = classes;
  const batchSize = options.batchSize ?? 64;
  const format = options.format ?? 'instances';

  const pickOutput = (value: unknown): unknown => {
    // Several named outputs come back as objects (row format) or one object (columnar).
    if (!options.outputName) return value;
    if (Array.isArray(value))
      return value.map((row) => (row as Record<string, unknown>)?.[options.outputName!]);
    return (value as Record<string, unknown>)?.[options.outputName];
  };

  const record = (): TeacherRecord => ({
    kind: 'tf-serving',
    source: `${origin}${modelPath}`,
    classes: nClasses,
    model: name,
    version: servedVersion,
    signature,
  });
  return {
    kind: 'tf-serving',
    classes: nClasses,
    dataShape,
    batchSize,
    identity: async () =>
      options.id !== undefined
        ? `tf-serving:${options.id}`
        : `tf-serving:${origin}${modelPath}:${servedVersion}:${signature}:${options.outputName ?? ''}`,
    logits: (x: Tensor) => {
      const shape = x.shape.slice(1);
      const per = shape.reduce((a, b) => a * b, 1);
      return remoteLogits(x, {
        batchSize,
        classes: nClasses,
        output: options.output ?? 'logits',
        who,
        request: async (values, rows) => {
          const examples = Array.from({ length: rows }, (_, i) =>
            nest(values.subarray(i * per, (i + 1) * per), shape),
          );
          const named = (v: unknown) => (options.inputName ? { [options.inputName]: v } : v);
          const body =
            format === 'instances'
              ? { signature_name: signature, instances: examples.map(named) }
              : { signature_name: signature, inputs: named(examples) };
          const response = (await client.json(`${modelPath}:predict`, { body })) as Record<
            string,
            unknown
          >;
          const key = format === 'instances' ? 'predictions' : 'outputs';
          if (!response || !(key in response))
            throw modelError(`${who}: the response has no '${key}'`);
          const out = pickOutput(response[key]);
          if (!Array.isArray(out) || out.length !== rows)
            throw modelError(
              `${who}: ${Array.isArray(out) ? out.length : 'no'} predictions for ${rows} examples`,
            );
          return out;
        },
      });
    },
    describe: record,
    stats: () => client.stats,
    dispose: () => {},
  };
}
