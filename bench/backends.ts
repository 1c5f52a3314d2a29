// Benchmark of the tfjs backends on the bench models (bench/models.ts): training throughput
// (median samples/s over several reps), effective GFLOP/s, the ratio to an OpenBLAS sgemm ceiling
// for the same GEMMs, and peak RSS. Each measurement runs in its own process (run-one.ts).
// Prints markdown tables and writes them, with date and machine, to docs/benchmarks.md.
// Usage: npm run bench [-- --models teacher-mlp,cnn] [--backends cpu,native-2] [--no-write]
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tf } from '../src/tf.ts';
import {
  nativeAvailable,
  nativeBlasConfig,
  nativeLoadError,
  registerNativeBackend,
} from '../src/backend/native/index.ts';
import { sgemmCeiling, type Ceiling } from './ceiling.ts';
import { benchModels, forwardFlops, trainingFlops, type BenchModel } from './models.ts';
import type { RunResult } from './run-one.ts';
import { benchArgs } from './args.ts';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');

interface BackendColumn {
  id: string; // --backends value
  label: string;
  backend: string; // run-one argument
  threads: number;
}

const allColumns: BackendColumn[] = [
  { id: 'cpu', label: 'cpu', backend: 'cpu', threads: 1 },
  { id: 'wasm', label: 'wasm (stock)', backend: 'wasm', threads: 1 },
  { id: 'wasm-patched', label: 'wasm (patched matmul)', backend: 'wasm-patched', threads: 1 },
  { id: 'native-1', label: 'native, 1 thread', backend: 'native', threads: 1 },
  { id: 'native-2', label: 'native, 2 threads', backend: 'native', threads: 2 },
];

const args = benchArgs(['models', 'backends'], ['no-write']);
const option = (name: string) => args.get(name);

function skipReason(column: BackendColumn): string | undefined {
  if (column.backend === 'native' && !nativeAvailable()) return nativeLoadError();
  if (column.backend === 'wasm-patched' && !existsSync(join(root, 'src/backend/wasm-patched.ts'))) {
    return 'src/backend/wasm-patched.ts not present';
  }
  return undefined;
}

/** The cpu backend needs ~100 s per CNN training step at batch 128: it trains on 16 instead. */
const cpuConvTrainingBatch = 16;

function measure(column: BackendColumn, model: BenchModel, mode: 'train' | 'infer'): RunResult {
  const hasConv = model.layers.some((l) => l.kind === 'conv');
  const batch =
    column.backend === 'cpu' && mode === 'train' && hasConv ? cpuConvTrainingBatch : model.batch;
  const args = [
    '--import',
    'tsx',
    join(here, 'run-one.ts'),
    column.backend,
    model.name,
    String(column.threads),
    mode,
    String(batch),
  ];
  const child = spawnSync(process.execPath, args, {
    cwd: root,
    encoding: 'utf8',
    timeout: 15 * 60 * 1000,
  });
  const line = child.stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(line) as RunResult;
  } catch {
    const error = `${child.stderr || line || `exit ${child.status}`}`.trim().split('\n')[0];
    return {
      backend: column.backend,
      model: model.name,
      mode,
      threads: column.threads,
      error,
    } as RunResult;
  }
}

const fmt = (x: number, digits = 0) =>
  x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

function table(
  model: BenchModel,
  results: [BackendColumn, RunResult | string][],
  ceilings: Ceiling[],
  mode: 'train' | 'infer',
): string {
  const ok = (id: string) =>
    results.find(([c, r]) => c.id === id && typeof r !== 'string' && !r.error)?.[1] as
      RunResult | undefined;
  const wasm = ok('wasm');
  const cpu = ok('cpu');
  const ratio = (r: RunResult, base: RunResult | undefined) =>
    base ? `${fmt(r.samplesPerSecond / base.samplesPerSecond, 1)}×` : '';
  const rows: string[] = [
    '| backend | samples/s | ms/step | GFLOP/s | of sgemm ceiling | vs cpu | vs wasm (stock) | peak RSS |',
    '|---|--:|--:|--:|--:|--:|--:|--:|',
  ];
  for (const [column, result] of results) {
    if (typeof result === 'string' || result.error) {
      const why = typeof result === 'string' ? result : result.error;
      rows.push(`| ${column.label} | n/a: ${why} | | | | | | |`);
      continue;
    }
    const atBatch = { ...model, batch: result.batch };
    const flops = mode === 'train' ? trainingFlops(atBatch) : forwardFlops(atBatch);
    const label =
      result.batch === model.batch ? column.label : `${column.label} (batch ${result.batch})`;
    const ceiling = ceilings.find((c) => c.threads === column.threads) ?? ceilings[0];
    const ceilingSamples = ceiling ? (model.batch * 1000) / ceiling.stepMs : undefined;
    rows.push(
      `| ${label} | ${fmt(result.samplesPerSecond)} | ${fmt(result.stepMs, 1)} | ` +
        `${fmt(flops / (result.stepMs / 1000) / 1e9, 1)} | ` +
        `${mode === 'train' && ceilingSamples ? `${fmt((100 * result.samplesPerSecond) / ceilingSamples)} %` : ''} | ` +
        `${ratio(result, cpu)} | ${ratio(result, wasm)} | ${fmt(result.peakRssMb)} MB |`,
    );
  }
  if (mode === 'train') {
    for (const c of ceilings) {
      rows.push(
        `| *OpenBLAS sgemm only, ${c.threads} thread${c.threads > 1 ? 's' : ''} (ceiling)* | ` +
          `*${fmt((model.batch * 1000) / c.stepMs)}* | *${fmt(c.stepMs, 1)}* | *${fmt(c.gflops, 1)}* | | | | |`,
      );
    }
  }
  return rows.join('\n');
}

async function main(): Promise<void> {
  const models = (option('models')?.split(',') ?? benchModels.map((m) => m.name)).map((name) => {
    const model = benchModels.find((m) => m.name === name);
    if (!model)
      throw new Error(
        `unknown model ${name}; choose from ${benchModels.map((m) => m.name).join(', ')}`,
      );
    return model;
  });
  const columns = option('backends')
    ? allColumns.filter((c) => option('backends')!.split(',').includes(c.id))
    : allColumns;
  const load = loadavg();
  const started = new Date();
  const sections: string[] = [];
  const haveNative = registerNativeBackend();

  const runs: { model: BenchModel; mode: 'train' | 'infer' }[] = models.map((model) => ({
    model,
    mode: 'train',
  }));
  // Stock wasm has no Conv2DBackpropFilter kernel, so it cannot train a CNN: compare inference too.
  for (const model of models)
    if (model.layers.some((l) => l.kind === 'conv')) runs.push({ model, mode: 'infer' });

  for (const { model, mode } of runs) {
    const ceilings =
      haveNative && mode === 'train' ? [1, 2].map((t) => sgemmCeiling(model, t)) : [];
    const results: [BackendColumn, RunResult | string][] = [];
    for (const column of columns) {
      const skip = skipReason(column);
      const result = skip ?? measure(column, model, mode);
      results.push([column, result]);
      const shown =
        typeof result === 'string'
          ? `skipped (${result})`
          : result.error
            ? `error: ${result.error}`
            : `${fmt(result.samplesPerSecond)} samples/s`;
      console.error(`${model.name} ${mode} ${column.label}: ${shown}`);
    }
    const title = `### ${model.description}${mode === 'infer' ? ' — inference (forward pass only)' : ' — training'}`;
    const flopsNote =
      mode === 'train'
        ? `${fmt(trainingFlops(model) / 1e9, 2)} GFLOP per training step (GEMMs only).`
        : 'Forward pass, batch 128.';
    sections.push(`${title}\n\n${flopsNote}\n\n${table(model, results, ceilings, mode)}`);
  }

  const machine =
    `${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, ${fmt(totalmem() / 2 ** 30)} GiB; ` +
    `Node ${process.version}; tfjs ${tf.version.tfjs}; ${nativeBlasConfig() ?? 'native addon not built'}`;
  const report = [
    '# Backend benchmarks',
    '',
    `Generated by \`npm run bench\` (bench/backends.ts) on ${started.toISOString().slice(0, 16).replace('T', ' ')} UTC.`,
    '',
    `Machine: ${machine}. Load average at start: ${load.map((l) => l.toFixed(2)).join(', ')}` +
      ` (other processes share these cores; compare ratios within one run).`,
    '',
    'Method: each cell is a fresh process that builds the model with tfjs-layers, trains it with',
    '`optimizer.minimize` on random data (fused Adam on native, `tf.train.adam` elsewhere), warms up',
    'two steps, then reports the median of 3–5 reps of ~1.5 s each. GFLOP/s counts only the GEMMs of',
    'a step (dense and im2col convolution: forward, weight gradient, input gradient except the first',
    'layer). The sgemm ceiling times exactly those GEMMs with plain `cblas_sgemm` from C: the speed a',
    'backend would reach if everything except matrix products were free. Peak RSS is the process',
    'maximum (includes Node and tfjs, ~150 MB).',
    '',
    ...sections.flatMap((s) => [s, '']),
    '### Notes',
    '',
    '- The wasm backend (stock or patched) has no `Conv2DBackpropFilter` kernel in tfjs 4.22, so it',
    '  cannot train a CNN at all; the CNN inference table compares forward passes instead.',
    `- cpu trains the CNN at batch ${cpuConvTrainingBatch} (about 100 s per step at 128), one timed step.`,
    '- native uses `max(1, cores / 2)` OpenBLAS threads unless told otherwise (`registerNativeBackend({',
    '  threads })` or `OPENBLAS_NUM_THREADS`); both columns are shown. A second thread only pays off on an',
    '  otherwise idle machine.',
    '',
  ].join('\n');

  console.log(report);
  if (!args.has('no-write')) {
    // The other benchmarks keep their sections after ours, between <!-- name:start --> markers.
    const doc = join(root, 'docs', 'benchmarks.md');
    const current = existsSync(doc) ? readFileSync(doc, 'utf8') : '';
    const others = current.search(/<!-- [\w-]+:start -->/);
    writeFileSync(doc, others < 0 ? report : `${report}\n${current.slice(others)}`);
    console.error('wrote docs/benchmarks.md');
  }
}

main().catch((e: Error) => {
  console.error(e.message);
  process.exit(1);
});
