// What the tensor-serving teachers (KServe v2, TF Serving) share: options, splitting a batch into
// requests of the server's size sent concurrently (the client bounds how many fly at once),
// flattening and validating what comes back, and probabilities → log-probabilities.
// Nothing returned by a server reaches the logits unvalidated: shape, class count, finiteness.
import type { Tensor } from '../../tf.ts';
import { modelError } from '../../errors.ts';
import { toLogits } from '../function.ts';
import type { Teacher } from '../teacher.ts';
import type { ClientStats, HttpClientOptions } from './client.ts';

/** A teacher behind a server: also reports its client's requests and retries. */
export interface RemoteTeacher extends Teacher {
  stats(): ClientStats;
}

export interface RemoteTeacherOptions extends Omit<HttpClientOptions, 'baseUrl'> {
  /** The model's URL, e.g. http://127.0.0.1:8000/v2/models/mnist. */
  url: string;
  /** Examples per request (default 64, or the server's declared limit). */
  batchSize?: number;
  /** Class count, when the server's metadata does not fix it. */
  classes?: number;
  /** What the server returns: 'logits' (default) or 'probabilities' (logged before use). */
  output?: 'logits' | 'probabilities';
  /** Identity override: a stable name for caches and stores when URL + version is not enough. */
  id?: string;
  inputName?: string;
  outputName?: string;
  /**
   * KServe v2: send and receive tensors as raw bytes (the binary tensor data extension) when the
   * server lists `binary_tensor_data` among its extensions (GET /v2). Default true; false
   * always sends JSON.
   */
  binaryTensors?: boolean;
}

/** Row-major values of a (possibly nested) JSON array of numbers; undefined if anything else. */
export function flatNumbers(value: unknown): number[] | undefined {
  const out: number[] = [];
  const walk = (v: unknown): boolean => {
    if (typeof v === 'number') {
      out.push(v);
      return true;
    }
    if (Array.isArray(v)) return v.every(walk);
    return false; // strings, null ("NaN" encoded as null by some servers), objects
  };
  return walk(value) ? out : undefined;
}

/** One example's values as nested arrays of `shape` (TF Serving's row format). */
export function nest(values: ArrayLike<number>, shape: number[]): unknown {
  if (shape.length <= 1) return Array.from(values);
  const step = values.length / shape[0];
  return Array.from({ length: shape[0] }, (_, i) =>
    nest(Array.prototype.slice.call(values, i * step, (i + 1) * step), shape.slice(1)),
  );
}

/** log(p) of probability rows, after checking they are probabilities. */
export function logProbabilities(values: number[], classes: number, who: string): Float32Array {
  const out = new Float32Array(values.length);
  for (let r = 0; r < values.length / classes; r++) {
    let sum = 0;
    for (let c = 0; c < classes; c++) {
      const p = values[r * classes + c];
      if (!(p >= 0 && p <= 1 + 1e-6))
        throw modelError(
          `${who} returned ${p} in row ${r}: not a probability (use --teacher-output logits)`,
        );
      sum += p;
      out[r * classes + c] = Math.log(Math.max(p, 1e-30));
    }
    if (Math.abs(sum - 1) > 1e-3)
      throw modelError(
        `${who} returned a row summing to ${sum.toFixed(4)} (row ${r}): not probabilities (use --teacher-output logits)`,
      );
  }
  return out;
}

/**
 * Splits [batch, ...] into requests of at most `batchSize` rows, sends them concurrently, and
 * returns validated [batch, classes] logits. `request` returns the raw output values of its rows.
 */
export async function remoteLogits(
  x: Tensor,
  options: {
    batchSize: number;
    classes: number;
    output: 'logits' | 'probabilities';
    who: string;
    request(values: Float32Array, rows: number): Promise<unknown>;
  },
): Promise<Tensor> {
  const batch = x.shape[0];
  const per = x.size / Math.max(batch, 1);
  const flat = (await x.data()) as Float32Array;
  const { batchSize, classes, who } = options;
  const chunks: Promise<number[]>[] = [];
  for (let start = 0; start < batch; start += batchSize) {
    const rows = Math.min(batchSize, batch - start);
    chunks.push(
      options.request(flat.subarray(start * per, (start + rows) * per), rows).then((raw) => {
        const values = flatNumbers(raw);
        if (!values)
          throw modelError(`${who} returned outputs that are not all numbers (null, NaN or text)`);
        if (values.length !== rows * classes)
          throw modelError(
            `${who} returned ${values.length} values for ${rows} examples: expected ${rows}×${classes} (does the model output ${classes} classes?)`,
          );
        return values;
      }),
    );
  }
  const parts = await Promise.all(chunks);
  const all = new Float32Array(batch * classes);
  let offset = 0;
  for (const part of parts) {
    const values = options.output === 'probabilities' ? logProbabilities(part, classes, who) : part;
    all.set(values, offset);
    offset += part.length;
  }
  return toLogits(all, batch, classes, who); // [batch, classes], finite
}

/** http(s)://host:port and the path of a model URL, without credentials, query or fragment. */
export function splitModelUrl(url: string): { origin: string; path: string } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw modelError(`teacher URL '${url}' is not a URL (expected http://host:port/…)`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
    throw modelError(`teacher URL ${parsed.protocol}//… is not http(s)`);
  if (parsed.username || parsed.password)
    throw modelError(
      `teacher URL ${parsed.host}: credentials in the URL are not accepted; put the key in an environment variable and pass its name (--api-key-env)`,
    );
  return { origin: parsed.origin, path: parsed.pathname.replace(/\/+$/, '') };
}
