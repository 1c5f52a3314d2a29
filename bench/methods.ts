// `npm run bench:methods` (not part of CI): every distillation method on MNIST and Fashion-MNIST
// with the same teacher and student, several seeds each, next to the scratch baseline; writes
// docs/methods.md (table) and docs/methods.json (every run). Hyper-parameters: each method's
// defaults, listed in the output. Usage:
//   npm run bench:methods -- [--datasets mnist,fashion-mnist] [--seeds 3] [--train-limit 20000]
//                            [--teacher-epochs 4] [--student-epochs 5] [--backend auto]
import { writeFileSync } from 'node:fs';
import { tf } from '../src/tf.ts';
import { loadDataset } from '../src/data/index.ts';
import { createMlp } from '../src/models/index.ts';
import { trainModel } from '../src/train/train-model.ts';
import { Distiller } from '../src/distill/distiller.ts';
import { methods, methodNames } from '../src/distill/methods/index.ts';
import { computeTeacherLogits } from '../src/distill/teacher-cache.ts';
import { accuracyOf } from '../src/eval/metrics.ts';
import { selectBackend, type BackendName } from '../src/backend/index.ts';
import { deriveSeed } from '../src/random.ts';
import { benchArgs } from './args.ts';

const args = benchArgs([
  'backend',
  'datasets',
  'seeds',
  'student-epochs',
  'teacher-epochs',
  'train-limit',
]);
const names = (args.get('datasets') ?? 'mnist,fashion-mnist').split(',') as string[];
const seeds = Number(args.get('seeds') ?? 3);
const trainLimit = Number(args.get('train-limit') ?? 20000);
const teacherEpochs = Number(args.get('teacher-epochs') ?? 4);
const studentEpochs = Number(args.get('student-epochs') ?? 5);
const TEACHER = [512, 512];
const STUDENT = [32];
const shape = [28, 28, 1];

const backend = await selectBackend((args.get('backend') ?? 'auto') as BackendName);
const started = Date.now();
type Row = { dataset: string; method: string; seed: number; accuracy: number; seconds: number };
const rows: Row[] = [];
const teacherAccuracy: Record<string, number> = {};
const skipped: Record<string, string> = {};
const log = (m: string) => process.stderr.write(m + '\n');

for (const name of names) {
  const data = await loadDataset({ dataset: name, trainLimit, validationSize: 2000 });
  const teacher = createMlp({
    inputShape: shape,
    hidden: TEACHER,
    classes: 10,
    dropout: 0.3,
    seed: 1,
  });
  await trainModel({
    model: teacher,
    data: data.train,
    validation: data.validation,
    epochs: teacherEpochs,
    shiftPixels: 1,
    seed: 1,
  });
  teacherAccuracy[name] = accuracyOf(teacher, data.test, shape);
  log(`${name}: teacher ${(100 * teacherAccuracy[name]).toFixed(2)}%`);
  const cache = await computeTeacherLogits(teacher, data.train);
  for (let seed = 1; seed <= seeds; seed++) {
    const student = () =>
      createMlp({
        inputShape: shape,
        hidden: STUDENT,
        classes: 10,
        seed: deriveSeed(seed, 'student'),
      });
    const fitOptions = {
      epochs: studentEpochs,
      validation: data.validation,
      seed: deriveSeed(seed, 'fit'),
    };
    let t0 = performance.now();
    const scratch = student();
    await trainModel({ model: scratch, data: data.train, ...fitOptions });
    rows.push({
      dataset: name,
      method: 'scratch',
      seed,
      accuracy: accuracyOf(scratch, data.test, shape),
      seconds: (performance.now() - t0) / 1000,
    });
    scratch.dispose();
    for (const methodName of methodNames) {
      const method = methods[methodName]();
      const s = student();
      let distiller: Distiller;
      try {
        distiller = new Distiller({
          teacher,
          student: s,
          method,
          teacherLogits: method.taps?.teacher.length ? undefined : cache,
          seed,
        });
      } catch (e) {
        skipped[methodName] = (e as Error).message;
        s.dispose();
        continue;
      }
      t0 = performance.now();
      await distiller.fit(data.train, fitOptions);
      const accuracy = accuracyOf(s, data.test, shape);
      rows.push({
        dataset: name,
        method: methodName,
        seed,
        accuracy,
        seconds: (performance.now() - t0) / 1000,
      });
      log(`${name} seed ${seed} ${methodName}: ${(100 * accuracy).toFixed(2)}%`);
      distiller.dispose();
      s.dispose();
    }
  }
  teacher.dispose();
}

const stats = (xs: number[]) => {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const std = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, xs.length - 1));
  return { mean, std };
};
const cell = (dataset: string, method: string) => {
  const xs = rows
    .filter((r) => r.dataset === dataset && r.method === method)
    .map((r) => r.accuracy);
  if (xs.length === 0) return { text: '—', mean: NaN };
  const { mean, std } = stats(xs);
  return { text: `${(100 * mean).toFixed(2)} ± ${(100 * std).toFixed(2)}`, mean };
};
const lines = [
  '# Distillation methods on MNIST and Fashion-MNIST',
  '',
  `Measured ${new Date().toISOString().slice(0, 10)} by \`npm run bench:methods\` on ${backend.description} (${backend.threads} thread(s)), ${((Date.now() - started) / 60000).toFixed(1)} min in all.`,
  `Teacher MLP 784-${TEACHER.join('-')}-10 (dropout 0.3, ±1 px shifts, ${teacherEpochs} epochs); student MLP 784-${STUDENT.join('-')}-10 trained ${studentEpochs} epochs with Adam 1e-3, batch 128,`,
  `on the first ${trainLimit} training images (2,000 of them held out for validation/best-epoch selection); test accuracy (%) on the full 10,000-image test set, mean ± std over ${seeds} seeds`,
  '(each seed: same student initialisation and batch order for every method). Teacher test accuracy: ' +
    names.map((n) => `${n} ${(100 * teacherAccuracy[n]).toFixed(2)}%`).join(', ') +
    '.',
  '',
  `| method | ${names.join(' | ')} | Δ vs scratch (${names.join(', ')}) | parameters (defaults) |`,
  `| --- | ${names.map(() => '---').join(' | ')} | --- | --- |`,
];
for (const method of ['scratch', ...methodNames]) {
  const cells = names.map((n) => cell(n, method));
  const deltas = names.map((n, i) => {
    const d = cells[i].mean - cell(n, 'scratch').mean;
    return Number.isNaN(d) ? '—' : `${d >= 0 ? '+' : ''}${(100 * d).toFixed(2)}`;
  });
  const params =
    method === 'scratch'
      ? 'cross-entropy only'
      : `\`${JSON.stringify(methods[method as keyof typeof methods].definition.defaults)}\``;
  lines.push(
    `| ${method} | ${cells.map((c) => c.text).join(' | ')} | ${deltas.join(', ')} | ${params} |`,
  );
}
if (Object.keys(skipped).length) {
  lines.push('', 'Not run on this MLP pair:');
  for (const [m, why] of Object.entries(skipped)) lines.push(`- ${m}: ${why}`);
}
writeFileSync('docs/methods.md', lines.join('\n') + '\n');
writeFileSync(
  'docs/methods.json',
  JSON.stringify({ backend, teacherAccuracy, rows, skipped }, null, 1),
);
process.stdout.write(lines.join('\n') + '\n');
tf.disposeVariables();
