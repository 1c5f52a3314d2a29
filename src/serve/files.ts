// Static files for the demo server, served only from explicitly mounted roots. A request path is
// decoded once and refused (null) when it could name anything outside its root: `..` or `.`
// segments, dotfiles, empty segments (`//`), backslashes, NUL bytes, a `%` left after decoding
// (double encoding), and — after resolving symlinks — any real path outside the root's real path.
// The refusal policy is ours on purpose: `send` (which serves the file once it is allowed) stops
// `..` and dotfiles but follows a symlink out of its root, and the traversal suite in
// server.test.ts pins these rules. Streaming, HEAD, ranges and conditional requests (ETag,
// Last-Modified → 304) are `send`'s.
import { realpathSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { basename, dirname, extname, join, sep } from 'node:path';
import send from 'send';

export const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.bin': 'application/octet-stream',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.txt': 'text/plain; charset=utf-8',
};

/**
 * Splits a request path (already without its `/prefix/`) into safe segments, or null. The input
 * is the raw path from the request line: it is percent-decoded exactly once here.
 */
export function safeSegments(rawPath: string): string[] | null {
  if (/[\\\0]/.test(rawPath) || /%(00|5c)/i.test(rawPath)) return null;
  let decoded: string;
  try {
    decoded = decodeURIComponent(rawPath);
  } catch {
    return null; // malformed escapes such as %zz or a lone %
  }
  // A '%' that survives one decoding means the client encoded twice (%252e%252e): never a real name.
  if (/[\\\0%]/.test(decoded)) return null;
  const segments = decoded.split('/');
  for (const s of segments) {
    if (s === '' || s.startsWith('.')) return null; // '', '.', '..', dotfiles
    if (/[\u0000-\u001f\u007f]/.test(s)) return null;
  }
  return segments;
}

/**
 * The real path of a regular file under `dir` named by `segments`, or null when the file is
 * missing, not a regular file, or (through a symlink) outside the real path of `dir`.
 */
export function resolveInside(dir: string, segments: string[]): string | null {
  try {
    const root = realpathSync(dir);
    const real = realpathSync(join(root, ...segments));
    if (!real.startsWith(root + sep)) return null;
    return statSync(real).isFile() ? real : null;
  } catch {
    return null; // missing file or folder
  }
}

/**
 * Serves a file (a real path that resolveInside allowed) with our content type, `no-cache` (the
 * browser revalidates with the ETag and gets a 304 when nothing changed) and `nosniff`. A client
 * that disconnects mid-way destroys the response; send then closes the file.
 */
export function sendFile(req: IncomingMessage, res: ServerResponse, path: string): void {
  res.setHeader(
    'content-type',
    contentTypes[extname(path).toLowerCase()] ?? 'application/octet-stream',
  );
  res.setHeader('cache-control', 'no-cache');
  res.setHeader('x-content-type-options', 'nosniff');
  send(req, encodeURIComponent(basename(path)), {
    root: dirname(path),
    index: false,
    cacheControl: false, // ours above
    dotfiles: 'deny',
  })
    .on('error', (e: { status?: number }) => {
      // A file removed since it was resolved (404), or a range that cannot be served (416).
      res.removeHeader('cache-control');
      sendText(res, e.status ?? 500, e.status === 416 ? 'range not satisfiable' : 'not found');
    })
    .pipe(res);
}

export function sendText(res: ServerResponse, status: number, text: string): void {
  const body = Buffer.from(text + '\n');
  res.writeHead(status, {
    'content-type': 'text/plain; charset=utf-8',
    'content-length': body.byteLength,
    'x-content-type-options': 'nosniff',
  });
  res.end(body);
}

export function sendJson(
  req: IncomingMessage,
  res: ServerResponse,
  body: Buffer | string,
  status = 200,
): void {
  const bytes = typeof body === 'string' ? Buffer.from(body) : body;
  res.writeHead(status, {
    'content-type': contentTypes['.json'],
    'content-length': bytes.byteLength,
    'cache-control': 'no-cache',
    'x-content-type-options': 'nosniff',
  });
  res.end(req.method === 'HEAD' ? undefined : bytes);
}
