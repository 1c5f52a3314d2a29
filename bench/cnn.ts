// CNN student training, Distillery's native backend against PyTorch 1.13 on the same model in the
// same run: `cnn:32-64:128` (as `--student-arch` builds it for image folders) on 32×32×3 and
// 64×64×3 random inputs, Adam, 1 and 2 threads each, plus the OpenBLAS sgemm ceiling of the step.
// Every cell is a fresh process (bench/run-one.ts, scripts/reference/cnn_train_bench.py); the
// implementations alternate within each round so that a change in machine load hits all of them.
// PyTorch is skipped with a note when /usr/bin/python3 has no torch; native, when the addon is
// not built. Prints a markdown section and writes it into docs/benchmarks.md (<!-- cnn -->).
// Usage: npm run bench:cnn -- [--models cnn-32,cnn-64] [--rounds 1] [--python /usr/bin/python3]
//        [--no-write]
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nativeAvailable, nativeLoadError } from '../src/backend/native/index.ts';
import { benchArgs } from './args.ts';
import { sgemmCeiling, type Ceiling } from './ceiling.ts';
import { writeDocSection } from './doc.ts';
import { cnnStudentModels, trainingFlops, type BenchModel } from './models.ts';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const torchScript = join(root, 'scripts', 'reference', 'cnn_train_bench.py');

interface Contender {
  id: string;
  label: string;
  kind: 'native' | 'torch';
  threads: number;
  channelsLast?: boolean;
}

const contenders: Contender[] = [
  { id: 'native-1', label: 'Distillery native, 1 thread', kind: 'native', threads: 1 },
  { id: 'torch-1', label: 'PyTorch NCHW, 1 thread', kind: 'torch', threads: 1 },
  {
    id: 'torch-cl-1',
    label: 'PyTorch channels_last, 1 thread',
    kind: 'torch',
    threads: 1,
    channelsLast: true,
  },
  { id: 'native-2', label: 'Distillery native, 2 threads', kind: 'native', threads: 2 },
  { id: 'torch-2', label: 'PyTorch NCHW, 2 threads', kind: 'torch', threads: 2 },
];

interface Measured {
  reps: number[]; // samples/s per rep
  error?: string;
}

const args = benchArgs(['models', 'rounds', 'python'], ['no-write']);
const rounds = Number(args.get('rounds') ?? 1);
/** Debian's python3-torch lives beside /usr/bin/python3 (the python3 on PATH may be another). */
const python = args.get('python') ?? '/usr/bin/python3';

function torchSkipReason(): string | undefined {
  if (!existsSync(python)) return `${python} not found (apt install python3-torch)`;
  const probe = spawnSync(python, ['-c', 'import torch; print(torch.__version__)'], {
    encoding: 'utf8',
  });
  if (probe.status !== 0) return `${python} has no torch (apt install python3-torch)`;
  torchVersion = probe.stdout.trim();
  return undefined;
}
let torchVersion = '';

const firstLine = (text: string) => text.trim().split('\n')[0] ?? '';

function runOnce(c: Contender, model: BenchModel): Measured {
  const threads = String(c.threads);
  const child =
    c.kind === 'native'
      ? spawnSync(
          'nice',
          [
            process.execPath,
            '--import',
            'tsx',
            join(here, 'run-one.ts'),
            'native',
            model.name,
            threads,
            'train',
          ],
          { cwd: root, encoding: 'utf8', timeout: 10 * 60 * 1000 },
        )
      : spawnSync(
          'nice',
          [
            python,
            torchScript,
            ...['--size', String(model.input[0]), '--channels', String(model.input[2])],
            ...['--filters', '32-64', '--dense', '128', '--batch', String(model.batch)],
            ...['--threads', threads],
            ...(c.channelsLast ? ['--channels-last'] : []),
          ],
          {
            cwd: root,
            encoding: 'utf8',
            timeout: 10 * 60 * 1000,
            // Debian's torch multiplies with OpenBLAS, whose threads torch does not limit.
            env: { ...process.env, OPENBLAS_NUM_THREADS: threads, OMP_NUM_THREADS: threads },
          },
        );
  const line = child.stdout?.trim().split('\n').pop() ?? '';
  try {
    const result = JSON.parse(line) as { repSamplesPerSecond?: number[]; error?: string };
    if (result.error || !result.repSamplesPerSecond) return { reps: [], error: result.error };
    return { reps: result.repSamplesPerSecond };
  } catch {
    return { reps: [], error: firstLine(child.stderr || line || `exit ${child.status}`) };
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
};
const fmt = (x: number, digits = 0) =>
  x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

function table(
  model: BenchModel,
  results: Map<string, Measured | string>,
  ceilings: Ceiling[],
): { rows: string; verdict: string } {
  const rate = (id: string) => {
    const r = results.get(id);
    return typeof r === 'object' && r.reps.length ? median(r.reps) : undefined;
  };
  const best = (kind: Contender['kind']) =>
    Math.max(0, ...contenders.filter((c) => c.kind === kind).map((c) => rate(c.id) ?? 0));
  const bestTorch = best('torch');
  const bestNative = best('native');
  const flops = trainingFlops(model);
  const lines = [
    '| implementation | samples/s | ms/step | GFLOP/s | of sgemm ceiling | vs best PyTorch |',
    '|---|--:|--:|--:|--:|--:|',
  ];
  for (const c of contenders) {
    const r = results.get(c.id);
    const samples = rate(c.id);
    if (samples === undefined) {
      const why = typeof r === 'string' ? `skipped: ${r}` : `n/a: ${r?.error ?? 'no result'}`;
      lines.push(`| ${c.label} | ${why} | | | | |`);
      continue;
    }
    const stepMs = (model.batch * 1000) / samples;
    const ceiling = ceilings.find((x) => x.threads === c.threads);
    lines.push(
      `| ${c.label} | ${fmt(samples)} | ${fmt(stepMs, 1)} | ${fmt(flops / stepMs / 1e6, 1)} | ` +
        `${ceiling ? `${fmt((100 * ceiling.stepMs) / stepMs)} %` : ''} | ` +
        `${bestTorch ? `${fmt(samples / bestTorch, 2)}×` : ''} |`,
    );
  }
  for (const c of ceilings) {
    lines.push(
      `| *OpenBLAS sgemm only, ${c.threads} thread${c.threads > 1 ? 's' : ''} (ceiling)* | ` +
        `*${fmt((model.batch * 1000) / c.stepMs)}* | *${fmt(c.stepMs, 1)}* | *${fmt(c.gflops, 1)}* | | |`,
    );
  }
  const verdict =
    bestTorch && bestNative
      ? `${model.input.join('×')}: best Distillery ${fmt(bestNative)} samples/s vs best PyTorch ` +
        `${fmt(bestTorch)} = ${fmt(bestNative / bestTorch, 2)}× ` +
        `(goal ≥ 1×: ${bestNative >= bestTorch ? 'met' : 'not met'})`
      : `${model.input.join('×')}: no comparison (one side did not run)`;
  return { rows: lines.join('\n'), verdict };
}

async function main(): Promise<void> {
  const models = (args.get('models')?.split(',') ?? cnnStudentModels.map((m) => m.name)).map(
    (name) => {
      const model = cnnStudentModels.find((m) => m.name === name);
      if (!model) {
        const known = cnnStudentModels.map((m) => m.name).join(', ');
        throw new Error(`unknown model ${name}; choose from ${known}`);
      }
      return model;
    },
  );
  const load = loadavg();
  const started = new Date();
  const skips = {
    native: nativeAvailable() ? undefined : nativeLoadError(),
    torch: torchSkipReason(),
  };
  const sections: string[] = [];
  const verdicts: string[] = [];
  for (const model of models) {
    const ceilings = skips.native ? [] : [1, 2].map((t) => sgemmCeiling(model, t));
    const results = new Map<string, Measured | string>();
    for (let round = 0; round < rounds; round++) {
      for (const c of contenders) {
        const skip = skips[c.kind];
        if (skip) {
          results.set(c.id, skip);
          continue;
        }
        const previous = results.get(c.id);
        if (typeof previous === 'object' && previous.error) continue;
        const m = runOnce(c, model);
        const reps = typeof previous === 'object' ? previous.reps : [];
        results.set(c.id, { reps: [...reps, ...m.reps], error: m.error });
        console.error(
          `${model.name} ${c.label}: ${m.error ? `error: ${m.error}` : `${fmt(median(m.reps))} samples/s`}`,
        );
      }
    }
    const { rows, verdict } = table(model, results, ceilings);
    verdicts.push(verdict);
    sections.push(
      `### ${model.description} — training\n\n` +
        `${fmt(trainingFlops(model) / 1e9, 2)} GFLOP per training step (GEMMs only).\n\n${rows}`,
    );
  }
  const when = started.toISOString().slice(0, 16).replace('T', ' ');
  const markdown = [
    '## CNN students against PyTorch (`npm run bench:cnn`, part of `npm run bench`)',
    '',
    `Measured ${when} UTC by bench/cnn.ts on ${cpus().length} cores shared with other jobs ` +
      `(load average at start: ${load.map((l) => l.toFixed(2)).join(', ')}): absolute speeds ` +
      `drift with the load, so read the ratios, all measured in this one run.`,
    '',
    `Same model on both sides: \`cnn:32-64:128\` as \`--student-arch\` builds it (3×3 'same' ` +
      `convolutions with ReLU, 2×2 max pools, dense 128 ReLU, 10 logits), softmax cross-entropy, ` +
      `Adam 1e-3, random inputs (speed depends on shapes only). Distillery: tfjs-layers on the ` +
      `native backend (NHWC, fused Adam), bench/run-one.ts. ` +
      `${skips.torch ? `PyTorch: skipped (${skips.torch})` : `PyTorch ${torchVersion} (Debian python3-torch, ${python})`}: ` +
      `scripts/reference/cnn_train_bench.py, NCHW and channels_last, \`torch.set_num_threads\` and \`OPENBLAS_NUM_THREADS\` set to the thread count. ` +
      `Each row is a fresh process: two warm-up steps, then the median of 5 reps of ~1.5 s ` +
      `(${rounds} round${rounds > 1 ? 's' : ''}, implementations alternating). GFLOP/s counts the GEMMs ` +
      `of a step only (forward, weight and input gradients; im2col convolutions).`,
    '',
    ...sections.flatMap((s) => [s, '']),
    `Goal (issue 8): at least PyTorch's throughput, each at its best thread setting — ${verdicts.join('; ')}.`,
  ].join('\n');
  console.log(markdown);
  if (!args.has('no-write')) {
    writeDocSection('cnn', markdown);
    console.error('wrote docs/benchmarks.md');
  }
}

main().catch((e: Error) => {
  console.error(e.message);
  process.exit(1);
});
