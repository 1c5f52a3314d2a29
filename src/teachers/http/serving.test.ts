// KServe v2 and TF Serving teachers against loopback servers around a real MNIST MLP (trained
// for one epoch on 300 images): logits equal the model's own, batches split into server-size
// requests, and a fault matrix (slow, 500, 503, 429 + Retry-After, dropped mid-body, malformed
// JSON, wrong shape, NaN) either heals by retrying or fails with one line — never bad logits.
// KServe v2 runs the matrix twice: tensors in JSON, and in the binary tensor data extension.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { tf, type LayersModel, type Tensor } from '../../tf.ts';
import { loadMnist, type Dataset } from '../../data/index.ts';
import { createMlp } from '../../models/index.ts';
import { trainModel } from '../../train/train-model.ts';
import { computeTeacherLogits } from '../../distill/teacher-cache.ts';
import { kserveV2Teacher } from './kserve-v2.ts';
import { tfServingTeacher } from './tf-serving.ts';
import { remoteTeacher } from './index.ts';
import type { RemoteTeacherOptions } from './remote.ts';
import { startKServeServer, startTfServingServer, type Fault, type TestServer } from './testing.ts';

await tf.setBackend('cpu');
let data: Dataset;
let model: LayersModel;
let x: Tensor; // [40, 28, 28, 1]
let expected: Float32Array; // [40, 10]
const servers: TestServer[] = [];

before(async () => {
  data = await loadMnist({ trainLimit: 300, testLimit: 40, validationSize: 50 });
  model = createMlp({ inputShape: [28, 28, 1], hidden: [32], classes: 10, seed: 1 });
  await trainModel({ model, data: data.train, epochs: 1, batchSize: 50, seed: 1 });
  x = tf.tensor4d(
    Float32Array.from(data.test.x, (v) => v * (data.test.xScale ?? 1)),
    [40, 28, 28, 1],
  );
  expected = (model.predict(x) as Tensor).dataSync() as Float32Array;
});
after(async () => {
  await Promise.all(servers.map((s) => s.close()));
  x.dispose();
  model.dispose();
});

// A generous per-attempt timeout: on a loaded machine (CI runs many jobs) a normal request can
// take over half a second, and an extra retry would break the exact retry counts below. The
// 'slow' fault gets its own short timeout.
const fast: Partial<RemoteTeacherOptions> = { backoffMs: 5, maxBackoffMs: 20, timeoutMs: 10_000 };
const slowTimeout = { timeoutMs: 500 };
const kserve = async (
  faults: Fault[] = [],
  opts: Partial<RemoteTeacherOptions> = {},
  binaryTensors = false,
) => {
  const server = await startKServeServer(model, { faults, slowMs: 1500, binaryTensors });
  servers.push(server);
  const teacher = await kserveV2Teacher({
    url: `${server.url}/v2/models/mnist`,
    batchSize: 16,
    ...fast,
    ...opts,
  });
  return { server, teacher };
};
const tfServing = async (faults: Fault[] = [], opts: Partial<RemoteTeacherOptions> = {}) => {
  const server = await startTfServingServer(model, { faults, slowMs: 1500 });
  servers.push(server);
  const teacher = await tfServingTeacher({
    url: `${server.url}/v1/models/mnist`,
    batchSize: 16,
    ...fast,
    ...opts,
  });
  return { server, teacher };
};

const logitsOf = async (t: { logits(x: Tensor): Promise<Tensor> }) => {
  const out = await t.logits(x);
  const values = out.dataSync() as Float32Array;
  out.dispose();
  return values;
};

// The KServe v2 server that lists the binary tensor data extension (as Triton does): the same
// matrix with tensors sent and received as raw bytes.
const kserveBinary = (faults: Fault[] = [], opts: Partial<RemoteTeacherOptions> = {}) =>
  kserve(faults, opts, true);

for (const [name, start] of [
  ['kserve-v2', kserve],
  ['kserve-v2 (binary tensors)', kserveBinary],
  ['tf-serving', tfServing],
] as const) {
  test(`${name}: metadata gives input shape and classes; logits equal the model's, bit for bit`, async () => {
    const { server, teacher } = await start();
    assert.deepEqual(teacher.dataShape, [28, 28, 1]);
    assert.equal(teacher.classes, 10);
    assert.deepEqual(await logitsOf(teacher), expected);
    assert.equal(server.requests, 3); // 40 rows in requests of 16
    assert.match(
      await teacher.identity(),
      new RegExp(`^${name.split(' ')[0]}:http://127\\.0\\.0\\.1:\\d+/v[12]/models/mnist`),
    );
  });

  for (const fault of ['slow', '500', '503', '429', 'drop', 'malformed'] as Fault[]) {
    test(`${name}: a ${fault} response is retried and the logits are still exact`, async () => {
      const { server, teacher } = await start([fault], fault === 'slow' ? slowTimeout : {});
      assert.deepEqual(await logitsOf(teacher), expected);
      assert.equal(server.requests, 4); // one retry
      const reasons = Object.keys(teacher.stats().retryReasons);
      assert.equal(teacher.stats().retries, 1, `retries: ${reasons}`);
    });
  }

  for (const fault of ['wrong-shape', 'nan'] as Fault[]) {
    test(`${name}: a ${fault} response fails with one line and is not retried`, async () => {
      const { teacher } = await start([fault]);
      const before = tf.memory().numTensors;
      await assert.rejects(teacher.logits(x), (e: Error) => {
        assert.equal((e as { kind?: string }).kind, 'model');
        assert.doesNotMatch(e.message, /\n/);
        // JSON carries NaN as null (not a number); raw bytes carry a NaN float (not finite).
        assert.match(e.message, fault === 'nan' ? /not all numbers|non-finite/ : /expected .*10/);
        return true;
      });
      assert.equal(tf.memory().numTensors, before);
      assert.equal(teacher.stats().retries, 0);
    });
  }

  test(`${name}: persistent 500s give up after the retries with the reason`, async () => {
    const { server, teacher } = await start(Array(10).fill('500'), { retries: 2, batchSize: 64 });
    await assert.rejects(teacher.logits(x), /HTTP 500.*gave up after 3 attempts/);
    assert.equal(server.requests, 3);
  });
}

test('binary tensors: used when the server lists the extension, raw bytes both ways; off on request', async () => {
  const { server, teacher } = await kserveBinary();
  assert.deepEqual(await logitsOf(teacher), expected);
  const header = Number(server.lastHeaders?.['inference-header-content-length']);
  assert.ok(header > 0, 'the request was in the binary extension');
  assert.equal(server.lastHeaders?.['content-type'], 'application/octet-stream');
  const json = await kserveV2Teacher({
    url: `${server.url}/v2/models/mnist`,
    batchSize: 16,
    ...fast,
    binaryTensors: false,
  });
  assert.deepEqual(await logitsOf(json), expected);
  assert.equal(server.lastHeaders?.['inference-header-content-length'], undefined);
  assert.equal(server.lastHeaders?.['content-type'], 'application/json');
  // A server that does not list the extension gets JSON without being asked.
  const plain = await kserve();
  assert.deepEqual(await logitsOf(plain.teacher), expected);
  assert.equal(plain.server.lastHeaders?.['inference-header-content-length'], undefined);
});

test('429 with Retry-After: 1 waits at least one second before retrying', async () => {
  const { teacher } = await kserve(['429'], { batchSize: 64 });
  const t0 = performance.now();
  assert.deepEqual(await logitsOf(teacher), expected);
  assert.ok(performance.now() - t0 >= 990, `retried after ${performance.now() - t0} ms`);
});

test('a Retry-After beyond the allowed wait fails at once, saying so', async () => {
  const server = await startKServeServer(model, { faults: ['429'], retryAfterSeconds: 3600 });
  servers.push(server);
  const teacher = await kserveV2Teacher({ url: `${server.url}/v2/models/mnist`, ...fast });
  await assert.rejects(teacher.logits(x), /retry after 3600 s, more than the 60 s allowed/);
});

test('bounded concurrency: at most 3 requests in flight from one teacher', async () => {
  const server = await startKServeServer(model, { latencyMs: 30 });
  servers.push(server);
  const teacher = await kserveV2Teacher({
    url: `${server.url}/v2/models/mnist`,
    batchSize: 4,
    concurrency: 3,
  });
  assert.deepEqual(await logitsOf(teacher), expected); // 10 requests
  assert.equal(server.requests, 10);
  assert.ok(server.maxInFlight <= 3 && server.maxInFlight >= 2, `peak ${server.maxInFlight}`);
});

test('a rate limit of 10 requests/s spaces 20 requests over more than a second', async () => {
  const { server, teacher } = await kserve([], { batchSize: 2, requestsPerSecond: 10 });
  // The bucket holds one second's worth (10); the two metadata calls used 2 of them.
  const t0 = performance.now();
  assert.deepEqual(await logitsOf(teacher), expected);
  const elapsed = performance.now() - t0;
  assert.equal(server.requests, 20);
  assert.ok(elapsed >= 1000, `20 requests at 10/s took ${elapsed.toFixed(0)} ms`);
});

test('the spec picks the protocol from the URL; a bad URL or protocol is one line', async () => {
  const { server } = await tfServing();
  const t = await remoteTeacher(`${server.url}/v1/models/mnist`, fast);
  assert.equal(t.kind, 'tf-serving');
  await assert.rejects(remoteTeacher('http://127.0.0.1:1/predict'), /--teacher-protocol/);
  await assert.rejects(
    remoteTeacher('grpc:http://x/v2/models/m'),
    /unknown teacher protocol 'grpc'/,
  );
  const closed = await startKServeServer(model);
  await closed.close(); // a port nobody listens on
  await assert.rejects(
    kserveV2Teacher({ url: `${closed.url}/v2/models/m`, retries: 1, backoffMs: 1 }),
    /connection failed \(ECONNREFUSED\).*gave up after 2 attempts/,
  );
});

test('computeTeacherLogits over a remote teacher equals the local model, no tensor leak', async () => {
  const { teacher } = await kserve(['500', 'drop']);
  const local = await computeTeacherLogits(model, data.train, [28, 28, 1]);
  const before = tf.memory().numTensors;
  const remote = await computeTeacherLogits(teacher, data.train);
  assert.equal(tf.memory().numTensors, before);
  assert.deepEqual(remote.logits, local.logits);
});
