// `startServer`: a local web server (node:http) for one run folder — the in-browser demo page,
// the run's models, its uint8 export and report.html, and the TensorFlow.js bundles from
// node_modules so the page needs no network. Everything else answers 403 (a refused path) or 404.
// Leaves out: TLS, compression.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ioError, usageError } from '../errors.ts';
import { resolveInside, safeSegments, sendFile, sendJson, sendText } from './files.ts';
import {
  checkedModelFolders,
  ensureUint8Export,
  loadExamples,
  type TestExamples,
} from './run-folder.ts';
import { buildBrowserModules } from './browser-modules.ts';
import { primaryInput } from '../data/spec.ts';
import { readResults } from '../run/folder.ts';

export interface ServeOptions {
  /** A finished run folder (runs/<timestamp>/ with results.json). */
  runDir: string;
  /** Default 8080; 0 picks any free port. */
  port?: number;
  /** Default 127.0.0.1 (this machine only). */
  host?: string;
  /** Write <run>/exports/uint8 from models/distilled when it is missing (default true). */
  quantizedExport?: boolean;
  /** How many test examples (images, rows or texts) the page can pick from (default 100). */
  testImages?: number;
  /** Progress and warnings (the library never prints). */
  onInfo?(message: string): void;
}

export interface DemoServer {
  /** e.g. http://127.0.0.1:8080/ */
  url: string;
  runDir: string;
  /** Stops listening and drops open connections; resolves when the server is closed. */
  close(): Promise<void>;
}

const STATIC_DIR = join(dirname(fileURLToPath(import.meta.url)), 'static');

/** The only node_modules files the server hands out, by their URL name under /vendor/. */
function vendorFiles(): Record<string, string> {
  const require = createRequire(import.meta.url);
  const dist = (pkg: string) => join(dirname(require.resolve(`${pkg}/package.json`)), 'dist');
  const tfjs = dist('@tensorflow/tfjs');
  const wasm = dist('@tensorflow/tfjs-backend-wasm');
  return {
    'tf.min.js': join(tfjs, 'tf.min.js'),
    'tf-backend-wasm.min.js': join(wasm, 'tf-backend-wasm.min.js'),
    'tfjs-backend-wasm.wasm': join(wasm, 'tfjs-backend-wasm.wasm'),
    'tfjs-backend-wasm-simd.wasm': join(wasm, 'tfjs-backend-wasm-simd.wasm'),
    'tfjs-backend-wasm-threaded-simd.wasm': join(wasm, 'tfjs-backend-wasm-threaded-simd.wasm'),
  };
}

// The demo page runs only its own scripts (plus WebAssembly) and talks only to this server.
const PAGE_CSP = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "worker-src 'self' blob:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');
// report.html is self-contained (inline CSS, SVG, data-URI images): it may fetch nothing.
const REPORT_CSP =
  "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:; font-src data:";

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

/** Starts the demo server for one run folder; see ServeOptions. */
export async function startServer(options: ServeOptions): Promise<DemoServer> {
  const runDir = resolve(options.runDir);
  const results = readResults(runDir);
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? 8080;
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw usageError(`--port ${port}: expected an integer from 0 to 65535`);
  const info = options.onInfo ?? (() => {});

  const { folders, damaged } = checkedModelFolders(runDir, results);
  for (const line of Object.values(damaged)) info(line);
  if (!folders.teacher || !folders.distilled)
    info(
      `${runDir}: no ${folders.teacher ? 'distilled student' : 'teacher'} model to serve; the page shows what there is`,
    );
  let uint8Dir: string | undefined;
  if (options.quantizedExport !== false) {
    const made = await ensureUint8Export(runDir);
    if ('dir' in made) {
      uint8Dir = made.dir;
      if (made.created) info(`wrote a uint8 export of the distilled student: ${made.dir}`);
    } else info(`no uint8 export: ${made.reason}`);
  } else if (existsSync(join(runDir, 'exports', 'uint8', 'model.json'))) {
    uint8Dir = join(runDir, 'exports', 'uint8');
  }

  let images: TestExamples | undefined;
  try {
    // A teacher the page cannot run gives its logits from Node; a damaged one gives none.
    const teacherDirs =
      folders.teacher || damaged.teacher
        ? []
        : (results.stages?.teacher?.modelDir?.split(', ').filter(Boolean) ?? []);
    images = await loadExamples(results, options.testImages ?? 100, { runDir, teacherDirs });
  } catch (e) {
    info(`no test examples for the picker: ${(e as Error).message}`);
  }
  if (images?.teacherNote && !images.teacherLogits) info(images.teacherNote);
  const imagesJson = Buffer.from(JSON.stringify(images ?? { count: 0, labels: [], pixels: '' }));
  const runInfo = describeRun(runDir, results, folders, uint8Dir, images);
  const vendor = vendorFiles();
  const generated = await buildBrowserModules();
  const reportPath = join(runDir, 'report.html');

  const routes: Record<string, (req: IncomingMessage, res: ServerResponse) => void> = {
    '/': (req, res) => sendPage(req, res, join(STATIC_DIR, 'index.html'), PAGE_CSP),
    '/index.html': (req, res) => sendPage(req, res, join(STATIC_DIR, 'index.html'), PAGE_CSP),
    '/api/run.json': (req, res) =>
      sendJson(req, res, JSON.stringify({ ...runInfo, report: existsSync(reportPath) })),
    '/api/test-images.json': (req, res) => sendJson(req, res, imagesJson),
    '/api/examples.json': (req, res) => sendJson(req, res, imagesJson),
    '/run/report.html': (req, res) =>
      existsSync(reportPath)
        ? sendPage(req, res, reportPath, REPORT_CSP)
        : sendText(
            res,
            404,
            `this run has no report.html yet: build it with 'distillery report ${runDir}'`,
          ),
  };
  // URL prefix → folder whose files (and only those) are served below it.
  const mounts: [string, string][] = [
    ['/static/', STATIC_DIR],
    ...Object.entries(folders).map(([name, dir]): [string, string] => [
      `/run/models/${name}/`,
      dir,
    ]),
    ['/run/exports/', join(runDir, 'exports')],
  ];

  const allowedHosts = new Set([...LOOPBACK, host.includes(':') ? `[${host}]` : host]);
  const loopbackOnly = LOOPBACK.has(host);

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      return sendText(res, 405, 'method not allowed');
    }
    // A page on another site cannot reach a loopback-only server through DNS rebinding.
    if (loopbackOnly && !allowedHosts.has(hostName(req.headers.host))) {
      return sendText(res, 403, 'unexpected Host header');
    }
    const raw = req.url ?? '';
    if (!raw.startsWith('/')) return sendText(res, 400, 'bad request target');
    const path = raw.split(/[?#]/)[0];

    const route = Object.hasOwn(routes, path) ? routes[path] : undefined;
    if (route) return route(req, res);
    if (path.startsWith('/gen/')) {
      const name = path.slice('/gen/'.length);
      if (!Object.hasOwn(generated, name)) return sendText(res, 404, 'not found');
      res.writeHead(200, {
        'content-type': 'text/javascript; charset=utf-8',
        'content-length': generated[name].byteLength,
        'cache-control': 'no-cache',
        'x-content-type-options': 'nosniff',
      });
      return void res.end(req.method === 'HEAD' ? undefined : generated[name]);
    }
    if (path.startsWith('/vendor/')) {
      const name = path.slice('/vendor/'.length);
      return Object.hasOwn(vendor, name)
        ? sendFile(req, res, vendor[name])
        : sendText(res, 404, 'not found');
    }
    for (const [prefix, dir] of mounts) {
      if (!path.startsWith(prefix)) continue;
      const segments = safeSegments(path.slice(prefix.length));
      if (!segments) return sendText(res, 403, 'forbidden path');
      const file = resolveInside(dir, segments);
      return file ? sendFile(req, res, file) : sendText(res, 404, 'not found');
    }
    sendText(res, 404, 'not found');
  };

  const server = createServer((req, res) => {
    try {
      handle(req, res);
    } catch (e) {
      if (!res.headersSent) sendText(res, 500, `internal error: ${(e as Error).message}`);
      else res.destroy();
    }
  });
  // A malformed request (bad request line, oversized headers) gets 400 and never throws.
  server.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n');
    else socket.destroy();
  });

  await new Promise<void>((done, fail) => {
    server.once('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EADDRINUSE')
        fail(
          usageError(
            `port ${port} on ${host} is in use: pick another with --port <n>, or --port 0 for any free port`,
          ),
        );
      else if (e.code === 'EACCES')
        fail(usageError(`no permission to listen on ${host}:${port}: use a port above 1023`));
      else if (e.code === 'EADDRNOTAVAIL' || e.code === 'ENOTFOUND')
        fail(usageError(`cannot listen on host ${host}: not an address of this machine`));
      else fail(ioError(`cannot start the server on ${host}:${port}: ${e.code ?? e.message}`));
    });
    server.listen(port, host, () => done());
  });

  const address = server.address() as AddressInfo;
  const shown =
    host === '0.0.0.0'
      ? '127.0.0.1'
      : host === '::'
        ? '[::1]'
        : host.includes(':')
          ? `[${host}]`
          : host;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${shown}:${address.port}/`,
    runDir,
    close: () =>
      (closing ??= new Promise<void>((done) => {
        server.close(() => done());
        server.closeAllConnections();
      })),
  };
}

function hostName(header: string | undefined): string {
  if (!header) return '';
  const h = header.toLowerCase();
  if (h.startsWith('[')) return h.slice(0, h.indexOf(']') + 1);
  return h.split(':')[0];
}

function sendPage(req: IncomingMessage, res: ServerResponse, path: string, csp: string): void {
  res.setHeader('content-security-policy', csp);
  res.setHeader('referrer-policy', 'no-referrer');
  sendFile(req, res, path);
}

/** What the page shows about the run: models (URL, size, test accuracy), method, dataset. */
function describeRun(
  runDir: string,
  results: ReturnType<typeof readResults>,
  folders: Record<string, string>,
  uint8Dir: string | undefined,
  images: TestExamples | undefined,
) {
  const rows = results.evaluation?.rows ?? [];
  const model = (name: string, url: string, dir: string, quantization: string) => {
    const row = rows.find((r) => r.name === name);
    return {
      url,
      quantization,
      parameters: row?.parameters,
      testAccuracy: quantization === 'float32' ? row?.accuracy : undefined,
      bytes: modelBytes(dir),
    };
  };
  const models: Record<string, ReturnType<typeof model>> = {};
  for (const [name, dir] of Object.entries(folders))
    models[name] = model(name, `/run/models/${name}/model.json`, dir, 'float32');
  if (uint8Dir)
    models['distilled-uint8'] = model(
      'distilled',
      '/run/exports/uint8/model.json',
      uint8Dir,
      'uint8',
    );
  const spec = results.dataset?.spec;
  return {
    run: basename(runDir),
    createdAt: results.createdAt,
    dataset: images?.dataset ?? results.dataset?.name,
    classNames: images?.classNames ?? results.dataset?.classNames ?? [...'0123456789'],
    /** The models' input as data: what the page builds its upload / form / text box from. */
    input: images?.input ?? (spec ? primaryInput(spec) : undefined),
    /** A teacher the page cannot run (not a Layers model): its kind, and why. */
    teacher: results.teacher
      ? {
          kind: results.teacher.kind,
          source: results.teacher.source,
          inPage: !!folders.teacher,
          parameters: results.teacher.parameters,
          bytes: results.teacher.fileBytes,
        }
      : undefined,
    teacherNote: images?.teacherNote,
    tokenizer: existsSync(join(runDir, 'models', 'distilled', 'tokenizer.json'))
      ? '/run/models/distilled/tokenizer.json'
      : undefined,
    method: results.method?.name,
    summary: results.summary ?? {},
    models,
  };
}

/** model.json + the weight files it lists, in bytes. */
function modelBytes(dir: string): number | undefined {
  try {
    const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
    const paths: string[] = json.weightsManifest.flatMap((g: { paths: string[] }) => g.paths);
    return ['model.json', ...paths].reduce((sum, p) => sum + statSync(join(dir, p)).size, 0);
  } catch {
    return undefined;
  }
}
