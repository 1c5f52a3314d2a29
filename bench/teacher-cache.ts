// `npm run bench:cache`: what cached teacher outputs save. Times one epoch of a plain student
// (cross-entropy only), of distillation with the live teacher, and of distillation from cached
// teacher logits (including, separately, the one-off cost of filling the cache); medians of
// several repetitions, ratios against the plain student epoch measured in the same run.
// Usage: npm run bench:cache -- [--backend auto] [--examples 10000] [--reps 3]
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { tf } from '../src/tf.ts';
import { loadMnist } from '../src/data/index.ts';
import { createMlp } from '../src/models/index.ts';
import { fit } from '../src/train/loop.ts';
import { createOptimizer } from '../src/train/optimizers.ts';
import { supervisedStep } from '../src/train/train-model.ts';
import { Distiller } from '../src/distill/distiller.ts';
import { kd } from '../src/distill/methods/index.ts';
import { computeTeacherLogits } from '../src/distill/teacher-cache.ts';
import { selectBackend, type BackendName } from '../src/backend/index.ts';
import { renderTable } from '../src/report/table.ts';
import { benchArgs } from './args.ts';

const args = benchArgs(['backend', 'examples', 'reps']);
const backend = await selectBackend((args.get('backend') ?? 'auto') as BackendName);
const examples = Number(args.get('examples') ?? 10000);
const reps = Number(args.get('reps') ?? 3);
const data = await loadMnist({ trainLimit: examples + 1, validationSize: 1 });
const shape = [28, 28, 1];
const teacher = createMlp({ inputShape: shape, hidden: [1200, 1200], classes: 10, seed: 1 });

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
async function epochSeconds(
  hidden: number[],
  makeStep: (student: tf.LayersModel) => Parameters<typeof fit>[0]['step'],
) {
  const times: number[] = [];
  // Repetition 0 warms up kernels and JIT and is not counted.
  for (let r = 0; r <= reps; r++) {
    const student = createMlp({ inputShape: shape, hidden, classes: 10, seed: 2 });
    const optimizer = createOptimizer({ name: 'adam', learningRate: 1e-3 });
    const result = await fit({
      model: student,
      step: makeStep(student),
      optimizer,
      train: data.train,
      inputShape: shape,
      epochs: 1,
      batchSize: 128,
      seed: r,
    });
    if (r > 0) times.push(result.history[0].seconds);
    optimizer.dispose();
    student.dispose();
  }
  return median(times);
}

const fills: number[] = [];
let cache = await computeTeacherLogits(teacher, data.train);
for (let r = 0; r < reps; r++) {
  const t0 = performance.now();
  cache = await computeTeacherLogits(teacher, data.train);
  fills.push((performance.now() - t0) / 1000);
}
const rows: string[][] = [];
const verdicts: string[] = [];
for (const hidden of [[64], [800, 800]]) {
  const name = `784-${hidden.join('-')}-10`;
  const plain = await epochSeconds(hidden, (s) => supervisedStep(s));
  const live = await epochSeconds(hidden, (s) =>
    new Distiller({ teacher, student: s, method: kd() }).trainStep(),
  );
  const cached = await epochSeconds(hidden, (s) =>
    new Distiller({ teacher, student: s, method: kd(), teacherLogits: cache }).trainStep(),
  );
  const row = (what: string, sec: number) => [
    `${name}: ${what}`,
    sec.toFixed(2),
    (data.train.count / sec).toFixed(0),
    `${(sec / plain).toFixed(2)}×`,
  ];
  rows.push(
    row('plain student (cross-entropy only)', plain),
    row('distillation, live teacher', live),
    row('distillation, cached teacher logits', cached),
  );
  verdicts.push(
    `${name}: ${(cached / plain).toFixed(2)}× (${cached / plain <= 1.15 ? 'met' : 'not met'})`,
  );
}
rows.push([
  'filling the cache (once per teacher + data)',
  median(fills).toFixed(2),
  (data.train.count / median(fills)).toFixed(0),
  '',
]);
const text =
  `Teacher MLP 784-1200-1200-10, ${data.train.count} MNIST examples per epoch, batch 128, ` +
  `${backend.description} (${backend.threads} thread(s)), median of ${reps} epochs after a warm-up, ` +
  `measured ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC:\n\n` +
  renderTable(['student, epoch of', 'seconds', 'samples/s', 'vs plain student'], rows) +
  `\n\nTarget: a cached distillation epoch ≤ 1.15× a plain student epoch — ${verdicts.join('; ')}.\n`;
process.stdout.write(text);

// Keep the table in docs/benchmarks.md (npm run bench rewrites the backend part first).
const doc = 'docs/benchmarks.md';
const section = `<!-- cache:start -->\n## Cached teacher outputs (\`npm run bench:cache\`)\n\n\`\`\`\n${text}\`\`\`\n<!-- cache:end -->\n`;
const current = existsSync(doc) ? readFileSync(doc, 'utf8') : '# Benchmarks\n';
writeFileSync(
  doc,
  current.includes('<!-- cache:start -->')
    ? current.replace(/<!-- cache:start -->[\s\S]*<!-- cache:end -->\n/, section)
    : `${current.trimEnd()}\n\n${section}`,
);
