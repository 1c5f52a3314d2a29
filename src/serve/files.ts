// Static files for the demo server, served only from explicitly mounted roots. A request path is
// decoded once and refused (null) when it could name anything outside its root: `..` or `.`
// segments, dotfiles, empty segments (`//`), backslashes, NUL bytes, a `%` left after decoding
// (double encoding), and — after resolving symlinks — any real path outside the root's real path.
// Kept by hand on purpose: no maintained static server (serve-static, send, sirv) is installed
// and dependencies cannot be added here; it is ~100 lines behind the traversal suite in
// server.test.ts, which any replacement must pass unchanged.
import { createReadStream, realpathSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, sep } from 'node:path';
import { pipeline } from 'node:stream';

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
 * Streams a file with its content type and length. A client that disconnects mid-way destroys
 * the response; `pipeline` then closes the file, so nothing leaks and the server carries on.
 */
export function sendFile(req: IncomingMessage, res: ServerResponse, path: string): void {
  const type = contentTypes[extname(path).toLowerCase()] ?? 'application/octet-stream';
  let size: number;
  try {
    size = statSync(path).size;
  } catch {
    return sendText(res, 404, 'not found');
  }
  res.writeHead(200, {
    'content-type': type,
    'content-length': size,
    'cache-control': 'no-cache',
    'x-content-type-options': 'nosniff',
  });
  if (req.method === 'HEAD') return void res.end();
  pipeline(createReadStream(path), res, () => {
    // Errors here are a client gone away (ERR_STREAM_PREMATURE_CLOSE) or a file removed while
    // being read: the response is already destroyed, there is nobody left to tell.
  });
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
