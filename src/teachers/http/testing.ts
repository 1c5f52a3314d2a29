// Loopback servers that speak each teacher protocol around a real model, for tests and the
// benchmark: KServe v2 (optionally with the binary tensor data extension) and TF Serving around a
// tfjs LayersModel, an OpenAI-compatible chat
// completions server around any text scorer. Each can inject faults, one per inference request
// in the order given: slow, 500, 429 + Retry-After, a connection dropped mid-body, malformed JSON,
// wrong shape, NaN. They listen on 127.0.0.1 only and count requests and the peak in flight.
// With `tls` they speak HTTPS; `makeTestCertificates` makes a throw-away CA and a certificate for
// 127.0.0.1 with the openssl command (generated per test run: no key is committed).
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { tf, type LayersModel, type Tensor } from '../../tf.ts';

export type Fault =
  'slow' | '500' | '503' | '429' | 'drop' | 'malformed' | 'wrong-shape' | 'nan' | 'unauthorized';

export interface TestServerOptions {
  /** Faults applied to successive inference requests (then healthy). */
  faults?: Fault[];
  /** Added latency per inference request, ms. */
  latencyMs?: number;
  /** How long a 'slow' request stalls (default 2000 ms). */
  slowMs?: number;
  /** Retry-After seconds sent with 429 (default 1). */
  retryAfterSeconds?: number;
  /** Requires `Authorization: Bearer <key>`; a wrong key is echoed back in the 401 body. */
  apiKey?: string;
  /**
   * KServe v2: list `binary_tensor_data` in `GET /v2` and accept and answer tensors as raw bytes
   * (as Triton does). Default false: `GET /v2` lists no extension and every tensor is JSON.
   */
  binaryTensors?: boolean;
  /** Serve HTTPS with this key and certificate (PEM), e.g. from makeTestCertificates. */
  tls?: { key: string; cert: string };
}

export interface TestCertificates {
  /** PEM file of the CA that signed `cert` (what NODE_EXTRA_CA_CERTS points to). */
  caFile: string;
  /** PEM key and certificate for IP 127.0.0.1, signed by the CA, valid for 2 days. */
  key: string;
  cert: string;
}

/** A throw-away CA and a server certificate for 127.0.0.1 under `dir` (needs `openssl`). */
export function makeTestCertificates(dir: string): TestCertificates {
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl(
    'req',
    '-x509',
    ...ec,
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
    '-days',
    '2',
    '-subj',
    '/CN=Distillery test CA',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign',
  );
  openssl('req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1');
  writeFileSync(join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1\n');
  openssl(
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-out',
    'server.pem',
    '-days',
    '2',
    '-extfile',
    'server.ext',
  );
  const read = (name: string) => readFileSync(join(dir, name), 'utf8');
  return { caFile: join(dir, 'ca.pem'), key: read('server.key'), cert: read('server.pem') };
}

export interface TestServer {
  url: string;
  /** Inference requests received (including faulted ones). */
  requests: number;
  /** Most inference requests in flight at once. */
  maxInFlight: number;
  /** Headers of the last request. */
  lastHeaders?: IncomingMessage['headers'];
  faults: Fault[];
  close(): Promise<void>;
}

type Handler = (
  path: string,
  body: unknown,
  /** The bytes after the JSON header of a binary-extension request. */
  binary?: Buffer,
) =>
  | {
      status?: number;
      json: unknown;
      infer: boolean;
      rows?: number;
      /** Send `outputs[].data` as raw FP32 bytes after the JSON header (binary extension). */
      binaryOutputs?: boolean;
    }
  | undefined;

/** A response whose outputs' data go as raw FP32 bytes after the JSON header (faults applied). */
function binaryBody(json: unknown): { body: Buffer; headerLength: number } {
  const copy = JSON.parse(JSON.stringify(json)) as {
    outputs: { data?: (number | null)[]; parameters?: object }[];
  };
  const parts: Buffer[] = [];
  for (const o of copy.outputs) {
    const values = Float32Array.from(o.data ?? [], (v) => (v === null ? NaN : v));
    parts.push(Buffer.from(values.buffer));
    o.parameters = { binary_data_size: values.byteLength };
    delete o.data;
  }
  const head = Buffer.from(JSON.stringify(copy));
  return { body: Buffer.concat([head, ...parts]), headerLength: head.byteLength };
}

async function startServer(options: TestServerOptions, handle: Handler): Promise<TestServer> {
  const state: TestServer = {
    url: '',
    requests: 0,
    maxInFlight: 0,
    faults: [...(options.faults ?? [])],
    close: async () => {},
  };
  let inFlight = 0;
  const serve = async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    state.lastHeaders = req.headers;
    const bytes = Buffer.concat(chunks);
    const headerLength = req.headers['inference-header-content-length'];
    const split = headerLength === undefined ? bytes.byteLength : Number(headerLength);
    const text = bytes.subarray(0, split).toString('utf8');
    const binary = headerLength === undefined ? undefined : bytes.subarray(split);
    const send = (status: number, body: string | Buffer, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(body);
    };
    if (options.apiKey && req.headers.authorization !== `Bearer ${options.apiKey}`) {
      return send(401, JSON.stringify({ error: `invalid key: ${req.headers.authorization}` }));
    }
    let result;
    try {
      result = handle(req.url ?? '/', text ? JSON.parse(text) : undefined, binary);
    } catch (e) {
      return send(400, JSON.stringify({ error: (e as Error).message }));
    }
    if (!result) return send(404, JSON.stringify({ error: `no route ${req.url}` }));
    if (!result.infer) return send(result.status ?? 200, JSON.stringify(result.json));
    state.requests++;
    inFlight++;
    state.maxInFlight = Math.max(state.maxInFlight, inFlight);
    try {
      if (options.latencyMs) await new Promise((r) => setTimeout(r, options.latencyMs));
      const fault = state.faults.shift();
      const json =
        fault === 'wrong-shape' || fault === 'nan' ? corrupt(result.json, fault) : result.json;
      let body: string | Buffer = JSON.stringify(json);
      let ok: Record<string, string> = {};
      if (result.binaryOutputs) {
        const encoded = binaryBody(json);
        body = encoded.body;
        ok = {
          'content-type': 'application/octet-stream',
          'inference-header-content-length': String(encoded.headerLength),
        };
      }
      switch (fault) {
        case 'slow':
          await new Promise((r) => setTimeout(r, options.slowMs ?? 2000));
          if (!res.destroyed) send(200, body, ok);
          return;
        case '500':
        case '503':
          return send(Number(fault), JSON.stringify({ error: 'model crashed' }));
        case '429':
          return send(429, JSON.stringify({ error: 'slow down' }), {
            'retry-after': String(options.retryAfterSeconds ?? 1),
          });
        case 'unauthorized':
          return send(401, JSON.stringify({ error: 'no' }));
        case 'drop': {
          res.writeHead(200, {
            'content-type': 'application/json',
            ...ok,
            'content-length': String(Buffer.byteLength(body)),
          });
          res.write(body.slice(0, Math.floor(body.length / 2)));
          await new Promise((r) => setTimeout(r, 10));
          res.socket?.destroy();
          return;
        }
        case 'malformed':
          return send(200, body.slice(0, Math.floor(body.length / 2)), ok);
        default:
          return send(200, body, ok); // healthy, or wrong-shape / nan (corrupted above)
      }
    } finally {
      inFlight--;
    }
  };
  const server = options.tls ? createHttpsServer(options.tls, serve) : createServer(serve);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  state.url = `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`;
  state.close = () =>
    new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    });
  return state;
}

/** Drops the last class of every row ('wrong-shape') or puts a NaN (null in JSON) in row 0. */
function corrupt(json: unknown, fault: 'wrong-shape' | 'nan'): unknown {
  const copy = JSON.parse(JSON.stringify(json));
  const visit = (o: Record<string, unknown>) => {
    if (Array.isArray(o.outputs) && o.outputs[0]?.data) {
      const out = o.outputs[0];
      const [rows, classes] = out.shape;
      if (fault === 'nan') out.data[0] = null;
      else {
        out.data = out.data.filter((_: number, i: number) => i % classes !== classes - 1);
        out.shape = [rows, classes - 1];
      }
    } else if (Array.isArray(o.predictions)) {
      if (fault === 'nan') (o.predictions[0] as unknown[])[0] = null;
      else o.predictions = (o.predictions as number[][]).map((r) => r.slice(0, -1));
    } else if (Array.isArray(o.choices)) {
      const top = (o.choices as { logprobs: { content: { top_logprobs: unknown[] }[] } }[])[0]
        .logprobs.content[0].top_logprobs as { logprob: unknown }[];
      if (fault === 'nan') top[0].logprob = null;
      else (o.choices as unknown[]).length = 0;
    }
  };
  visit(copy);
  return copy;
}

const predict = (model: LayersModel, values: number[], shape: number[]): number[] =>
  tf.tidy(() => {
    const out = model.predict(tf.tensor(values, shape, 'float32')) as Tensor; // [rows, classes]
    return Array.from(out.dataSync());
  });

/** KServe v2 around a LayersModel with one [batch, ...shape] input and [batch, classes] output. */
export function startKServeServer(
  model: LayersModel,
  options: TestServerOptions & { name?: string; version?: string } = {},
): Promise<TestServer> {
  const name = options.name ?? 'mnist';
  const inShape = model.inputs[0].shape.slice(1) as number[];
  const classes = model.outputs[0].shape.at(-1) as number;
  return startServer(options, (path, body, binary) => {
    if (path === '/v2/health/ready') return { json: {}, infer: false };
    if (path === '/v2')
      return {
        infer: false,
        json: {
          name: 'distillery-test',
          version: '1',
          extensions: options.binaryTensors ? ['binary_tensor_data'] : [],
        },
      };
    if (path === `/v2/models/${name}` || path === `/v2/models/${name}/versions/${options.version}`)
      return {
        infer: false,
        json: {
          name,
          versions: [options.version ?? '1'],
          platform: 'tfjs',
          inputs: [{ name: 'image', datatype: 'FP32', shape: [-1, ...inShape] }],
          outputs: [{ name: 'logits', datatype: 'FP32', shape: [-1, classes] }],
        },
      };
    if (path === `/v2/models/${name}/infer`) {
      const request = body as {
        inputs: { shape: number[]; data?: number[]; parameters?: { binary_data_size?: number } }[];
        outputs?: { parameters?: { binary_data?: boolean } }[];
      };
      const input = request.inputs[0];
      const inBinary = input.parameters?.binary_data_size !== undefined;
      if (inBinary && !options.binaryTensors) throw new Error('binary tensors are not supported');
      const values = inBinary
        ? Array.from(new Float32Array(new Uint8Array(binary!).buffer)) // a copy, aligned
        : input.data!;
      const data = predict(model, values, input.shape);
      return {
        infer: true,
        binaryOutputs: Boolean(
          options.binaryTensors && request.outputs?.[0]?.parameters?.binary_data,
        ),
        json: {
          model_name: name,
          outputs: [{ name: 'logits', datatype: 'FP32', shape: [input.shape[0], classes], data }],
        },
      };
    }
    return undefined;
  });
}

/** TF Serving REST around a LayersModel (row and columnar formats). */
export function startTfServingServer(
  model: LayersModel,
  options: TestServerOptions & { name?: string } = {},
): Promise<TestServer> {
  const name = options.name ?? 'mnist';
  const inShape = model.inputs[0].shape.slice(1) as number[];
  const classes = model.outputs[0].shape.at(-1) as number;
  const dims = (shape: number[]) => ({ dim: shape.map((d) => ({ size: String(d) })) });
  return startServer(options, (path, body) => {
    if (path === `/v1/models/${name}`)
      return {
        infer: false,
        json: { model_version_status: [{ version: '3', state: 'AVAILABLE', status: {} }] },
      };
    if (path === `/v1/models/${name}/metadata`)
      return {
        infer: false,
        json: {
          model_spec: { name, version: '3' },
          metadata: {
            signature_def: {
              signature_def: {
                serving_default: {
                  inputs: { image: { dtype: 'DT_FLOAT', tensor_shape: dims([-1, ...inShape]) } },
                  outputs: { logits: { dtype: 'DT_FLOAT', tensor_shape: dims([-1, classes]) } },
                },
              },
            },
          },
        },
      };
    if (path === `/v1/models/${name}:predict`) {
      const b = body as { instances?: unknown[]; inputs?: unknown[] };
      const rows = (b.instances ?? b.inputs) as unknown[];
      const values = rows.flat(Infinity) as number[];
      const flat = predict(model, values, [rows.length, ...inShape]);
      const out = Array.from({ length: rows.length }, (_, i) =>
        flat.slice(i * classes, (i + 1) * classes),
      );
      return { infer: true, json: b.instances ? { predictions: out } : { outputs: out } };
    }
    return undefined;
  });
}

/**
 * An OpenAI-compatible chat completions server whose "LLM" is `score(prompt)`: a map token →
 * probability (need not sum to 1; the rest is spread over filler tokens). It returns the
 * `top_logprobs` requested, most probable first.
 */
export function startOpenAiServer(
  score: (prompt: string) => Record<string, number>,
  options: TestServerOptions = {},
): Promise<TestServer> {
  const fillers = ['The', 'I', 'This', 'Sure', 'It', 'A'];
  return startServer(options, (path, body) => {
    if (path !== '/v1/chat/completions') return undefined;
    const b = body as { messages: { content: string }[]; top_logprobs?: number; model: string };
    const probs = score(b.messages.at(-1)!.content);
    const mass = Object.values(probs).reduce((a, v) => a + v, 0);
    const rest = Math.max(0, 1 - mass) / fillers.length;
    const tokens = [
      ...Object.entries(probs),
      ...fillers.map((t, i) => [t, rest * (1 - i * 0.1)] as [string, number]),
    ]
      .filter(([, p]) => p > 0)
      .sort((a, b) => b[1] - a[1])
      .slice(0, b.top_logprobs ?? 1)
      .map(([token, p]) => ({ token, logprob: Math.log(p), bytes: [] }));
    return {
      infer: true,
      json: {
        id: 'chatcmpl-test',
        object: 'chat.completion',
        model: b.model,
        choices: [
          {
            index: 0,
            message: { role: 'assistant', content: tokens[0].token },
            logprobs: {
              content: [
                { token: tokens[0].token, logprob: tokens[0].logprob, top_logprobs: tokens },
              ],
            },
            finish_reason: 'length',
          },
        ],
        usage: { prompt_tokens: 10, completion_tokens: 1, total_tokens: 11 },
      },
    };
  });
}
