// Text student training throughput, Distillery against PyTorch 1.13 on the same models and the same
// token ids in the same run (issue 9, "Speed"): embbag:3 (the SpamAssassin default), embbag:64, a
// Kim TextCNN and a BiGRU, batch 128, 128 tokens, SpamAssassin's 10,502-id vocabulary. Distillery
// trains with the library's own buildModel + trainModel (the loop `distill` runs: shuffled
// batches, Adam, the loss read every step) on the native backend (1 and 2 threads) and on cpu;
// PyTorch with scripts/reference/text_speed.py (1 and 2 threads; for embbag also nn.EmbeddingBag).
// Every cell is a fresh process; the contenders alternate within each round. PyTorch is skipped
// with a note when /usr/bin/python3 has no torch; native, when the addon is not built.
// Prints a markdown section and writes it into docs/benchmarks.md (<!-- text-speed -->).
// Usage: npm run bench:text -- [--models embbag-3,textcnn] [--rounds 1] [--python /usr/bin/python3]
//        [--no-write] [--profile]   (--profile: per-kernel time of Distillery's native step instead)
// Child mode (used by the bench itself): tsx bench/text-speed.ts child <backend> <arch> <threads>
//        <data dir> [profile]
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const torchScript = join(root, 'scripts', 'reference', 'text_speed.py');
const batch = 128;
const repMs = 1500;
/** Both sides train this long before timing (a step's own time when it is longer). */
const warmupMs = 3000;

interface TextBenchModel {
  name: string;
  arch: string;
  description: string;
  /** The cpu backend is minutes per step on convolutions and recurrences: only where it runs. */
  cpu: boolean;
  /** Part of issue 9's goal (≥ PyTorch's best): the embedding-bag and TextCNN students. */
  goal: boolean;
}

const textModels: TextBenchModel[] = [
  {
    name: 'embbag-3',
    arch: 'embbag:3',
    description: 'embbag:3 (default student)',
    cpu: true,
    goal: true,
  },
  { name: 'embbag-64', arch: 'embbag:64', description: 'embbag:64', cpu: true, goal: true },
  {
    name: 'textcnn',
    arch: 'textcnn:64:100:3-4-5',
    description: 'textcnn:64:100:3-4-5 (Kim 2014)',
    cpu: false,
    goal: true,
  },
  {
    name: 'bigru',
    arch: 'bigru:32:32',
    description: 'bigru:32:32 (not part of the goal)',
    cpu: false,
    goal: false,
  },
];

interface Contender {
  id: string;
  label: string;
  kind: 'native' | 'cpu' | 'torch';
  threads: number;
  /** PyTorch model variant: 'bag' = nn.EmbeddingBag (embbag models only). */
  variant?: 'bag';
}

const contenders: Contender[] = [
  { id: 'native-1', label: 'Distillery native, 1 thread', kind: 'native', threads: 1 },
  { id: 'torch-1', label: 'PyTorch, 1 thread', kind: 'torch', threads: 1 },
  {
    id: 'torch-bag-1',
    label: 'PyTorch nn.EmbeddingBag, 1 thread',
    kind: 'torch',
    threads: 1,
    variant: 'bag',
  },
  { id: 'native-2', label: 'Distillery native, 2 threads', kind: 'native', threads: 2 },
  { id: 'torch-2', label: 'PyTorch, 2 threads', kind: 'torch', threads: 2 },
  {
    id: 'torch-bag-2',
    label: 'PyTorch nn.EmbeddingBag, 2 threads',
    kind: 'torch',
    threads: 2,
    variant: 'bag',
  },
  { id: 'cpu-1', label: 'Distillery cpu (tfjs-backend-cpu)', kind: 'cpu', threads: 1 },
];

const applies = (c: Contender, m: TextBenchModel) =>
  (c.variant !== 'bag' || m.arch.startsWith('embbag')) && (c.kind !== 'cpu' || m.cpu);

interface Measured {
  reps: number[]; // samples/s per rep
  error?: string;
}

interface DataMeta {
  count: number;
  length: number;
  vocabulary: number;
  /** The token input spec (its tokenizer gives buildModel the vocabulary). */
  input: unknown;
  source: string;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
};
const fmt = (x: number, digits = 0) =>
  x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const firstLine = (text: string) => text.trim().split('\n')[0] ?? '';

// ---------------------------------------------------------------------------------------------
// Child: one Distillery measurement in a fresh process, one JSON line on stdout.

function readData(dir: string): { meta: DataMeta; x: Int32Array; y: Int32Array } {
  const meta = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8')) as DataMeta;
  const bytes = readFileSync(join(dir, 'tokens.bin'));
  const all = new Int32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
  const n = meta.count * meta.length;
  return { meta, x: all.slice(0, n), y: all.slice(n, n + meta.count) };
}

async function child(argv: string[]): Promise<void> {
  const [backend, arch, threadArg, dir, mode] = argv;
  const threads = Number(threadArg);
  const { tf } = await import('../src/tf.ts');
  const { selectBackend } = await import('../src/backend/index.ts');
  const { buildModel } = await import('../src/models/index.ts');
  const { trainModel, resolveOptimizer } = await import('../src/train/train-model.ts');
  await selectBackend(backend as 'native' | 'cpu', { threads });
  const { meta, x, y } = readData(dir);
  const model = await buildModel(arch, {
    inputShape: [meta.length],
    classes: 2,
    input: meta.input as never,
    seed: 1,
    dropout: 0,
  });
  const optimizer = resolveOptimizer({ name: 'adam', learningRate: 1e-3 });
  /** The first `steps` batches' worth of examples, the corpus repeated if it is too short. */
  const split = (steps: number) => {
    const count = steps * batch;
    const xs = new Int32Array(count * meta.length); // [count, length]
    const ys = new Int32Array(count); // [count]
    for (let i = 0; i < count; i++) {
      const from = i % meta.count;
      xs.set(x.subarray(from * meta.length, (from + 1) * meta.length), i * meta.length);
      ys[i] = y[from];
    }
    return { x: xs, y: ys, count };
  };
  const train = async (steps: number) => {
    const data = split(steps);
    const t0 = performance.now();
    await trainModel({ model, data, epochs: 1, batchSize: batch, optimizer, restoreBest: false });
    return performance.now() - t0;
  };
  // Warm-up (slots, pools, then V8's optimising JIT, which keeps speeding the step up over its
  // first seconds), then reps of ~1.5 s sized by the last warm-up step time.
  await train(1);
  let warmStepMs = await train(1);
  if (warmStepMs < warmupMs / 2) {
    const steps = Math.min(2000, Math.round(warmupMs / warmStepMs));
    warmStepMs = (await train(steps)) / steps;
  }
  const steps = Math.max(1, Math.min(60, Math.round(repMs / warmStepMs)));
  if (mode === 'profile') {
    const profile = await tf.profile(() => train(steps));
    const byKernel = new Map<
      string,
      { ms: number; calls: number; slowest: number; shapes: string }
    >();
    for (const k of profile.kernels) {
      const e = byKernel.get(k.name) ?? { ms: 0, calls: 0, slowest: 0, shapes: '' };
      const ms = Number(k.kernelTimeMs);
      e.ms += ms / steps;
      e.calls += 1 / steps;
      if (ms > e.slowest) {
        e.slowest = ms;
        const shapes = k.inputShapes.map((s) => `[${s ?? ''}]`).join(' ');
        e.shapes = shapes.length > 60 ? `${shapes.slice(0, 57)}…` : shapes;
      }
      byKernel.set(k.name, e);
    }
    const stepMs = (await train(steps)) / steps;
    const kernels = [...byKernel.entries()]
      .map(([name, e]) => ({ name, ms: e.ms, calls: e.calls, shapes: e.shapes }))
      .sort((a, b) => b.ms - a.ms);
    process.stdout.write(`${JSON.stringify({ stepMs, kernels })}\n`);
    return;
  }
  const reps = warmStepMs > 3000 ? 3 : 5;
  const repSamplesPerSecond: number[] = [];
  const before = tf.memory().numTensors;
  for (let r = 0; r < reps; r++) {
    const ms = await train(steps);
    repSamplesPerSecond.push((steps * batch * 1000) / ms);
  }
  if (tf.memory().numTensors !== before) throw new Error('tensor leak in the training loop');
  process.stdout.write(
    `${JSON.stringify({ samplesPerSecond: median(repSamplesPerSecond), repSamplesPerSecond })}\n`,
  );
}

// ---------------------------------------------------------------------------------------------
// Parent: data once, then every contender on every model in fresh processes.

/** SpamAssassin's training split, tokenized by the library's words tokenizer, written once. */
async function writeData(dir: string): Promise<DataMeta> {
  const { loadDataset } = await import('../src/data/index.ts');
  const { checkTokenizerSpec, vocabularySize } = await import('../src/text/tokenizer.ts');
  const data = await loadDataset({ dataset: 'spam-assassin', seed: 1, splits: ['train'] } as never);
  const input = data.spec.inputs[0];
  const tokenizer = (input.preprocessing as { tokenizer?: unknown }).tokenizer;
  const ids = data.train.x as Int32Array; // [count, length]
  const out = new Int32Array(ids.length + data.train.count);
  out.set(ids);
  out.set(data.train.y, ids.length);
  writeFileSync(join(dir, 'tokens.bin'), out);
  const meta: DataMeta = {
    count: data.train.count,
    length: data.inputShape[0],
    vocabulary: vocabularySize(checkTokenizerSpec(tokenizer)),
    input,
    source: data.source,
  };
  writeFileSync(join(dir, 'meta.json'), JSON.stringify(meta));
  return meta;
}

function parseResult(stdout: string, stderr: string, status: number | null): Measured {
  const line = stdout?.trim().split('\n').pop() ?? '';
  try {
    const result = JSON.parse(line) as { repSamplesPerSecond?: number[]; error?: string };
    if (result.error || !result.repSamplesPerSecond) return { reps: [], error: result.error };
    return { reps: result.repSamplesPerSecond };
  } catch {
    return { reps: [], error: firstLine(stderr || line || `exit ${status}`) };
  }
}

function runOnce(
  c: Contender,
  model: TextBenchModel,
  dir: string,
  meta: DataMeta,
  python: string,
): Measured {
  const threads = String(c.threads);
  const options = {
    cwd: root,
    encoding: 'utf8' as const,
    timeout: 10 * 60 * 1000,
    // Debian's torch multiplies with OpenBLAS, whose threads torch does not limit.
    env: { ...process.env, OPENBLAS_NUM_THREADS: threads, OMP_NUM_THREADS: threads },
  };
  const child =
    c.kind === 'torch'
      ? spawnSync(
          'nice',
          [
            python,
            torchScript,
            ...['--arch', model.arch, '--data', join(dir, 'tokens.bin')],
            ...['--count', String(meta.count), '--length', String(meta.length)],
            ...['--vocab', String(meta.vocabulary), '--batch', String(batch)],
            ...['--threads', threads, '--variant', c.variant ?? 'embedding'],
            ...['--warmup-seconds', String(warmupMs / 1000)],
          ],
          options,
        )
      : spawnSync(
          'nice',
          [
            process.execPath,
            '--import',
            'tsx',
            fileURLToPath(import.meta.url),
            'child',
            c.kind,
            model.arch,
            threads,
            dir,
          ],
          options,
        );
  return parseResult(child.stdout, child.stderr, child.status);
}

function table(results: Map<string, Measured | string>, model: TextBenchModel) {
  const rate = (id: string) => {
    const r = results.get(id);
    return typeof r === 'object' && r.reps.length ? median(r.reps) : undefined;
  };
  const best = (kinds: Contender['kind'][]) =>
    Math.max(0, ...contenders.filter((c) => kinds.includes(c.kind)).map((c) => rate(c.id) ?? 0));
  const bestTorch = best(['torch']);
  const bestOurs = best(['native', 'cpu']);
  const lines = ['| implementation | samples/s | ms/step | vs best PyTorch |', '|---|--:|--:|--:|'];
  for (const c of contenders.filter((c) => applies(c, model))) {
    const r = results.get(c.id);
    const samples = rate(c.id);
    if (samples === undefined) {
      const why = typeof r === 'string' ? `skipped: ${r}` : `n/a: ${r?.error ?? 'no result'}`;
      lines.push(`| ${c.label} | ${why} | | |`);
      continue;
    }
    lines.push(
      `| ${c.label} | ${fmt(samples)} | ${fmt((batch * 1000) / samples, 1)} | ` +
        `${bestTorch ? `${fmt(samples / bestTorch, 2)}×` : ''} |`,
    );
  }
  const verdict =
    bestTorch && bestOurs
      ? `${model.arch}: ${fmt(bestOurs)} vs ${fmt(bestTorch)} samples/s = ` +
        `${fmt(bestOurs / bestTorch, 2)}× (${bestOurs >= bestTorch ? 'met' : 'not met'})`
      : `${model.arch}: no comparison (one side did not run)`;
  return { rows: lines.join('\n'), verdict };
}

function torchProbe(python: string): { version?: string; skip?: string } {
  if (!existsSync(python)) return { skip: `${python} not found (apt install python3-torch)` };
  const probe = spawnSync(python, ['-c', 'import torch, numpy; print(torch.__version__)'], {
    encoding: 'utf8',
  });
  if (probe.status !== 0) return { skip: `${python} has no torch (apt install python3-torch)` };
  return { version: probe.stdout.trim() };
}

async function profileModels(models: TextBenchModel[], dir: string): Promise<void> {
  for (const model of models) {
    const run = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        fileURLToPath(import.meta.url),
        ...['child', 'native', model.arch, '1', dir, 'profile'],
      ],
      { cwd: root, encoding: 'utf8', env: { ...process.env, OPENBLAS_NUM_THREADS: '1' } },
    );
    const line = run.stdout.trim().split('\n').pop() ?? '';
    let parsed: {
      stepMs: number;
      kernels: { name: string; ms: number; calls: number; shapes: string }[];
    };
    try {
      parsed = JSON.parse(line);
    } catch {
      console.log(`${model.arch}: profile failed: ${firstLine(run.stderr || line)}`);
      continue;
    }
    const kernelMs = parsed.kernels.reduce((a, k) => a + k.ms, 0);
    console.log(
      `\n### ${model.arch}, native, 1 thread: ${fmt(parsed.stepMs, 1)} ms/step, ` +
        `kernels ${fmt(kernelMs, 1)} ms (the rest: tfjs dispatch, tape, layers, batching)\n`,
    );
    console.log(
      '| kernel | ms/step | calls/step | share of step | inputs of its slowest call |\n|---|--:|--:|--:|---|',
    );
    for (const k of parsed.kernels.filter((k) => k.ms >= 0.05 * (kernelMs / 100)).slice(0, 15))
      console.log(
        `| ${k.name} | ${fmt(k.ms, 2)} | ${fmt(k.calls)} | ${fmt((100 * k.ms) / parsed.stepMs, 1)} % | ${k.shapes} |`,
      );
  }
}

async function main(): Promise<void> {
  const { benchArgs } = await import('./args.ts');
  const args = benchArgs(['models', 'rounds', 'python'], ['no-write', 'profile']);
  const rounds = Number(args.get('rounds') ?? 1);
  /** Debian's python3-torch lives beside /usr/bin/python3 (the python3 on PATH may be another). */
  const python = args.get('python') ?? '/usr/bin/python3';
  const models = (args.get('models')?.split(',') ?? textModels.map((m) => m.name)).map((name) => {
    const model = textModels.find((m) => m.name === name);
    if (!model) {
      console.error(
        `unknown model ${name}; choose from ${textModels.map((m) => m.name).join(', ')}`,
      );
      process.exit(2);
    }
    return model;
  });
  const { nativeAvailable, nativeLoadError } = await import('../src/backend/native/index.ts');
  const dir = mkdtempSync(join(tmpdir(), 'distillery-text-speed-'));
  try {
    const meta = await writeData(dir);
    if (args.has('profile')) {
      if (!nativeAvailable())
        throw new Error(`--profile needs the native addon: ${nativeLoadError()}`);
      await profileModels(models, dir);
      return;
    }
    const load = loadavg();
    const started = new Date();
    const torch = torchProbe(python);
    const skips: Record<Contender['kind'], string | undefined> = {
      native: nativeAvailable() ? undefined : nativeLoadError(),
      cpu: undefined,
      torch: torch.skip,
    };
    const sections: string[] = [];
    const verdicts: string[] = [];
    const others: string[] = [];
    for (const model of models) {
      const results = new Map<string, Measured | string>();
      for (let round = 0; round < rounds; round++) {
        for (const c of contenders.filter((c) => applies(c, model))) {
          const skip = skips[c.kind];
          if (skip) {
            results.set(c.id, skip);
            continue;
          }
          const previous = results.get(c.id);
          if (typeof previous === 'object' && previous.error) continue;
          const m = runOnce(c, model, dir, meta, python);
          const reps = typeof previous === 'object' ? previous.reps : [];
          results.set(c.id, { reps: [...reps, ...m.reps], error: m.error });
          console.error(
            `${model.arch} ${c.label}: ${m.error ? `error: ${m.error}` : `${fmt(median(m.reps))} samples/s`}`,
          );
        }
      }
      const { rows, verdict } = table(results, model);
      (model.goal ? verdicts : others).push(verdict);
      sections.push(`### ${model.description}\n\n${rows}`);
    }
    const end = loadavg();
    const when = started.toISOString().slice(0, 16).replace('T', ' ');
    const markdown = [
      '## Text students against PyTorch (`npm run bench:text`, part of `npm run bench`)',
      '',
      `Measured ${when} UTC by bench/text-speed.ts on ${cpus().length} cores shared with other ` +
        `jobs (load average at start ${load.map((l) => l.toFixed(2)).join(', ')}; at the end ` +
        `${end.map((l) => l.toFixed(2)).join(', ')}): absolute speeds drift with the load, so ` +
        `read the ratios, all measured in this one run.`,
      '',
      `Same models and the same data on both sides: ${fmt(meta.count)} SpamAssassin training ` +
        `mails as token ids (the library's words tokenizer, ${meta.length} tokens, ` +
        `${fmt(meta.vocabulary)}-id vocabulary), 2 classes, batch ${batch}, shuffled batches, ` +
        `softmax cross-entropy, dense Adam 1e-3 (both sides update the whole embedding every ` +
        `step), the loss read every step. Distillery: \`buildModel\` + \`trainModel\` (the loop ` +
        `\`distill\` runs; native: fused Adam). ` +
        `${torch.skip ? `PyTorch: skipped (${torch.skip})` : `PyTorch ${torch.version} (Debian python3-torch, ${python})`}: ` +
        `scripts/reference/text_speed.py, \`torch.set_num_threads\` and \`OPENBLAS_NUM_THREADS\` ` +
        `set to the thread count; for embbag also \`nn.EmbeddingBag\` (PyTorch's fused bag). ` +
        `Each row is a fresh process under \`nice\`: ~3 s of warm-up steps (V8 keeps optimising the ` +
        `tfjs step over its first seconds: an embbag:3 rep right after two steps ran at a third ` +
        `of the later speed), then the median of 5 reps ` +
        `of ~1.5 s (3 when a step takes over 3 s; ${rounds} round${rounds > 1 ? 's' : ''}, ` +
        `implementations alternating). The cpu backend runs embbag only (its convolutions and ` +
        `recurrences take minutes per step).`,
      '',
      ...sections.flatMap((s) => [s, '']),
      `Goal (issue 9): at least PyTorch's throughput, each at its best thread setting, for the ` +
        `embedding-bag and TextCNN students — ${verdicts.join('; ')}.` +
        (others.length ? ` Outside the goal: ${others.join('; ')}.` : ''),
    ].join('\n');
    console.log(markdown);
    if (!args.has('no-write')) {
      const { writeDocSection } = await import('./doc.ts');
      writeDocSection('text-speed', markdown);
      console.error('wrote docs/benchmarks.md');
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === 'child') {
  child(process.argv.slice(3)).then(
    () => process.exit(0),
    (e: Error) => {
      process.stdout.write(`${JSON.stringify({ error: e.message.split('\n')[0] })}\n`);
      process.exit(0);
    },
  );
} else {
  main().catch((e: Error) => {
    console.error(e.message);
    process.exit(1);
  });
}
