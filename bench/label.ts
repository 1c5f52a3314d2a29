// `npm run bench:label`: labelling throughput. (1) A KServe v2 loopback server (its own process)
// with 20 ms injected latency: rows/s at client concurrency 1 / 4 / 16 / 64. (2) A CPU-bound local
// teacher (MLP 784-1200-1200-10): labelling in process, on the queue with 1 worker and with 2
// workers (queue overhead, scaling). (3) Resume after SIGKILL: the work in progress lost, against
// one shard's time. Writes its tables into docs/benchmarks.md between label markers.
// Usage: npm run bench:label -- [--backend auto] [--rows 20000] [--requests 256]
import { spawn, type ChildProcess } from 'node:child_process';
import {
  existsSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tf } from '../src/tf.ts';
import { createMlp } from '../src/models/index.ts';
import { saveModel } from '../src/models/io.ts';
import { selectBackend, type BackendName } from '../src/backend/index.ts';
import { renderTable } from '../src/report/table.ts';
import { startKServeServer } from '../src/teachers/http/testing.ts';
import { label } from '../src/labels/label.ts';
import { labelInProcess } from '../src/labels/job.ts';
import { openTarget } from '../src/labels/target.ts';
import type { LabelTarget } from '../src/labels/target.ts';

const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i += 2)
  args.set(process.argv[i].replace(/^--/, ''), process.argv[i + 1]);

// Server mode: the teacher server runs in its own process, as a real one would.
if (args.has('serve')) {
  await tf.setBackend('cpu');
  const model = createMlp({ inputShape: [28, 28, 1], hidden: [32], classes: 10, seed: 1 });
  const server = await startKServeServer(model, { latencyMs: Number(args.get('serve')) });
  process.stdout.write(`${server.url}\n`);
  await new Promise(() => {});
}

const backendName = (args.get('backend') ?? 'auto') as BackendName;
const backend = await selectBackend(backendName);
const root = mkdtempSync(join(tmpdir(), 'distillery-bench-label-'));
const BIN = join(import.meta.dirname, '../bin/distillery.mjs');
const children: ChildProcess[] = [];
process.on('exit', () => children.forEach((c) => c.kill('SIGKILL')));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const log = (m: string) => process.stderr.write(`${m}\n`);

function spawnLine(cmd: string[], until: RegExp): Promise<{ child: ChildProcess; line: string }> {
  const child = spawn(process.execPath, cmd, { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  return new Promise((ready, fail) => {
    const on = (d: Buffer) => {
      out += d;
      const m = until.exec(out);
      if (m) ready({ child, line: m[0] });
    };
    child.stdout!.on('data', on);
    child.stderr!.on('data', on);
    child.on('exit', (code) => fail(new Error(`${cmd.join(' ')} exited ${code}: ${out}`)));
  });
}

// --- 1. Throughput versus concurrency against a 20 ms server --------------------------------
const maxRequests = Number(args.get('requests') ?? 256);
const perRequest = 4;
const { line: url } = await spawnLine(
  ['--import', 'tsx', join(import.meta.dirname, 'label.ts'), '--serve', '20'],
  /http:\/\/127\.0\.0\.1:\d+/,
);
const mnistRows = (n: number): LabelTarget['rows'] => ({
  kind: 'dataset',
  split: 'train',
  ref: { dataset: 'mnist', trainLimit: n + 1, validationSize: 1, seed: 1 },
});
const concurrencyRows: string[][] = [];
let base = 0;
for (const concurrency of [1, 4, 16, 64]) {
  // Enough requests for a few rounds at this concurrency; teacher and rows opened beforehand, so
  // only labelling is timed.
  const n = Math.min(maxRequests, Math.max(64, concurrency * 8)) * perRequest;
  const { teacher, rows: labelRows } = await openTarget({
    teacher: {
      spec: `${url}/v2/models/mnist`,
      settings: { batchSize: perRequest, concurrency, timeoutMs: 120_000 },
    },
    rows: mnistRows(n),
  });
  const times: number[] = [];
  for (let r = 0; r < (concurrency === 1 ? 1 : 3); r++) {
    const out = join(root, `http-${concurrency}-${r}`);
    const t0 = performance.now();
    await labelInProcess({
      teacher,
      rows: labelRows,
      dir: out,
      dtype: 'float16',
      shardSize: n,
      chunk: n,
    });
    times.push((performance.now() - t0) / 1000);
    rmSync(out, { recursive: true });
  }
  const rate = n / median(times);
  if (concurrency === 1) base = rate;
  concurrencyRows.push([
    String(concurrency),
    String(n / perRequest),
    median(times).toFixed(2),
    rate.toFixed(0),
    `${(rate / base).toFixed(2)}×`,
    `${((rate / base / concurrency) * 100).toFixed(0)}%`,
  ]);
  log(`concurrency ${concurrency}: ${rate.toFixed(0)} rows/s`);
}

// --- 2. A CPU-bound local teacher: in process, queue with 1 and 2 workers --------------------
const rows = Number(args.get('rows') ?? 20000);
const shardSize = Math.ceil(rows / 20);
const teacherDir = join(root, 'teacher');
const big = createMlp({ inputShape: [28, 28, 1], hidden: [1200, 1200], classes: 10, seed: 1 });
await saveModel(big, teacherDir);
big.dispose();
const local: LabelTarget = { teacher: { spec: teacherDir }, rows: mnistRows(rows) };
const inProcess: number[] = [];
for (let r = 0; r < 3; r++) {
  const out = join(root, `local-${r}`);
  const t0 = performance.now();
  await label({ target: local, out, shardSize });
  inProcess.push((performance.now() - t0) / 1000);
  if (r > 0) rmSync(out, { recursive: true });
}
const reference = readdirSync(join(root, 'local-0', 'shards')).map((f) =>
  readFileSync(join(root, 'local-0', 'shards', f)),
);
const freePort = () =>
  new Promise<number>((done) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => done(p));
    });
  });
const port = await freePort();
const redisUrl = `redis://127.0.0.1:${port}`;
const redis = spawn('redis-server', [
  '--port',
  String(port),
  '--bind',
  '127.0.0.1',
  '--save',
  '',
  '--appendonly',
  'no',
]);
children.push(redis);
await new Promise<void>((ready) => {
  let out = '';
  redis.stdout.on('data', (d) => {
    out += d;
    if (out.includes('Ready to accept connections')) ready();
  });
});
const queueRows: string[][] = [];
const queueTimes: Record<number, number> = {};
let identical = true;
for (const workers of [1, 2]) {
  const started: ChildProcess[] = [];
  for (let w = 0; w < workers; w++)
    started.push(
      (
        await spawnLine(
          [
            BIN,
            'worker',
            '--queue',
            redisUrl,
            '--queue-name',
            `bench-${workers}`,
            '--backend',
            backendName,
          ],
          /waiting for shard jobs/,
        )
      ).child,
    );
  const times: number[] = [];
  for (let r = 0; r < 3; r++) {
    const out = join(root, `queue-${workers}-${r}`);
    const t0 = performance.now();
    await label({ target: local, out, shardSize, queue: redisUrl, queueName: `bench-${workers}` });
    times.push((performance.now() - t0) / 1000);
    const bytes = readdirSync(join(out, 'shards')).map((f) => readFileSync(join(out, 'shards', f)));
    identical &&= bytes.every((b, i) => b.equals(reference[i]));
    rmSync(out, { recursive: true });
  }
  queueTimes[workers] = median(times);
  for (const c of started) c.kill('SIGTERM');
  log(`queue, ${workers} worker(s): ${median(times).toFixed(2)} s`);
}
const inProc = median(inProcess);
queueRows.push(
  ['in process', inProc.toFixed(2), (rows / inProc).toFixed(0), '1.00×'],
  [
    'queue, 1 worker',
    queueTimes[1].toFixed(2),
    (rows / queueTimes[1]).toFixed(0),
    `${(queueTimes[1] / inProc).toFixed(2)}×`,
  ],
  [
    'queue, 2 workers',
    queueTimes[2].toFixed(2),
    (rows / queueTimes[2]).toFixed(0),
    `${(queueTimes[2] / inProc).toFixed(2)}×`,
  ],
);
redis.kill('SIGTERM');

// --- 3. Resume after SIGKILL -----------------------------------------------------------------
const resumeDir = join(root, 'resume');
const cliArgs = [
  BIN,
  'label',
  '--teacher',
  teacherDir,
  '--train-limit',
  String(rows + 1),
  '--validation-size',
  '1',
  '--out',
  resumeDir,
  '--shard-size',
  String(shardSize),
  '--backend',
  backendName,
  '--json',
];
const runCli = (kill?: (child: ChildProcess) => void) =>
  new Promise<{ seconds: number; json?: { seconds: number; labelled: number } }>((done) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, cliArgs, { stdio: ['ignore', 'pipe', 'ignore'] });
    children.push(child);
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    kill?.(child);
    child.on('exit', () =>
      done({ seconds: (performance.now() - t0) / 1000, json: out ? JSON.parse(out) : undefined }),
    );
  });
const full = await runCli();
rmSync(resumeDir, { recursive: true });
const shardSeconds = full.json!.seconds / 20;
let lostSeconds = 0;
let publishedAtKill = 0;
const killed = await runCli((child) => {
  const timer = setInterval(() => {
    const dir = join(resumeDir, 'shards');
    if (!existsSync(dir)) return;
    const files = readdirSync(dir).filter((f) => f.endsWith('.bin'));
    if (files.length >= 10) {
      const last = Math.max(...files.map((f) => statSync(join(dir, f)).mtimeMs));
      child.kill('SIGKILL');
      lostSeconds = (Date.now() - last) / 1000; // work in progress since the last published shard
      publishedAtKill = files.length;
      clearInterval(timer);
    }
  }, 5);
});
const resumed = await runCli();
const resumeRows = [
  ['uninterrupted label run (wall, incl. start-up)', full.seconds.toFixed(2)],
  ['  of which labelling (20 shards)', full.json!.seconds.toFixed(2)],
  ['one shard', shardSeconds.toFixed(2)],
  [`killed after ${publishedAtKill} shards: work in progress lost`, lostSeconds.toFixed(2)],
  [`resumed run: ${resumed.json?.labelled} shards computed (wall)`, resumed.seconds.toFixed(2)],
  [
    'killed + resumed − uninterrupted (wall; includes a second start-up)',
    (killed.seconds + resumed.seconds - full.seconds).toFixed(2),
  ],
];
for (const c of children) c.kill('SIGKILL');
rmSync(root, { recursive: true, force: true });

const when = new Date().toISOString().slice(0, 16).replace('T', ' ');
const text =
  `Measured ${when} UTC on the shared 2-core machine (other agents were running: absolute numbers are noisy, ratios within one run are what to read); ${backend.description}.\n\n` +
  `KServe v2 loopback server (MLP 784-32-10) in its own process, 20 ms injected latency per request, ${perRequest} rows per request; labelling time only (connection and data loading excluded), median of 3 (1 at concurrency 1):\n\n` +
  renderTable(
    ['concurrency', 'requests', 'seconds', 'rows/s', 'speed-up', 'efficiency'],
    concurrencyRows,
  ) +
  `\n\nCPU-bound local teacher MLP 784-1200-1200-10, ${rows} MNIST rows in 20 shards of ${shardSize}, float16 store, median of 3 (workers started beforehand; the coordinator also opens the teacher and data):\n\n` +
  renderTable(['labelling', 'seconds', 'rows/s', 'time vs in process'], queueRows) +
  `\n\nShards from the queue byte-identical to the in-process store: ${identical ? 'yes' : 'NO'}. 2 workers vs 1: ${(queueTimes[1] / queueTimes[2]).toFixed(2)}× (goal ≥ 1.7×); queue overhead, 1 worker vs in process: ${((queueTimes[1] / inProc - 1) * 100).toFixed(0)}% (goal ≤ 10%).\n\n` +
  `Resume after SIGKILL (in-process \`distillery label\`, same teacher and data):\n\n` +
  renderTable(['', 'seconds'], resumeRows) +
  `\n\nGoal: time lost ≤ one shard — the work in progress lost was ${lostSeconds.toFixed(2)} s against ${shardSeconds.toFixed(2)} s per shard (${lostSeconds <= shardSeconds ? 'met' : 'not met'}); a resumed process also pays its start-up (loading TensorFlow.js, the teacher and the data) once more.\n`;
process.stdout.write(text);
const doc = 'docs/benchmarks.md';
const section = `<!-- label:start -->\n## Labelling: remote teachers, the queue, resume (\`npm run bench:label\`)\n\n\`\`\`\n${text}\`\`\`\n<!-- label:end -->\n`;
const current = existsSync(doc) ? readFileSync(doc, 'utf8') : '# Benchmarks\n';
writeFileSync(
  doc,
  current.includes('<!-- label:start -->')
    ? current.replace(/<!-- label:start -->[\s\S]*<!-- label:end -->\n/, section)
    : `${current.trimEnd()}\n\n${section}`,
);
process.exit(0);
