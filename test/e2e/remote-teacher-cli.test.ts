// End-to-end: `distillery distill --teacher http://127.0.0.1:PORT/v2/models/mnist` against a
// KServe v2 loopback server (started here, around a real MNIST MLP trained on 300 images for 10 epochs) that
// requires an API key, next to `distill --teacher <the same model's folder>`: the numbers agree,
// the key (read from the variable --api-key-env names) is in no file of the run, nor in stdout or
// stderr. Also: a URL whose protocol cannot be told is a one-line usage error naming the flag;
// an HTTPS server whose certificate a private CA signed works once NODE_EXTRA_CA_CERTS names that
// CA, and without it fails at once with one line saying so.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tf } from '../../src/tf.ts';
import { loadMnist } from '../../src/data/index.ts';
import { createMlp } from '../../src/models/index.ts';
import { trainModel } from '../../src/train/train-model.ts';
import { saveModel } from '../../src/models/io.ts';
import {
  makeTestCertificates,
  startKServeServer,
  type TestServer,
} from '../../src/teachers/http/testing.ts';
import type { RunResults } from '../../src/run/record.ts';

const BIN = join(import.meta.dirname, '../../bin/distillery.mjs');
const root = mkdtempSync(join(tmpdir(), 'distillery-remote-cli-'));
const teacherDir = join(root, 'teacher');
const KEY = 'sk-test-7f3a9c1e5b2d4680';
let server: TestServer;
let httpsServer: TestServer;
let caFile: string;
await tf.setBackend('cpu');

// The server answers on the event loop of this process: the CLI must run asynchronously.
function cli(args: string[], env: Record<string, string> = {}) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((done) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 240_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr });
    });
  });
}

const FAST = [
  ...['--train-limit', '300', '--validation-size', '50', '--test-limit', '200'],
  ...['--backend', 'cpu', '--student-arch', 'mlp:32', '--student-epochs', '2'],
  ...['--batch-size', '25', '--auto-tune', 'off', '--temperature', '2', '--json'],
];

/** Every file under `dir`, as text. */
const filesOf = (dir: string): string[] =>
  readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesOf(path) : [readFileSync(path, 'latin1')];
  });

before(async () => {
  const data = await loadMnist({ trainLimit: 300, testLimit: 10, validationSize: 50 });
  const model = createMlp({ inputShape: [28, 28, 1], hidden: [32], classes: 10, seed: 1 });
  await trainModel({ model, data: data.train, epochs: 10, batchSize: 25, seed: 1 });
  await saveModel(model, teacherDir);
  server = await startKServeServer(model, { apiKey: KEY });
  const certs = makeTestCertificates(root);
  caFile = certs.caFile;
  httpsServer = await startKServeServer(model, { tls: { key: certs.key, cert: certs.cert } });
});
after(async () => {
  await server?.close();
  await httpsServer?.close();
  rmSync(root, { recursive: true, force: true });
});

test('distill --teacher http://…/v2/models/mnist matches the same teacher loaded locally; the API key appears nowhere', async () => {
  const url = `${server.url}/v2/models/mnist`;
  const remote = await cli(
    [
      'distill',
      ...['--teacher', url, '--api-key-env', 'DISTILLERY_TEST_KEY'],
      ...['--teacher-batch-size', '100', '--out', join(root, 'remote'), ...FAST],
    ],
    { DISTILLERY_TEST_KEY: KEY },
  );
  assert.equal(remote.code, 0, remote.stderr);
  assert.ok(server.requests > 0, 'the server was asked');
  const local = await cli([
    'distill',
    ...['--teacher', teacherDir, '--out', join(root, 'local'), ...FAST],
  ]);
  assert.equal(local.code, 0, local.stderr);
  const [r, l] = [remote, local].map((x) => JSON.parse(x.stdout) as RunResults);
  assert.equal(r.teacher?.kind, 'kserve-v2');
  assert.equal(r.teacher?.source, url);
  const row = (x: RunResults, name: string) => x.evaluation.rows.find((e) => e.name === name)!;
  // Same weights, same backend, float32 logits through JSON unchanged: the same predictions.
  assert.equal(row(r, 'teacher').accuracy, row(l, 'teacher').accuracy);
  assert.ok(row(l, 'teacher').accuracy > 0.5, `teacher ${row(l, 'teacher').accuracy}`);
  for (const name of ['scratch', 'distilled'])
    assert.ok(
      Math.abs(row(r, name).accuracy - row(l, name).accuracy) <= 0.01,
      `${name}: remote ${row(r, name).accuracy} vs local ${row(l, name).accuracy}`,
    );
  // The key: not in stdout, stderr, results.json, the report or any other file of the run.
  const files = filesOf(join(root, 'remote'));
  assert.ok(files.length > 3, `${files.length} files`);
  for (const text of [remote.stdout, remote.stderr, ...files])
    assert.ok(!text.includes(KEY), 'the API key leaked');
  assert.ok(
    files.some((t) => t.includes('DISTILLERY_TEST_KEY')),
    'the variable name is recorded',
  );
});

test('a wrong key is a one-line error without the key; an unknown URL shape names --teacher-protocol', async () => {
  const wrong = `${KEY}-wrong`;
  const denied = await cli(
    [
      'distill',
      ...['--teacher', `${server.url}/v2/models/mnist`, '--api-key-env', 'DISTILLERY_TEST_KEY'],
      ...['--out', join(root, 'denied'), ...FAST],
    ],
    { DISTILLERY_TEST_KEY: wrong },
  );
  assert.notEqual(denied.code, 0);
  const lines = denied.stderr.split('\n').filter((l) => l.startsWith('distillery:'));
  assert.equal(lines.length, 1, denied.stderr);
  assert.match(lines[0], /401/);
  assert.ok(!denied.stderr.includes(wrong), 'the wrong key was echoed');
  const unknown = await cli([
    'distill',
    ...['--teacher', `${server.url}/serve/mnist`],
    ...['--out', join(root, 'unknown'), ...FAST],
  ]);
  assert.equal(unknown.code, 4, unknown.stderr);
  assert.match(unknown.stderr, /--teacher-protocol/);
});

test("evaluate takes any teacher: the server URL, the same model's folder, the ONNX fixture", async () => {
  const args = ['--test-limit', '200', '--backend', 'cpu', '--json'];
  const remote = await cli(
    [
      'evaluate',
      `${server.url}/v2/models/mnist`,
      ...['--api-key-env', 'DISTILLERY_TEST_KEY', ...args],
    ],
    { DISTILLERY_TEST_KEY: KEY },
  );
  assert.equal(remote.code, 0, remote.stderr);
  const local = await cli(['evaluate', teacherDir, ...args]);
  assert.equal(local.code, 0, local.stderr);
  const onnx = await cli([
    'evaluate',
    join(import.meta.dirname, '../fixtures/mnist-cnn.onnx'),
    ...args,
  ]);
  assert.equal(onnx.code, 0, onnx.stderr);
  const [r, l, o] = [remote, local, onnx].map((x) => JSON.parse(x.stdout).rows[0]);
  assert.equal(r.accuracy, l.accuracy);
  assert.ok(o.accuracy > 0.9, `onnx ${o.accuracy}`);
  assert.ok(!remote.stdout.includes(KEY) && !remote.stderr.includes(KEY));
});

test('an HTTPS teacher signed by a private CA: trusted through NODE_EXTRA_CA_CERTS, else one line at once', async () => {
  const url = `${httpsServer.url}/v2/models/mnist`;
  const args = ['--test-limit', '200', '--backend', 'cpu', '--json'];
  const trusted = await cli(['evaluate', url, ...args], { NODE_EXTRA_CA_CERTS: caFile });
  assert.equal(trusted.code, 0, trusted.stderr);
  const local = await cli(['evaluate', teacherDir, ...args]);
  assert.equal(local.code, 0, local.stderr);
  assert.equal(
    JSON.parse(trusted.stdout).rows[0].accuracy,
    JSON.parse(local.stdout).rows[0].accuracy,
  );
  const asked = httpsServer.requests;
  assert.ok(asked > 0, 'the HTTPS server was asked');
  const untrusted = await cli(['evaluate', url, ...args], { NODE_EXTRA_CA_CERTS: '' });
  assert.equal(untrusted.code, 4, untrusted.stderr);
  const lines = untrusted.stderr.split('\n').filter((l) => l.startsWith('distillery:'));
  assert.equal(lines.length, 1, untrusted.stderr);
  assert.match(lines[0], /TLS certificate is not trusted .*NODE_EXTRA_CA_CERTS=/);
  assert.doesNotMatch(lines[0], /gave up/);
  assert.equal(httpsServer.requests, asked, 'no request got through an untrusted handshake');
});
