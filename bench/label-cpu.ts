// A targeted check of labelling against a loopback KServe v2 server (bench/label.ts --serve, its
// own process) with 20 ms injected latency: rows/s and the CPU time per request on each side — the
// client (this process: JSON encoding, HTTP, decoding) and the server (read from /proc) — at a few
// concurrencies, so a shortfall against the ideal can be put on the side that spends the time.
// Prints lines; writes nothing. Linux only (/proc). The findings are in docs/benchmarks.md.
// Usage: tsx bench/label-cpu.ts [--latency 20] [--concurrency 1,16,64] [--requests 512]
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { selectBackend } from '../src/backend/index.ts';
import { labelInProcess } from '../src/labels/job.ts';
import { openTarget } from '../src/labels/target.ts';
import { benchArgs } from './args.ts';

const args = benchArgs(['latency', 'concurrency', 'requests']);
const latency = args.get('latency') ?? '20';
const concurrencies = (args.get('concurrency') ?? '1,16,64').split(',').map(Number);
const maxRequests = Number(args.get('requests') ?? 512);
const perRequest = 4;

await selectBackend('cpu', { threads: 1 });
const server = spawn(
  process.execPath,
  ['--import', 'tsx', join(import.meta.dirname, 'label.ts'), '--serve', latency],
  { stdio: ['ignore', 'pipe', 'inherit'] },
);
process.on('exit', () => server.kill('SIGKILL'));
const url = await new Promise<string>((ready) => {
  let out = '';
  server.stdout!.on('data', (d) => {
    out += d;
    const m = /http:\/\/127\.0\.0\.1:\d+/.exec(out);
    if (m) ready(m[0]);
  });
});
/** The server process's CPU time so far, ms (utime + stime at 100 ticks/s). */
const serverCpuMs = () => {
  const fields = readFileSync(`/proc/${server.pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
};
const root = mkdtempSync(join(tmpdir(), 'distillery-label-cpu-'));
for (const concurrency of concurrencies) {
  const requests = concurrency === 1 ? 64 : maxRequests;
  const rows = requests * perRequest;
  const opened = await openTarget({
    teacher: {
      spec: `${url}/v2/models/mnist`,
      settings: { batchSize: perRequest, concurrency, timeoutMs: 120_000 },
    },
    rows: {
      kind: 'dataset',
      split: 'train',
      ref: { dataset: 'mnist', trainLimit: rows + 1, validationSize: 1, seed: 1 },
    },
  });
  for (let rep = 0; rep < 3; rep++) {
    const dir = join(root, `${concurrency}-${rep}`);
    const client0 = process.cpuUsage();
    const server0 = serverCpuMs();
    const t0 = performance.now();
    await labelInProcess({ ...opened, dir, dtype: 'float16', shardSize: rows, chunk: rows });
    const wall = performance.now() - t0;
    const used = process.cpuUsage(client0);
    const client = (used.user + used.system) / 1000;
    const serverMs = serverCpuMs() - server0;
    rmSync(dir, { recursive: true });
    if (rep === 0) continue; // warm-up
    process.stdout.write(
      `concurrency ${concurrency}: ${((rows / wall) * 1000).toFixed(0)} rows/s; CPU per request: client ${(client / requests).toFixed(2)} ms, server ${(serverMs / requests).toFixed(2)} ms; cores busy ${((client + serverMs) / wall).toFixed(2)}\n`,
    );
  }
  await opened.teacher.dispose();
}
rmSync(root, { recursive: true, force: true });
process.exit(0);
