// Teacher labelling throughput: the PyTorch-made ONNX teacher (test/fixtures/mnist-cnn.onnx, a
// CNN on 32×32 RGB with ImageNet mean/std, NCHW) through onnxTeacher (onnxruntime-node) against
// the same architecture as a tfjs Layers teacher (cnn:8-16:32 on 32×32×3, NHWC) on the given
// backend (auto: native if built, else wasm), in the same run. Both are fed the same MNIST
// 28×28×1 batches and adapt them the same way (resize, gray → RGB, mean/std; in tfjs on the
// backend); batch sizes 32 / 128 / 512, median of several passes over the rows, one thread each.
// Skipped with a note when onnxruntime-node is missing. Writes docs/benchmarks.md (<!-- onnx -->).
// Usage: npm run bench:onnx -- [--backend auto] [--rows 2048] [--reps 3] [--batches 32,128,512]
//        [--no-write]
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { tf, type Tensor } from '../src/tf.ts';
import { featuresAsFloat, loadMnist, primaryInput } from '../src/data/index.ts';
import { createCnn } from '../src/models/index.ts';
import { createAdapter, resolveTeacherInput } from '../src/teachers/adapt.ts';
import { loadOnnxRuntime, onnxTeacher } from '../src/teachers/onnx.ts';
import type { Teacher } from '../src/teachers/teacher.ts';
import { selectBackend, type BackendName } from '../src/backend/index.ts';
import { renderTable } from '../src/report/table.ts';
import { benchArgs } from './args.ts';
import { writeDocSection } from './doc.ts';

const args = benchArgs(['backend', 'rows', 'reps', 'batches'], ['no-write']);
const backend = await selectBackend((args.get('backend') ?? 'auto') as BackendName, {
  threads: 1,
});
const rows = Number(args.get('rows') ?? 2048);
const reps = Number(args.get('reps') ?? 3);
const batchSizes = (args.get('batches') ?? '32,128,512').split(',').map(Number);
const load = loadavg();
const started = new Date();

const title =
  '## Teacher labelling: ONNX against tfjs Layers (`npm run bench:onnx`, part of `npm run bench`)';
const writeDoc = (text: string) => {
  if (!args.has('no-write')) writeDocSection('onnx', `${title}\n\n\`\`\`\n${text}\`\`\``);
};
// Without onnxruntime-node there is nothing to compare: say so and stop, without failing.
const ortMissing = await loadOnnxRuntime().then(
  () => undefined,
  (e: Error) => e.message,
);
if (ortMissing) {
  const text = `Skipped: ${ortMissing}\n`;
  process.stdout.write(text);
  writeDoc(text);
  process.exit(0);
}

const onnxPath = 'test/fixtures/mnist-cnn.onnx';
const sidecar = JSON.parse(readFileSync(`${onnxPath}.json`, 'utf8'));
const data = await loadMnist({ trainLimit: 2, validationSize: 1, testLimit: rows });
const dataInput = primaryInput(data.spec);

function twinAdapter(who: string) {
  const spec = resolveTeacherInput(
    [null, 32, 32, 3],
    { ...sidecar.input, layout: 'hwc' },
    dataInput,
    who,
  );
  return createAdapter(dataInput, spec, who);
}

/** The preprocessing alone, as a 'teacher' whose logits are its adapted input. */
function adapterOnly(): Teacher {
  const adapter = twinAdapter('preprocessing');
  return { ...layersTwin(), logits: async (x: Tensor) => adapter.apply(x) };
}

/** The ONNX teacher's architecture (scripts/fixtures/make_onnx_teacher.py) as a Layers teacher. */
function layersTwin(): Teacher {
  const who = 'Layers teacher cnn:8-16:32';
  const adapter = twinAdapter(who);
  const model = createCnn({ inputShape: [32, 32, 3], filters: [8, 16], dense: [32], classes: 10 });
  return {
    kind: 'layers',
    classes: 10,
    dataShape: data.inputShape,
    model,
    identity: async () => 'layers-twin',
    // [batch, 28, 28, 1] → [batch, 32, 32, 3] → [batch, 10]
    logits: async (x: Tensor) => tf.tidy(() => model.predict(adapter.apply(x)) as Tensor),
    describe: () => ({ kind: 'layers', source: who, classes: 10 }),
    dispose: () => {
      model.dispose();
    },
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Rows per second labelling all rows in batches of `batch` (median of reps after a warm-up). */
async function throughput(teacher: Teacher, inputs: Tensor[]): Promise<number> {
  const pass = async () => {
    const t0 = performance.now();
    for (const x of inputs) {
      const logits = await teacher.logits(x); // [batch, 10]
      logits.dataSync();
      logits.dispose();
    }
    return (rows * 1000) / (performance.now() - t0);
  };
  await pass();
  const rates: number[] = [];
  for (let r = 0; r < reps; r++) rates.push(await pass());
  return median(rates);
}

const table: string[][] = [];
const ratios: string[] = [];
for (const batch of batchSizes) {
  const inputs: Tensor[] = []; // [batch, 28, 28, 1] each, made before timing
  for (let start = 0; start < rows; start += batch) {
    const n = Math.min(batch, rows - start);
    inputs.push(tf.tensor4d(featuresAsFloat(data.test, start, start + n), [n, 28, 28, 1]));
  }
  const onnx = await onnxTeacher(onnxPath, {
    input: sidecar.input,
    data: data.spec,
    batchSize: batch,
    threads: 1,
  });
  const layers = layersTwin();
  // Alternate the two so that a change in machine load hits both.
  const onnxRate = await throughput(onnx, inputs);
  const layersRate = await throughput(layers, inputs);
  const onnxAgain = await throughput(onnx, inputs);
  const layersAgain = await throughput(layers, inputs);
  const o = Math.max(onnxRate, onnxAgain);
  const l = Math.max(layersRate, layersAgain);
  const adapter = adapterOnly();
  const p = await throughput(adapter, inputs);
  await adapter.dispose();
  table.push([String(batch), o.toFixed(0), l.toFixed(0), `${(o / l).toFixed(2)}×`, p.toFixed(0)]);
  ratios.push(`${(o / l).toFixed(2)}× at batch ${batch}`);
  await onnx.dispose();
  await layers.dispose();
  tf.dispose(inputs);
}

const when = started.toISOString().slice(0, 16).replace('T', ' ');
const text =
  `${rows} MNIST test rows (28×28×1) labelled by the ONNX teacher ${onnxPath} (PyTorch-made CNN ` +
  `3×32×32 NCHW → conv 8 → conv 16 → dense 32 → 10, onnxruntime-node, 1 intra-op thread) and by ` +
  `the same architecture as a tfjs Layers teacher (cnn:8-16:32, NHWC, random weights: speed ` +
  `depends on shapes only) on ${backend.description} (${backend.threads} thread(s)). Both adapt ` +
  `the batch the same way in tfjs (resize 28→32, gray→RGB, mean/std; plus NHWC→NCHW for ONNX) ` +
  `and the time includes it. Batches are made before timing; each cell is the better of two ` +
  `medians of ${reps} passes (the two teachers alternate), measured ${when} UTC on ` +
  `${cpus().length} cores shared with other jobs (load average at start: ` +
  `${load.map((l) => l.toFixed(2)).join(', ')}; read the ratios, measured in this one run):\n\n` +
  renderTable(
    ['batch', 'ONNX rows/s', 'Layers rows/s', 'ONNX vs Layers', 'preprocessing alone rows/s'],
    table,
  ) +
  `\n\nONNX vs Layers: ${ratios.join(', ')}.\n`;
process.stdout.write(text);
writeDoc(text);
if (!args.has('no-write')) console.error('wrote docs/benchmarks.md');
process.exit(0); // onnxruntime keeps handles open
