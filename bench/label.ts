// `npm run bench:label`: labelling throughput. (1) A KServe v2 loopback server (its own process)
// with 20 ms injected latency: rows/s at client concurrency 1 / 4 / 16 / 64, against the ideal
// min(c × the rate at 1, the server's ceiling measured with no latency), with tensors as JSON and
// as raw bytes (the binary tensor data extension). (2) A CPU-bound local
// teacher (MLP 784-1200-1200-10): labelling in process, on the queue with 1 worker and with 2
// workers (queue overhead, scaling). Every process runs its backend on 1 thread (2 workers × 2
// threads would oversubscribe 2 cores), each worker runs in its own session (autogroup scheduling
// gives one session one CPU share, whatever its process count), each mode has an untimed warm-up
// run, and the time is the labelling phase — from the store being opened to its last shard — so
// the serial part every mode shares (loading TensorFlow.js, the teacher and the data in the
// coordinator) does not hide the workers' scaling; the wall time including it is shown too.
// (3) Resume after SIGKILL: the work in progress lost, against one shard's time. Writes its tables
// into docs/benchmarks.md between label markers, with the load average while it ran.
// Usage: npm run bench:label -- [--backend auto] [--rows 50000] [--requests 256]
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
import { loadavg, tmpdir } from 'node:os';
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
import { benchArgs } from './args.ts';

const args = benchArgs(['serve', 'binary', 'backend', 'rows', 'requests']);

// Server mode: the teacher server runs in its own process, as a real one would.
if (args.get('serve') !== undefined) {
  await tf.setBackend('cpu');
  const model = createMlp({ inputShape: [28, 28, 1], hidden: [32], classes: 10, seed: 1 });
  const server = await startKServeServer(model, {
    latencyMs: Number(args.get('serve')),
    binaryTensors: args.get('binary') === '1',
  });
  process.stdout.write(`${server.url}\n`);
  await new Promise(() => {});
}

// One thread per process, inherited by the workers and CLI runs this spawns (OpenBLAS reads it).
process.env.OPENBLAS_NUM_THREADS = '1';
const backendName = (args.get('backend') ?? 'auto') as BackendName;
const backend = await selectBackend(backendName, { threads: 1 });
const loadBefore = loadavg();
const root = mkdtempSync(join(tmpdir(), 'distillery-bench-label-'));
const BIN = join(import.meta.dirname, '../bin/distillery.mjs');
const children: ChildProcess[] = [];
process.on('exit', () => children.forEach((c) => c.kill('SIGKILL')));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const log = (m: string) => process.stderr.write(`${m}\n`);

function spawnLine(
  cmd: string[],
  until: RegExp,
  options: { ownSession?: boolean } = {},
): Promise<{ child: ChildProcess; line: string }> {
  const child = spawn(process.execPath, cmd, {
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: options.ownSession ?? false,
  });
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
const startServer = async (latencyMs: number, binary: boolean) =>
  (
    await spawnLine(
      [
        '--import',
        'tsx',
        join(import.meta.dirname, 'label.ts'),
        '--serve',
        String(latencyMs),
        '--binary',
        binary ? '1' : '0',
      ],
      /http:\/\/127\.0\.0\.1:\d+/,
      { ownSession: true }, // a server of its own, as on another machine
    )
  ).line;
const mnistRows = (n: number): LabelTarget['rows'] => ({
  kind: 'dataset',
  split: 'train',
  ref: { dataset: 'mnist', trainLimit: n + 1, validationSize: 1, seed: 1 },
});
/** Rows/s labelling n rows at `concurrency` against `url`: median of 3 after a warm-up. */
async function httpRate(url: string, concurrency: number, n: number) {
  // Teacher and rows opened beforehand, so only labelling is timed.
  const { teacher, rows: labelRows } = await openTarget({
    teacher: {
      spec: `${url}/v2/models/mnist`,
      settings: { batchSize: perRequest, concurrency, timeoutMs: 120_000 },
    },
    rows: mnistRows(n),
  });
  const times: number[] = [];
  for (let r = 0; r < 4; r++) {
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
    if (r > 0) times.push((performance.now() - t0) / 1000); // run 0 warms up
    rmSync(out, { recursive: true });
  }
  return { seconds: median(times), rate: n / median(times) };
}
// Per transport (tensors as JSON, or as raw bytes in the binary extension, which the server then
// lists): the ceiling with no latency, the best of concurrency 8, 16 and 64 (too many in flight
// can cost too), then the sweep against the 20 ms server.
const ceilingRequests = Math.min(maxRequests, 256);
const concurrencyRows: string[][] = [];
const ceilings: Record<string, number> = {};
const ofIdeal16: Record<string, number> = {};
for (const transport of ['json', 'binary'] as const) {
  const ceilingUrl = await startServer(0, transport === 'binary');
  let ceiling = 0;
  for (const c of [8, 16, 64])
    ceiling = Math.max(ceiling, (await httpRate(ceilingUrl, c, ceilingRequests * perRequest)).rate);
  ceilings[transport] = ceiling;
  log(
    `${transport}: server ceiling (no latency, concurrency 8, 16 or 64): ${ceiling.toFixed(0)} rows/s`,
  );
  const url = await startServer(20, transport === 'binary');
  let base = 0;
  for (const concurrency of [1, 4, 16, 64]) {
    // Enough requests for a few rounds at this concurrency.
    const n = Math.min(maxRequests, Math.max(64, concurrency * 8)) * perRequest;
    const { seconds, rate } = await httpRate(url, concurrency, n);
    if (concurrency === 1) base = rate;
    const ideal = Math.min(base * concurrency, ceiling);
    if (concurrency === 16) ofIdeal16[transport] = rate / ideal;
    concurrencyRows.push([
      transport,
      String(concurrency),
      String(n / perRequest),
      seconds.toFixed(2),
      rate.toFixed(0),
      `${(rate / base).toFixed(2)}×`,
      ceiling.toFixed(0),
      ideal.toFixed(0),
      `${((rate / ideal) * 100).toFixed(0)}%`,
    ]);
    log(
      `${transport} concurrency ${concurrency}: ${rate.toFixed(0)} rows/s (ideal ${ideal.toFixed(0)})`,
    );
  }
}

// --- 2. A CPU-bound local teacher: in process, queue with 1 and 2 workers --------------------
const rows = Number(args.get('rows') ?? 50000);
const shardSize = Math.ceil(rows / 20);
const teacherDir = join(root, 'teacher');
const big = createMlp({ inputShape: [28, 28, 1], hidden: [1200, 1200], classes: 10, seed: 1 });
await saveModel(big, teacherDir);
big.dispose();
const local: LabelTarget = { teacher: { spec: teacherDir }, rows: mnistRows(rows) };
/** One label job: its wall time, and its labelling phase (store opened → last shard). */
async function timedLabel(options: Omit<Parameters<typeof label>[0], 'target' | 'shardSize'>) {
  const t0 = performance.now();
  let opened = t0;
  await label({
    ...options,
    target: local,
    shardSize,
    onInfo: (m) => void (m.startsWith('store ') && (opened = performance.now())),
  });
  const t1 = performance.now();
  return { wall: (t1 - t0) / 1000, labelling: (t1 - opened) / 1000 };
}
type Timed = { wall: number; labelling: number };
const medians = (runs: Timed[]): Timed => ({
  wall: median(runs.map((r) => r.wall)),
  labelling: median(runs.map((r) => r.labelling)),
});
const inProcessRuns: Timed[] = [];
for (let r = 0; r < 4; r++) {
  const out = join(root, `local-${r}`);
  const timed = await timedLabel({ out });
  if (r > 0) inProcessRuns.push(timed); // run 0 warms up (and is the reference store)
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
const queueTimes: Record<number, Timed> = {};
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
            '--threads',
            '1',
          ],
          /waiting for shard jobs/,
          // Each worker in its own session, as a service or another machine's would be: with the
          // kernel's autogroup scheduling (on here) all processes of one session share one CPU
          // share, so two workers started in the bench's session could never beat one.
          { ownSession: true },
        )
      ).child,
    );
  const runs: Timed[] = [];
  for (let r = 0; r < 4; r++) {
    const out = join(root, `queue-${workers}-${r}`);
    // Run 0 warms up: each worker opens the teacher and data on its first job.
    const timed = await timedLabel({ out, queue: redisUrl, queueName: `bench-${workers}` });
    if (r > 0) runs.push(timed);
    const bytes = readdirSync(join(out, 'shards')).map((f) => readFileSync(join(out, 'shards', f)));
    identical &&= bytes.every((b, i) => b.equals(reference[i]));
    rmSync(out, { recursive: true });
  }
  queueTimes[workers] = medians(runs);
  for (const c of started) c.kill('SIGTERM');
  log(`queue, ${workers} worker(s): ${queueTimes[workers].labelling.toFixed(2)} s labelling`);
}
const inProc = medians(inProcessRuns);
const queueRows = (
  [
    ['in process', inProc],
    ['queue, 1 worker', queueTimes[1]],
    ['queue, 2 workers', queueTimes[2]],
  ] as const
).map(([name, t]) => [
  name,
  t.labelling.toFixed(2),
  (rows / t.labelling).toFixed(0),
  `${(t.labelling / inProc.labelling).toFixed(2)}×`,
  t.wall.toFixed(2),
]);
const scaling = queueTimes[1].labelling / queueTimes[2].labelling;
const overhead = queueTimes[1].labelling / inProc.labelling - 1;
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
// One shard's time, from the uninterrupted run's publishing times (start-up excluded).
const mtimes = readdirSync(join(resumeDir, 'shards'))
  .filter((f) => f.endsWith('.bin'))
  .map((f) => statSync(join(resumeDir, 'shards', f)).mtimeMs)
  .sort((a, b) => a - b);
const shardSeconds = (mtimes.at(-1)! - mtimes[0]) / (mtimes.length - 1) / 1000;
rmSync(resumeDir, { recursive: true });
let lostSeconds = 0;
let publishedAtKill = 0;
// The kill lands mid-shard (half a shard after the 10th was published), not on a boundary.
const killed = await runCli((child) => {
  const dir = join(resumeDir, 'shards');
  const published = () =>
    existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.bin')) : [];
  const timer = setInterval(() => {
    if (published().length < 10) return;
    clearInterval(timer);
    setTimeout(() => {
      const files = published();
      const last = Math.max(...files.map((f) => statSync(join(dir, f)).mtimeMs));
      child.kill('SIGKILL');
      lostSeconds = (Date.now() - last) / 1000; // work in progress since the last published shard
      publishedAtKill = files.length;
    }, shardSeconds * 500);
  }, 5);
});
const resumed = await runCli();
const resumeRows = [
  ['uninterrupted label run (wall, incl. start-up)', full.seconds.toFixed(2)],
  ['  of which labelling (20 shards)', full.json!.seconds.toFixed(2)],
  ['one shard (between publishing times)', shardSeconds.toFixed(2)],
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
const loadAfter = loadavg();
const load = (l: number[]) => l.map((v) => v.toFixed(1)).join(' / ');
const text =
  `Measured ${when} UTC on the shared 2-core machine (other agents were running: absolute numbers are noisy, ratios within one run are what to read); ${backend.description}, 1 thread per process. Load average (1 / 5 / 15 min) ${load(loadBefore)} at the start, ${load(loadAfter)} at the end.\n\n` +
  `KServe v2 loopback server (MLP 784-32-10) in its own process and session, 20 ms injected latency per request, ${perRequest} rows per request; labelling time only (connection and data loading excluded), median of 3 after a warm-up. Tensors as JSON, then as raw FP32 bytes (the binary tensor data extension, which this server then lists in GET /v2, as Triton does). Ideal = min(concurrency × the rate at 1, the ceiling); the ceiling is the same server with no latency (best of concurrency 8, 16 and 64, ${ceilingRequests} requests); client and server share the 2 cores:\n\n` +
  renderTable(
    [
      'tensors',
      'concurrency',
      'requests',
      'seconds',
      'rows/s',
      'speed-up',
      'ceiling rows/s',
      'ideal rows/s',
      'of ideal',
    ],
    concurrencyRows,
  ) +
  `\n\nAt concurrency 16: ${(ofIdeal16.json * 100).toFixed(0)}% of ideal with JSON, ${(ofIdeal16.binary * 100).toFixed(0)}% with binary tensors (ceilings ${ceilings.json.toFixed(0)} and ${ceilings.binary.toFixed(0)} rows/s).` +
  `\n\nCPU-bound local teacher MLP 784-1200-1200-10, ${rows} MNIST rows in 20 shards of ${shardSize}, float16 store, median of 3 after a warm-up (workers started beforehand, each in its own session: with autogroup scheduling, on here, the processes of one session share one CPU share). Labelling = from the store opened to its last shard; wall = the whole label() call, including the coordinator loading TensorFlow.js's kernels, the teacher and the data:\n\n` +
  renderTable(['labelling', 'seconds', 'rows/s', 'time vs in process', 'wall seconds'], queueRows) +
  `\n\nShards from the queue byte-identical to the in-process store: ${identical ? 'yes' : 'NO'}. 2 workers vs 1: ${scaling.toFixed(2)}× (goal ≥ 1.7×: ${scaling >= 1.7 ? 'met' : 'not met'}); queue overhead, 1 worker vs in process: ${(overhead * 100).toFixed(0)}% (goal ≤ 10%: ${overhead <= 0.1 ? 'met' : 'not met'}).\n\n` +
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
