// One benchmark measurement in a fresh process (so peak RSS and backend state are its own):
// trains `model` on `backend` (or, with mode `infer`, runs its forward pass) on random data for a
// while and prints one JSON line. Random data: throughput depends on shapes only.
// Usage: tsx bench/run-one.ts <cpu|wasm|wasm-patched|native> <model> <threads> [train|infer] [batch]
import type { Optimizer, Scalar, Tensor, Variable } from '@tensorflow/tfjs';
import { tf } from '../src/tf.ts';
import { buildModel, findBenchModel } from './models.ts';

export interface RunResult {
  backend: string;
  model: string;
  mode: 'train' | 'infer';
  threads: number;
  batch: number;
  samplesPerSecond: number; // median over reps
  repSamplesPerSecond: number[];
  stepMs: number; // median
  peakRssMb: number;
  error?: string;
}

const [backend, modelName, threadArg, modeArg, batchArg] = process.argv.slice(2);
const threads = Number(threadArg ?? 1);
const mode = modeArg === 'infer' ? 'infer' : 'train';
const found = findBenchModel(modelName);
if (!found) throw new Error(`unknown model ${modelName}`);
const model = batchArg ? { ...found, batch: Number(batchArg) } : found;

async function setup(): Promise<() => Optimizer> {
  if (backend === 'native') {
    const native = await import('../src/backend/native/index.ts');
    if (!native.registerNativeBackend({ threads })) throw new Error(native.nativeLoadError());
    await tf.setBackend('native');
    return () => native.createFusedAdam({ learningRate: 1e-3 });
  }
  if (backend === 'wasm' || backend === 'wasm-patched') {
    await import('@tensorflow/tfjs-backend-wasm');
    if (!(await tf.setBackend('wasm'))) throw new Error('wasm backend failed to initialise');
    if (backend === 'wasm-patched') {
      const { patchWasmMatMul } = await import('../src/backend/wasm-patched.ts');
      patchWasmMatMul();
    }
  } else {
    await tf.setBackend('cpu');
  }
  return () => tf.train.adam(1e-3);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

async function run(): Promise<RunResult> {
  const makeOptimizer = await setup();
  await tf.ready();
  const net = buildModel(model);
  const xs = tf.randomNormal([model.batch, ...model.input]); // [batch, ...input]
  const labels = tf.oneHot(tf.randomUniform([model.batch], 0, 10, 'int32'), 10); // [batch, 10]
  const optimizer = makeOptimizer();
  const variables = net.trainableWeights.map((w) => w.read() as Variable);
  const step =
    mode === 'infer'
      ? () => tf.tidy(() => void (net.predict(xs, { batchSize: model.batch }) as Tensor).dataSync())
      : () =>
          tf.tidy(() => {
            const loss = () =>
              tf.losses.softmaxCrossEntropy(labels, net.apply(xs) as Tensor) as Scalar;
            optimizer.minimize(loss, false, variables);
          });
  // Warm-up (slot variables, pools, JIT), then size each rep to ~1.5 s of training; very slow
  // configurations (cpu convolutions) get one warm-up step and one timed step.
  let t0 = performance.now();
  step();
  let warmStepMs = performance.now() - t0;
  if (warmStepMs < 10_000) {
    t0 = performance.now();
    step();
    warmStepMs = performance.now() - t0;
  }
  const stepsPerRep = Math.max(1, Math.min(30, Math.round(1500 / warmStepMs)));
  const reps = warmStepMs > 10_000 ? 1 : warmStepMs > 3000 ? 3 : 5;
  const repSamplesPerSecond: number[] = [];
  const stepMs: number[] = [];
  for (let r = 0; r < reps; r++) {
    const start = performance.now();
    for (let s = 0; s < stepsPerRep; s++) step();
    const ms = (performance.now() - start) / stepsPerRep;
    stepMs.push(ms);
    repSamplesPerSecond.push((model.batch * 1000) / ms);
  }
  if (warmStepMs < 10_000) {
    const numTensors = tf.memory().numTensors;
    step();
    if (tf.memory().numTensors !== numTensors) throw new Error('tensor leak in the training step');
  }
  optimizer.dispose();
  return {
    backend,
    model: model.name,
    mode,
    threads,
    batch: model.batch,
    samplesPerSecond: median(repSamplesPerSecond),
    repSamplesPerSecond,
    stepMs: median(stepMs),
    peakRssMb: process.resourceUsage().maxRSS / 1024,
  };
}

run()
  .then((result) => {
    process.stdout.write(`${JSON.stringify(result)}\n`);
    process.exit(0); // wasm keeps handles open
  })
  .catch((e: Error) => {
    const error = e.message.split('\n')[0];
    process.stdout.write(
      `${JSON.stringify({ backend, model: modelName, mode, threads, error })}\n`,
    );
    process.exit(0);
  });
