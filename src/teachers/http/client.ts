// The HTTP client every remote teacher shares: JSON (and KServe v2's binary tensor data) over
// node:http(s) (keep-alive) with bounded concurrency, a per-attempt timeout (headers and body),
// retries with exponential backoff and jitter on connection errors, timeouts, truncated or
// malformed bodies, 429 and 5xx, `Retry-After` honoured, rate limits (requests/s, tokens/min) and
// an API key read from an environment variable. The key is sent as a header and redacted from
// every message this file produces. TLS failures that no retry mends (an untrusted, expired or
// misnamed certificate; a server that does not speak TLS) fail at once, saying what to change;
// a certificate from a private CA is trusted the Node way, NODE_EXTRA_CA_CERTS=<ca.pem>. Redirects
// are not followed (the key could travel to another host): a 3xx names its Location.
// Leaves out: turning certificate checks off, client certificates, HTTP/2, streaming responses,
// proxies (HTTP_PROXY is not read).
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { modelError, type DistilleryError } from '../../errors.ts';
import { Semaphore, TokenBucket } from './limits.ts';

export interface HttpClientOptions {
  /** Server root, e.g. http://127.0.0.1:8000 (credentials in the URL are refused). */
  baseUrl: string;
  /** Per attempt, headers and body (default 30 s). */
  timeoutMs?: number;
  /** Retries after the first attempt (default 5). */
  retries?: number;
  /** First backoff (default 250 ms), doubled per retry up to `maxBackoffMs` (default 8 s). */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** A longer Retry-After than this fails the request instead of waiting (default 60 s). */
  maxRetryAfterMs?: number;
  /** Requests in flight at most (default 8). */
  concurrency?: number;
  requestsPerSecond?: number;
  /** LLM servers: estimated tokens per minute (each request states its cost). */
  tokensPerMinute?: number;
  /** Name of the environment variable holding the API key (never the key itself). */
  apiKeyEnv?: string;
  /** Header carrying the key: 'authorization' sends `Bearer <key>` (default). */
  apiKeyHeader?: string;
  /** For tests: jitter source in [0, 1) and the sleep between attempts. */
  random?: () => number;
  sleep?: (ms: number) => Promise<void>;
  onRetry?(info: RetryInfo): void;
}

export interface RetryInfo {
  path: string;
  attempt: number;
  reason: string;
  delayMs: number;
}

export interface ClientStats {
  requests: number;
  attempts: number;
  retries: number;
  /** Retries by reason: 'connection', 'timeout', 'http-429', 'http-503', 'malformed-json', … */
  retryReasons: Record<string, number>;
}

interface Attempt {
  ok: boolean;
  value?: unknown;
  reason?: string;
  message?: string;
  retryAfterMs?: number;
  fatal?: boolean;
}

export class HttpClient {
  readonly baseUrl: string;
  readonly stats: ClientStats = { requests: 0, attempts: 0, retries: 0, retryReasons: {} };
  private readonly options: Required<
    Pick<
      HttpClientOptions,
      'timeoutMs' | 'retries' | 'backoffMs' | 'maxBackoffMs' | 'maxRetryAfterMs' | 'concurrency'
    >
  > &
    HttpClientOptions;
  private readonly slots: Semaphore;
  private readonly requestBucket?: TokenBucket;
  private readonly tokenBucket?: TokenBucket;
  private readonly apiKey?: string;
  /** Keep-alive connections of this client (idle sockets do not hold the process open). */
  private readonly agent: HttpAgent;

  constructor(options: HttpClientOptions) {
    const url = new URL(options.baseUrl);
    this.agent = new (url.protocol === 'https:' ? HttpsAgent : HttpAgent)({ keepAlive: true });
    if (url.username || url.password)
      throw modelError(
        `teacher URL ${url.host}: credentials in the URL are not accepted; put the key in an environment variable and pass its name (--api-key-env)`,
      );
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.options = {
      timeoutMs: 30_000,
      retries: 5,
      backoffMs: 250,
      maxBackoffMs: 8_000,
      maxRetryAfterMs: 60_000,
      concurrency: 8,
      // An option given as undefined (an unset flag) keeps its default.
      ...(Object.fromEntries(
        Object.entries(options).filter(([, v]) => v !== undefined),
      ) as HttpClientOptions),
    };
    this.slots = new Semaphore(this.options.concurrency);
    if (options.requestsPerSecond) this.requestBucket = new TokenBucket(options.requestsPerSecond);
    if (options.tokensPerMinute)
      this.tokenBucket = new TokenBucket(options.tokensPerMinute / 60, options.tokensPerMinute);
    if (options.apiKeyEnv) {
      const key = process.env[options.apiKeyEnv];
      if (!key)
        throw modelError(
          `the API key variable ${options.apiKeyEnv} is not set: export ${options.apiKeyEnv}=<key> before running`,
        );
      this.apiKey = key;
    }
  }

  /** Removes the API key from any text (messages, bodies quoted in errors). */
  redact(text: string): string {
    return this.apiKey ? text.split(this.apiKey).join('[redacted]') : text;
  }

  /** GET (no body) or POST (JSON body) `path`, returning the parsed JSON response. */
  async json(
    path: string,
    init: { body?: unknown; tokens?: number; allowEmpty?: boolean } = {},
  ): Promise<unknown> {
    const body = init.body === undefined ? undefined : JSON.stringify(init.body);
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const allowEmpty = init.allowEmpty ?? false;
    return this.call(path, { body, headers, tokens: init.tokens }, (r) =>
      parseJson(r, allowEmpty, this),
    );
  }

  /**
   * POST in the KServe v2 binary tensor data extension (Triton's): the body is a JSON header of
   * `Inference-Header-Content-Length` bytes followed by the raw tensor bytes; the response, when
   * it carries that header too, splits the same way (a server may also answer in plain JSON:
   * then `data` is empty). A header that does not parse, or claims more bytes than came, is
   * retried as a malformed response.
   */
  async binary(
    path: string,
    header: unknown,
    data: Uint8Array,
  ): Promise<{ json: unknown; data: Buffer }> {
    const head = Buffer.from(JSON.stringify(header));
    const headers: Record<string, string> = {
      accept: 'application/octet-stream, application/json',
      'content-type': 'application/octet-stream',
      'inference-header-content-length': String(head.byteLength),
    };
    const body = Buffer.concat([head, data]);
    return this.call(path, { body, headers }, (r) => parseBinary(r, this)) as Promise<{
      json: unknown;
      data: Buffer;
    }>;
  }

  /** One request with the limits and retries: `parse` reads a 2xx response. */
  private async call(
    path: string,
    init: { body?: string | Buffer; headers: Record<string, string>; tokens?: number },
    parse: (response: Exchanged) => Attempt,
  ): Promise<unknown> {
    this.stats.requests++;
    const { retries, backoffMs, maxBackoffMs, maxRetryAfterMs } = this.options;
    const random = this.options.random ?? Math.random;
    const sleep = this.options.sleep ?? ((ms: number) => new Promise((r) => setTimeout(r, ms)));
    for (let attempt = 0; ; attempt++) {
      await this.requestBucket?.take(1);
      if (init.tokens) await this.tokenBucket?.take(init.tokens);
      const release = await this.slots.acquire();
      let result: Attempt;
      try {
        result = await this.attempt(path, init.body, init.headers, parse);
      } finally {
        release();
      }
      if (result.ok) return result.value;
      const where = `${this.baseUrl}${path}`;
      if (result.fatal || attempt >= retries) {
        const tries = attempt + 1;
        throw this.error(
          `${where}: ${result.message}${result.fatal ? '' : ` (gave up after ${tries} attempt${tries > 1 ? 's' : ''}; raise --retries or --timeout if the server is slow)`}`,
        );
      }
      if (result.retryAfterMs !== undefined && result.retryAfterMs > maxRetryAfterMs)
        throw this.error(
          `${where}: ${result.message}; the server asks to retry after ${Math.round(result.retryAfterMs / 1000)} s, more than the ${maxRetryAfterMs / 1000} s allowed (--max-retry-after)`,
        );
      const cap = Math.min(maxBackoffMs, backoffMs * 2 ** attempt);
      // Equal jitter: half the exponential step, plus a random part, so retries spread out.
      const backoff = cap / 2 + random() * (cap / 2);
      const delayMs = Math.max(backoff, result.retryAfterMs ?? 0);
      this.stats.retries++;
      this.stats.retryReasons[result.reason!] = (this.stats.retryReasons[result.reason!] ?? 0) + 1;
      this.options.onRetry?.({ path, attempt: attempt + 1, reason: result.reason!, delayMs });
      await sleep(delayMs);
    }
  }

  private async attempt(
    path: string,
    body: string | Buffer | undefined,
    contentHeaders: Record<string, string>,
    parse: (response: Exchanged) => Attempt,
  ): Promise<Attempt> {
    this.stats.attempts++;
    const headers: Record<string, string> = { ...contentHeaders };
    if (this.apiKey) {
      const name = (this.options.apiKeyHeader ?? 'authorization').toLowerCase();
      headers[name] = name === 'authorization' ? `Bearer ${this.apiKey}` : this.apiKey;
    }
    let response: Exchanged;
    try {
      response = await exchange(new URL(`${this.baseUrl}${path}`), {
        method: body === undefined ? 'GET' : 'POST',
        headers,
        body,
        timeoutMs: this.options.timeoutMs,
        agent: this.agent,
      });
    } catch (e) {
      const tls = tlsProblem(e);
      if (tls) return { ok: false, fatal: true, message: tls };
      const timedOut = e === TIMED_OUT;
      return {
        ok: false,
        reason: timedOut ? 'timeout' : 'connection',
        message: timedOut
          ? `no complete response within ${this.options.timeoutMs} ms`
          : `connection failed (${causeOf(e)})`,
      };
    }
    if (response.status === 429 || response.status >= 500) {
      return {
        ok: false,
        reason: `http-${response.status}`,
        message: `HTTP ${response.status}${snippet(this.redact(textOf(response)))}`,
        retryAfterMs: parseRetryAfter(response.headers['retry-after'] ?? null),
      };
    }
    if (response.status >= 300 && response.status < 400) {
      // Not followed: a redirect could carry the API key to another host, and a teacher URL that
      // moved should be changed where it is written.
      const to = response.headers.location;
      return {
        ok: false,
        fatal: true,
        message: `HTTP ${response.status}: the server redirects ${to ? `to ${to}` : 'elsewhere (no Location header)'}; redirects are not followed (an API key could travel to another host): point --teacher at the new location`,
      };
    }
    if (response.status < 200 || response.status >= 300) {
      return {
        ok: false,
        fatal: true,
        message: `HTTP ${response.status}${snippet(this.redact(textOf(response)))}${response.status === 401 || response.status === 403 ? ' (check the API key variable)' : ''}`,
      };
    }
    return parse(response);
  }

  private error(message: string): DistilleryError {
    return modelError(this.redact(message));
  }
}

/** Retry-After as milliseconds: delta seconds or an HTTP date; undefined when absent or bad. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(value.trim())) return Number(value) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** A 2xx response as JSON (empty allowed where the endpoint may answer nothing). */
function parseJson(response: Exchanged, allowEmpty: boolean, client: HttpClient): Attempt {
  const text = textOf(response);
  if (allowEmpty && text.trim() === '') return { ok: true, value: null };
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return {
      ok: false,
      reason: 'malformed-json',
      message: `the response is not JSON${snippet(client.redact(text))}`,
    };
  }
}

/** A 2xx binary-extension response: its JSON header and the bytes after it. */
function parseBinary(response: Exchanged, client: HttpClient): Attempt {
  const declared = response.headers['inference-header-content-length'];
  if (declared === undefined) {
    const json = parseJson(response, false, client); // all outputs in JSON
    return json.ok ? { ok: true, value: { json: json.value, data: Buffer.alloc(0) } } : json;
  }
  const length = Number(declared);
  const bytes = response.bytes;
  if (!Number.isInteger(length) || length < 0 || length > bytes.byteLength)
    return {
      ok: false,
      reason: 'malformed-binary',
      message: `Inference-Header-Content-Length ${declared} does not fit a ${bytes.byteLength}-byte response`,
    };
  let json: { outputs?: { parameters?: { binary_data_size?: unknown } }[] };
  try {
    json = JSON.parse(bytes.subarray(0, length).toString('utf8'));
  } catch {
    return {
      ok: false,
      reason: 'malformed-json',
      message: `the response's JSON header is not JSON${snippet(client.redact(bytes.subarray(0, length).toString('utf8')))}`,
    };
  }
  // The bytes after the header are exactly the outputs' declared sizes: fewer is a cut body.
  const declaredBytes = (Array.isArray(json?.outputs) ? json.outputs : []).reduce(
    (sum, o) => sum + (Number(o?.parameters?.binary_data_size) || 0),
    0,
  );
  const data = bytes.subarray(length);
  if (declaredBytes !== data.byteLength)
    return {
      ok: false,
      reason: 'malformed-binary',
      message: `the outputs declare ${declaredBytes} bytes of binary data; the response has ${data.byteLength}`,
    };
  return { ok: true, value: { json, data } };
}

const textOf = (response: Exchanged) => response.bytes.toString('utf8');

interface Exchanged {
  status: number;
  /** Response headers that the callers read (lower-case names). */
  headers: {
    'retry-after'?: string;
    'inference-header-content-length'?: string;
    location?: string;
  };
  bytes: Buffer;
}

const TIMED_OUT = new Error('timed out');

/**
 * One request on node:http(s) with a keep-alive agent: the status, the headers callers read and
 * the whole body, or a rejection (TIMED_OUT when headers and body took longer than `timeoutMs`;
 * a connection error, or 'truncated' when the body ended short of its length). node:http rather
 * than fetch: Node 20's fetch (undici) cost ~2.7× the CPU per request of node:http on 60 KB JSON
 * bodies (1.37 vs 0.51 ms measured on this machine), which bounded labelling at concurrency 16.
 */
function exchange(
  url: URL,
  init: {
    method: 'GET' | 'POST';
    headers: Record<string, string>;
    body?: string | Buffer;
    timeoutMs: number;
    agent: HttpAgent;
  },
): Promise<Exchanged> {
  return new Promise((resolve, reject) => {
    const headers = { ...init.headers };
    if (init.body !== undefined) headers['content-length'] = String(Buffer.byteLength(init.body));
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    let settled = false;
    const finish = (error: unknown, value?: Exchanged) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (error !== undefined) {
        req.destroy();
        reject(error);
      } else resolve(value!);
    };
    const req = send(url, { method: init.method, headers, agent: init.agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', (e) => finish(e));
      res.on('aborted', () => finish(new Error('the connection closed mid-body')));
      res.on('end', () =>
        res.complete
          ? finish(undefined, {
              status: res.statusCode ?? 0,
              headers: {
                'retry-after': res.headers['retry-after'],
                location: res.headers.location,
                'inference-header-content-length': res.headers[
                  'inference-header-content-length'
                ] as string | undefined,
              },
              bytes: Buffer.concat(chunks),
            })
          : finish(new Error('truncated body')),
      );
    });
    const timer = setTimeout(() => finish(TIMED_OUT), init.timeoutMs);
    req.on('error', (e) => finish(e));
    req.end(init.body);
  });
}

/** Certificate checks that fail the same way on every attempt (OpenSSL's verify codes). */
const UNTRUSTED = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_UNTRUSTED',
]);

/** A one-line explanation of a TLS failure that retrying cannot fix; undefined for other errors. */
export function tlsProblem(e: unknown): string | undefined {
  const code = causeOf(e);
  const message = (e as { message?: string })?.message ?? '';
  if (UNTRUSTED.has(code))
    return `the server's TLS certificate is not trusted (${code}): if your own CA signed it, run with NODE_EXTRA_CA_CERTS=<that CA's .pem file> (Node reads it at start-up)`;
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID')
    return `the server's TLS certificate does not name this host (${code}): use a host name the certificate lists`;
  if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID')
    return `the server's TLS certificate is outside its validity dates (${code}): renew it, or check this machine's clock`;
  if (code === 'ERR_SSL_WRONG_VERSION_NUMBER' || /wrong version number/i.test(message))
    return `the TLS handshake failed (${code}: wrong version number): the server does not speak HTTPS on this port; try http://`;
  return undefined;
}

function causeOf(e: unknown): string {
  const err = e as { code?: string; cause?: { code?: string; message?: string }; message?: string };
  return err.code ?? err.cause?.code ?? err.cause?.message ?? err.message ?? String(e);
}

function snippet(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line ? `: ${line.length > 160 ? `${line.slice(0, 160)}…` : line}` : '';
}
