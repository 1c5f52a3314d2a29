// Transport failures of remote teachers that no retry mends fail on the first attempt with one
// line that says what to change: a certificate this process does not trust names
// NODE_EXTRA_CA_CERTS; an https:// URL on a plain-HTTP port says to try http://; a redirect names
// where it points (redirects are not followed). Connection errors keep their retries. The trusted path (the CA given through
// NODE_EXTRA_CA_CERTS) runs through the CLI in test/e2e/remote-teacher-cli.test.ts, since Node
// reads that variable only at start-up. Certificates are made per run by openssl.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tf } from '../../tf.ts';
import { createMlp } from '../../models/index.ts';
import { HttpClient, tlsProblem } from './client.ts';
import { makeTestCertificates, startKServeServer, type TestServer } from './testing.ts';

const dir = mkdtempSync(join(tmpdir(), 'distillery-tls-'));
const servers: TestServer[] = [];
let https: TestServer;
let plain: TestServer;

before(async () => {
  await tf.setBackend('cpu');
  const model = createMlp({ inputShape: [4], hidden: [3], classes: 2, seed: 1 });
  const { key, cert } = makeTestCertificates(dir);
  https = await startKServeServer(model, { tls: { key, cert } });
  plain = await startKServeServer(model);
  servers.push(https, plain);
});
after(async () => {
  await Promise.all(servers.map((s) => s.close()));
  rmSync(dir, { recursive: true, force: true });
});

const client = (baseUrl: string) =>
  new HttpClient({ baseUrl, retries: 3, backoffMs: 1, maxBackoffMs: 2 });

test('a certificate this process does not trust fails at once, naming NODE_EXTRA_CA_CERTS', async () => {
  assert.match(https.url, /^https:\/\/127\.0\.0\.1:\d+$/);
  const c = client(https.url);
  await assert.rejects(c.json('/v2'), (e: Error) => {
    assert.match(
      e.message,
      /^https:\/\/127\.0\.0\.1:\d+\/v2: the server's TLS certificate is not trusted \(UNABLE_TO_VERIFY_LEAF_SIGNATURE\): .*NODE_EXTRA_CA_CERTS=/,
    );
    assert.doesNotMatch(e.message, /gave up|\n/);
    return true;
  });
  assert.equal(c.stats.attempts, 1, 'no retry of a certificate failure');
});

test('an https:// URL on a plain-HTTP port fails at once and says to try http://', async () => {
  const c = client(plain.url.replace('http://', 'https://'));
  await assert.rejects(c.json('/v2'), /does not speak HTTPS on this port; try http:\/\//);
  assert.equal(c.stats.attempts, 1);
});

test('connection errors are not TLS problems: they keep their retries', async () => {
  const closed = await startKServeServer(createMlp({ inputShape: [4], hidden: [3], classes: 2 }));
  await closed.close();
  const c = client(closed.url);
  await assert.rejects(
    c.json('/v2'),
    /connection failed \(ECONNREFUSED\).*gave up after 4 attempts/,
  );
  assert.equal(c.stats.attempts, 4);
  assert.equal(tlsProblem(Object.assign(new Error('x'), { code: 'ECONNRESET' })), undefined);
  assert.match(
    tlsProblem(Object.assign(new Error('x'), { code: 'CERT_HAS_EXPIRED' }))!,
    /outside its validity dates .*renew it/,
  );
  assert.match(
    tlsProblem(Object.assign(new Error('x'), { code: 'ERR_TLS_CERT_ALTNAME_INVALID' }))!,
    /does not name this host/,
  );
});

test('a redirect is not followed: one line naming its Location, at once', async () => {
  let hits = 0;
  const moved = createServer((req, res) => {
    hits++;
    res.writeHead(301, { location: `https://teacher.example${req.url}` });
    res.end();
  });
  await new Promise<void>((r) => moved.listen(0, '127.0.0.1', r));
  try {
    const { port } = moved.address() as AddressInfo;
    const c = client(`http://127.0.0.1:${port}`);
    await assert.rejects(
      c.json('/v2'),
      /\/v2: HTTP 301: the server redirects to https:\/\/teacher\.example\/v2; redirects are not followed .*point --teacher at the new location$/,
    );
    assert.equal(c.stats.attempts, 1);
    assert.equal(hits, 1);
  } finally {
    moved.closeAllConnections();
    await new Promise((r) => moved.close(r));
  }
});
