// The demo server over raw HTTP (node:net, so paths reach the server byte for byte): what it
// serves and with which content type, every way of asking for a file outside its roots, 50
// parallel requests, a client that hangs up mid-download, and the CLI's start and SIGTERM stop.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { type IncomingHttpHeaders, get } from 'node:http';
import { connect, createServer as createNetServer, type AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { tf } from '../tf.ts';
import { createMlp } from '../models/index.ts';
import { saveModel } from '../models/io.ts';
import { loadMnist } from '../data/index.ts';
import { DistilleryError } from '../errors.ts';
import { startServer, type DemoServer } from './server.ts';
import { findNewestRun } from '../run/folder.ts';
import { sealFolder } from '../io/checksums.ts';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const WASM_FILE = createRequire(import.meta.url).resolve(
  '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm',
);
const SECRET = 'TOP-SECRET-4711';

let root: string;
let run: string;
let server: DemoServer;
let port: number;

before(async () => {
  await tf.setBackend('cpu');
  root = mkdtempSync(join(tmpdir(), 'distillery-serve-'));
  writeFileSync(join(root, 'secret.txt'), SECRET);
  // runs/: an older run, an unfinished one, and the newest (served) run.
  const runs = join(root, 'runs');
  for (const name of ['older', 'unfinished', 'newest'])
    mkdirSync(join(runs, name), { recursive: true });
  run = join(runs, 'newest');
  const results = {
    createdAt: new Date().toISOString(),
    config: { dataset: 'mnist', teacher: { arch: 'mlp:1400' }, student: { arch: 'mlp:16' } },
    method: { name: 'kd', params: {} },
    stages: {},
    evaluation: { split: 'test', rows: [] },
    summary: {},
  };
  writeFileSync(join(runs, 'older', 'results.json'), JSON.stringify(results));
  utimesSync(join(runs, 'older', 'results.json'), new Date(1e12), new Date(1e12));
  writeFileSync(join(runs, 'unfinished', 'config.json'), '{}');
  writeFileSync(join(run, 'results.json'), JSON.stringify(results));
  writeFileSync(join(run, 'config.json'), '{"secret": true}');
  writeFileSync(join(run, 'report.html'), '<!doctype html><title>report</title>');
  // A teacher big enough for a 4 MiB first shard (the mid-download test), a tiny student.
  const teacher = createMlp({ inputShape: [28, 28, 1], hidden: [1400], classes: 10, seed: 1 });
  const student = createMlp({ inputShape: [28, 28, 1], hidden: [16], classes: 10, seed: 2 });
  await saveModel(teacher, join(run, 'models', 'teacher'));
  await saveModel(student, join(run, 'models', 'distilled'));
  teacher.dispose();
  student.dispose();
  // Symlinks out of the served folders.
  symlinkSync(join(root, 'secret.txt'), join(run, 'models', 'teacher', 'leak.bin'));
  mkdirSync(join(run, 'exports'));
  symlinkSync(root, join(run, 'exports', 'escape'));

  const messages: string[] = [];
  server = await startServer({ runDir: run, port: 0, onInfo: (m) => messages.push(m) });
  assert.deepEqual(
    messages.filter((m) => !m.startsWith('wrote a uint8 export')),
    [],
    'startup warnings',
  );
  port = Number(new URL(server.url).port);
});

after(async () => {
  await server?.close();
  rmSync(root, { recursive: true, force: true });
});

interface RawResponse {
  status: number;
  head: string;
  body: Buffer;
}

/** Sends one request with the path exactly as given and reads the whole response. */
function rawRequest(
  path: string,
  options: { method?: string; host?: string } = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (c) => chunks.push(c));
    socket.on('error', reject);
    socket.on('end', () => {
      const all = Buffer.concat(chunks);
      const split = all.indexOf('\r\n\r\n');
      const head = all.subarray(0, split).toString('latin1');
      resolve({ status: Number(head.split(' ')[1]), head, body: all.subarray(split + 4) });
    });
    socket.write(
      `${options.method ?? 'GET'} ${path} HTTP/1.1\r\nHost: ${options.host ?? `127.0.0.1:${port}`}\r\nConnection: close\r\n\r\n`,
      'latin1',
    );
  });
}

const header = (r: RawResponse, name: string) =>
  r.head.match(new RegExp(`^${name}: (.*)$`, 'im'))?.[1].trim();

test('serves the page, the tfjs bundles, the wasm binaries, models, test images and the report', async () => {
  const expect: [string, string][] = [
    ['/', 'text/html; charset=utf-8'],
    ['/static/demo.js', 'text/javascript; charset=utf-8'],
    ['/static/demo.css', 'text/css; charset=utf-8'],
    ['/vendor/tf.min.js', 'text/javascript; charset=utf-8'],
    ['/vendor/tf-backend-wasm.min.js', 'text/javascript; charset=utf-8'],
    ['/vendor/tfjs-backend-wasm.wasm', 'application/wasm'],
    ['/vendor/tfjs-backend-wasm-simd.wasm', 'application/wasm'],
    ['/vendor/tfjs-backend-wasm-threaded-simd.wasm', 'application/wasm'],
    ['/run/models/teacher/model.json', 'application/json; charset=utf-8'],
    ['/run/models/teacher/group1-shard2of2.bin', 'application/octet-stream'],
    ['/run/exports/uint8/model.json', 'application/json; charset=utf-8'],
    ['/run/report.html', 'text/html; charset=utf-8'],
    ['/api/run.json', 'application/json; charset=utf-8'],
    ['/api/test-images.json?cache=bust', 'application/json; charset=utf-8'],
  ];
  for (const [path, type] of expect) {
    const r = await rawRequest(path);
    assert.equal(r.status, 200, path);
    assert.equal(header(r, 'content-type'), type, path);
    assert.equal(Number(header(r, 'content-length')), r.body.length, path);
  }
  const wasm = await rawRequest('/vendor/tfjs-backend-wasm-simd.wasm');
  assert.deepEqual([...wasm.body.subarray(0, 4)], [0, 0x61, 0x73, 0x6d], 'wasm magic number');
  assert.match(header(await rawRequest('/'), 'content-security-policy')!, /default-src 'self'/);

  const info = JSON.parse((await rawRequest('/api/run.json')).body.toString());
  assert.deepEqual(Object.keys(info.models).sort(), ['distilled', 'distilled-uint8', 'teacher']);
  assert.equal(info.models['distilled-uint8'].url, '/run/exports/uint8/model.json');
  assert.equal(info.report, true);
  const images = JSON.parse((await rawRequest('/api/test-images.json')).body.toString());
  const mnist = await loadMnist({ trainLimit: 2, validationSize: 1, testLimit: 100 });
  assert.equal(images.count, 100);
  assert.deepEqual(images.labels, Array.from(mnist.test.y));
  const bytes = Buffer.from(images.pixels, 'base64');
  assert.equal(bytes.length, 100 * 784);
  assert.ok(bytes.every((v, i) => Math.fround(v / 255) === mnist.test.x[i]));

  const head = await rawRequest('/vendor/tf.min.js', { method: 'HEAD' });
  assert.equal(head.status, 200);
  assert.equal(head.body.length, 0);
  assert.ok(Number(header(head, 'content-length')) > 1_000_000);
});

test('path traversal, encodings, NUL bytes, backslashes and symlinks never leave the roots', async () => {
  const attempts = [
    '/run/models/teacher/../../../../secret.txt',
    '/run/models/teacher/%2e%2e/%2e%2e/%2e%2e/%2e%2e/secret.txt',
    '/run/models/teacher/%2E%2E%2F%2E%2E%2F%2E%2E%2F%2E%2E%2Fsecret.txt',
    '/run/models/teacher/..%2f..%2f..%2f..%2fsecret.txt',
    '/run/models/teacher/.%2e/.%2e/.%2e/.%2e/secret.txt',
    '/run/models/teacher/%252e%252e/%252e%252e/%252e%252e/%252e%252e/secret.txt',
    '/run/models/teacher/%25252e%25252e%25252fsecret.txt',
    '/run/models/teacher/..\\..\\..\\..\\secret.txt',
    '/run/models/teacher/..%5c..%5c..%5c..%5csecret.txt',
    '/run/models/teacher/%c0%ae%c0%ae/%c0%ae%c0%ae/secret.txt',
    '/run/models/teacher/model.json%00.png',
    '/run/models/teacher/model.json\0.png',
    '/run/models/teacher/leak.bin', // symlink to ../secret.txt
    '/run/exports/escape/secret.txt', // symlinked folder
    '/run/exports/escape/runs/newest/config.json',
    '/run/models/teacher//etc/passwd',
    '/run/models/%2e%2e/%2e%2e/%2e%2e/secret.txt',
    '/run/models/teacher/' + encodeURIComponent(join(root, 'secret.txt')),
    '/static/../server.ts',
    '/static/%2e%2e/server.ts',
    '/static/%2e%2e%2fserver.ts',
    '/static/.%2e/files.ts',
    '/vendor/../../package.json',
    '/vendor/%2e%2e/package.json',
    '/vendor/tf.min.js/../../../package.json',
    '/run/results.json',
    '/run/config.json',
    '/etc/passwd',
    '//etc/passwd',
    '/%2e%2e/%2e%2e/%2e%2e/etc/passwd',
    '/..\\..\\..\\etc\\passwd',
    join(root, 'secret.txt'), // an absolute file path as the request target
    `http://127.0.0.1:${port}/../secret.txt`, // absolute-form target
    '/run/models/teacher/%zz',
  ];
  for (const path of attempts) {
    const r = await rawRequest(path);
    assert.ok([400, 403, 404].includes(r.status), `${JSON.stringify(path)} answered ${r.status}`);
    assert.ok(!r.body.toString('latin1').includes(SECRET), `${path} leaked the secret`);
    assert.ok(!r.body.toString('latin1').includes('"secret"'), `${path} leaked config.json`);
  }
  // The same files are there when asked for properly.
  assert.equal((await rawRequest('/run/models/teacher/model.json')).status, 200);
});

test('refuses other methods and foreign Host headers (DNS rebinding)', async () => {
  assert.equal((await rawRequest('/', { method: 'POST' })).status, 405);
  assert.equal((await rawRequest('/', { method: 'DELETE' })).status, 405);
  assert.equal((await rawRequest('/', { host: 'attacker.example' })).status, 403);
  assert.equal((await rawRequest('/', { host: `localhost:${port}` })).status, 200);
});

test('50 parallel requests all complete with the right bytes', async () => {
  const files: [string, string][] = [
    ['/run/models/teacher/group1-shard1of2.bin', join(run, 'models/teacher/group1-shard1of2.bin')],
    ['/run/models/distilled/model.json', join(run, 'models/distilled/model.json')],
    ['/static/demo.js', fileURLToPath(new URL('./static/demo.js', import.meta.url))],
    ['/', fileURLToPath(new URL('./static/index.html', import.meta.url))],
    ['/vendor/tfjs-backend-wasm.wasm', WASM_FILE],
  ];
  const fetchOne = (path: string) =>
    new Promise<{ status: number; body: Buffer }>((resolve, reject) => {
      get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode!, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      }).on('error', reject);
    });
  const picks = Array.from({ length: 50 }, (_, i) => files[i % files.length]);
  const responses = await Promise.all(picks.map(([path]) => fetchOne(path)));
  responses.forEach((r, i) => {
    assert.equal(r.status, 200, picks[i][0]);
    assert.ok(r.body.equals(readFileSync(picks[i][1])), `${picks[i][0]}: bytes differ`);
  });
});

test('static files revalidate (ETag → 304) and serve byte ranges (206)', async () => {
  // node:http, not fetch: fetch adds `cache-control: no-cache` to a request with If-None-Match,
  // which (rightly) forbids a 304; a browser revalidating its own cache sends none.
  const request = (headers: Record<string, string> = {}) =>
    new Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }>(
      (resolve, reject) => {
        const path = '/run/models/teacher/group1-shard1of2.bin';
        get({ host: '127.0.0.1', port, path, headers, agent: false }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c) => chunks.push(c));
          res.on('end', () =>
            resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }),
          );
          res.on('error', reject);
        }).on('error', reject);
      },
    );
  const bytes = readFileSync(join(run, 'models/teacher/group1-shard1of2.bin'));
  const first = await request();
  const etag = first.headers.etag;
  assert.ok(etag, 'an ETag');
  assert.equal(first.headers['cache-control'], 'no-cache');
  assert.ok(first.body.equals(bytes));
  const again = await request({ 'if-none-match': etag });
  assert.equal(again.status, 304);
  assert.equal(again.body.length, 0);
  const part = await request({ range: 'bytes=10-19' });
  assert.equal(part.status, 206);
  assert.equal(part.headers['content-type'], 'application/octet-stream');
  assert.ok(part.body.equals(bytes.subarray(10, 20)));
  assert.equal((await request({ range: `bytes=${bytes.length + 5}-` })).status, 416);
});

test(
  'a client that hangs up mid-download leaves the server up and the file closed',
  { skip: !existsSync('/proc/self/fd') && 'needs /proc/self/fd to watch open files' },
  async () => {
    const shard = realpathSync(join(run, 'models/teacher/group1-shard1of2.bin'));
    assert.equal(statSync(shard).size, 4 * 1024 * 1024);
    const openCount = () =>
      readdirSync('/proc/self/fd').filter((fd) => {
        try {
          return readlinkSync(`/proc/self/fd/${fd}`) === shard;
        } catch {
          return false;
        }
      }).length;
    const socket = connect(port, '127.0.0.1');
    socket.write(
      `GET /run/models/teacher/group1-shard1of2.bin HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`,
    );
    const [first] = (await once(socket, 'data')) as [Buffer];
    assert.match(first.toString('latin1', 0, 12), /^HTTP\/1.1 200/);
    socket.pause(); // stop reading: the server blocks on a full socket, mid-file
    await sleep(50);
    assert.equal(openCount(), 1, 'the shard is being sent');
    socket.destroy();
    for (let i = 0; i < 100 && openCount() > 0; i++) await sleep(10);
    assert.equal(openCount(), 0, 'the server closed the file after the client left');
    const next = await rawRequest('/run/models/teacher/group1-shard1of2.bin');
    assert.equal(next.status, 200);
    assert.equal(next.body.length, 4 * 1024 * 1024);
  },
);

test('the newest finished run is found; no finished run is a one-line usage error', () => {
  assert.equal(findNewestRun(join(root, 'runs')), run);
  const empty = mkdtempSync(join(tmpdir(), 'distillery-noruns-'));
  try {
    for (const dir of [empty, join(empty, 'missing')]) {
      assert.throws(
        () => findNewestRun(dir),
        (e: DistilleryError) =>
          e.kind === 'usage' && /no finished run/.test(e.message) && !e.message.includes('\n'),
      );
    }
  } finally {
    rmSync(empty, { recursive: true, force: true });
  }
});

test('a busy port and a folder without results.json are usage errors', async () => {
  const blocker = createNetServer();
  await new Promise<void>((done) => blocker.listen(0, '127.0.0.1', done));
  const busy = (blocker.address() as AddressInfo).port;
  try {
    await assert.rejects(
      startServer({ runDir: run, port: busy, quantizedExport: false, testImages: 1 }),
      (e: DistilleryError) => e.kind === 'usage' && /in use.*--port 0/.test(e.message),
    );
  } finally {
    blocker.close();
  }
  await assert.rejects(
    startServer({ runDir: join(root, 'runs', 'unfinished'), port: 0 }),
    (e: DistilleryError) => e.kind === 'usage' && /no results\.json/.test(e.message),
  );
});

test('a model folder damaged since its stage sealed it is named and not served', async () => {
  const dir = join(root, 'damaged');
  const results = JSON.parse(readFileSync(join(run, 'results.json'), 'utf8'));
  mkdirSync(dir);
  writeFileSync(join(dir, 'results.json'), JSON.stringify(results));
  for (const [stage, seed] of [
    ['teacher', 1],
    ['distilled', 2],
  ] as const) {
    const model = createMlp({ inputShape: [28, 28, 1], hidden: [8], classes: 10, seed });
    await saveModel(model, join(dir, 'models', stage));
    model.dispose();
    sealFolder(join(dir, 'models', stage));
  }
  // Truncate the distilled student's weights, as a full disk or an interrupted copy would.
  const models = join(dir, 'models', 'distilled');
  const shard = readdirSync(models).find((f) => f.endsWith('.bin'))!;
  writeFileSync(join(models, shard), readFileSync(join(models, shard)).subarray(0, 100));
  const messages: string[] = [];
  const damaged = await startServer({
    runDir: dir,
    port: 0,
    testImages: 1,
    onInfo: (m) => messages.push(m),
  });
  try {
    const line =
      /models\/distilled\/.*\.bin is corrupted \(checksum mismatch\): the distilled model is not served/;
    assert.ok(
      messages.some((m) => line.test(m)),
      messages.join('\n'),
    );
    assert.ok(
      messages.some((m) => /^no uint8 export: .*corrupted.*not exported/.test(m)),
      messages.join('\n'),
    );
    assert.equal(existsSync(join(dir, 'exports', 'uint8')), false);
    const info = await (await fetch(`${damaged.url}api/run.json`)).json();
    assert.deepEqual(Object.keys(info.models), ['teacher']);
    const base = damaged.url.replace(/\/$/, '');
    assert.equal((await fetch(`${base}/run/models/teacher/model.json`)).status, 200);
    assert.equal((await fetch(`${base}/run/models/distilled/model.json`)).status, 404);
  } finally {
    await damaged.close();
  }
});

test('the CLI prints the URL, serves, and exits 0 on SIGTERM; without runs it fails in one line', async () => {
  const cli = join(REPO, 'bin', 'distillery.mjs');
  const serve = spawn(process.execPath, [cli, 'serve', '--port', '0', '--no-export'], {
    cwd: root, // ./runs/newest is the newest finished run
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const empty = mkdtempSync(join(tmpdir(), 'distillery-noruns-'));
  const failing = spawn(process.execPath, [cli, 'serve'], { cwd: empty });
  // Listen for the exits now: a child may be gone before the test gets to await it.
  const served = once(serve, 'exit');
  const failed = once(failing, 'exit');
  let stderr = '';
  failing.stderr.on('data', (c) => (stderr += c));
  try {
    let stdout = '';
    serve.stdout.on('data', (c) => (stdout += c));
    // Up to 60 s: a loaded machine (CI, parallel jobs) may take long to start tsx.
    for (let i = 0; i < 3000 && !stdout.includes('\n'); i++) await sleep(20);
    const url = stdout.trim();
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    const page = await fetch(url);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /Distillery/);
    const info = await (await fetch(`${url}api/run.json`)).json();
    assert.equal(info.run, 'newest');
    serve.kill('SIGTERM');
    const [code] = await served;
    assert.equal(code, 0);

    const [failCode] = await failed;
    assert.equal(failCode, 2);
    assert.match(stderr, /^distillery: no finished run under .*runs/);
    assert.equal(stderr.trim().split('\n').length, 1);
  } finally {
    serve.kill();
    failing.kill();
    rmSync(empty, { recursive: true, force: true });
  }
});

test('close() stops the server', async () => {
  const other = await startServer({ runDir: run, port: 0, quantizedExport: false, testImages: 1 });
  assert.equal((await fetch(other.url)).status, 200);
  await other.close();
  await assert.rejects(fetch(other.url));
});
