// `npm run bench:methods` (not part of CI): every distillation method on MNIST and Fashion-MNIST
// with the same teacher and student, several seeds each, next to the scratch baseline; writes
// docs/methods.md (table) and docs/methods.json (every run). Hyper-parameters: each method's
// defaults, listed in the output. Two budgets:
//   short (default): Adam 1e-3 at a constant rate, a few epochs on a slice; the top of
//     docs/methods.md (title, table) is rewritten, up to its first `## ` heading:
//     the hand-written readings and the recipe section below it are kept.
//   --recipe mdistiller: every stage on mdistiller's CIFAR-100 schedule scaled to --student-epochs
//     (SGD, momentum 0.9, rate 0.05, L2 5e-4, ×0.1 at 150/180/210 of 240 epochs) and the full
//     training split; the methods' epoch-counted parameters (DKD's warm-up, CTKD's curriculum)
//     scaled the same way; rewrites only the recipe section of docs/methods.md, with each
//     method's gain over scratch paired by seed and its noise verdict.
// A probe (--methods a subset, --clip-norm on the students' gradients) is printed with
// --no-write, leaving docs/ alone: the tables there are whole runs of every method.
// Usage:
//   npm run bench:methods -- [--datasets mnist,fashion-mnist] [--seeds 3] [--train-limit 20000]
//                            [--teacher-epochs 4] [--student-epochs 5] [--backend auto]
//                            [--recipe mdistiller] [--methods kd,dkd] [--clip-norm 5] [--no-write]
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
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
import { gainVerdict } from '../src/eval/seed-stats.ts';
import type { TrainingRecipe } from '../src/train/loop.ts';
import type { OptimizerOptions } from '../src/train/optimizers.ts';
import { benchArgs } from './args.ts';

const args = benchArgs(
  [
    'backend',
    'datasets',
    'seeds',
    'student-epochs',
    'teacher-epochs',
    'train-limit',
    'recipe',
    'methods',
    'clip-norm',
  ],
  ['no-write'],
);
const recipeName = args.get('recipe');
if (recipeName !== undefined && recipeName !== 'mdistiller') {
  console.error(`--recipe ${recipeName}: the one recipe is 'mdistiller'`);
  process.exit(2);
}
const recipeMode = recipeName === 'mdistiller';
const chosen = args.get('methods')?.split(',') ?? [...methodNames];
const unknown = chosen.filter((m) => !(methodNames as readonly string[]).includes(m));
if (unknown.length) {
  console.error(
    `--methods ${unknown.join(',')}: not a method (methods: ${methodNames.join(', ')})`,
  );
  process.exit(2);
}
const runMethods = chosen as typeof methodNames;
const clipNorm = args.get('clip-norm') === undefined ? undefined : Number(args.get('clip-norm'));
if (clipNorm !== undefined && !(clipNorm > 0)) {
  console.error(
    `--clip-norm ${args.get('clip-norm')}: give a positive global gradient norm, e.g. 5`,
  );
  process.exit(2);
}
const write = !args.has('no-write');
if (write && (args.get('methods') !== undefined || clipNorm !== undefined)) {
  console.error('--methods and --clip-norm are probes: add --no-write (docs/ hold whole runs)');
  process.exit(2);
}
const names = (args.get('datasets') ?? 'mnist,fashion-mnist').split(',') as string[];
const seeds = Number(args.get('seeds') ?? 3);
const trainLimit = Number(args.get('train-limit') ?? (recipeMode ? 60000 : 20000));
const validationSize = Math.min(recipeMode ? 5000 : 2000, Math.floor(trainLimit / 5));
const teacherEpochs = Number(args.get('teacher-epochs') ?? (recipeMode ? 30 : 4));
const studentEpochs = Number(args.get('student-epochs') ?? (recipeMode ? 30 : 5));

/**
 * mdistiller's CIFAR-100 solver (configs/cifar100/*.yaml: SGD, LR 0.05, MOMENTUM 0.9,
 * WEIGHT_DECAY 5e-4, LR_DECAY_STAGES [150, 180, 210] of 240 epochs, rate 0.1) scaled to `epochs`.
 */
function mdistillerTraining(epochs: number): {
  optimizer: OptimizerOptions;
  recipe: TrainingRecipe;
  milestones: number[];
} {
  const milestones = [150, 180, 210].map((m) => Math.max(1, Math.round((m / 240) * epochs)));
  return {
    optimizer: { name: 'momentum', learningRate: 0.05, momentum: 0.9 },
    recipe: {
      learningRate: 0.05,
      schedule: { shape: 'step', per: 'epoch', milestones, gamma: 0.1 },
      l2: { rate: 5e-4, exclude: 'none' },
    },
    milestones,
  };
}
const teacherTraining = recipeMode ? mdistillerTraining(teacherEpochs) : undefined;
const studentTraining = recipeMode ? mdistillerTraining(studentEpochs) : undefined;
/** Epoch-counted method parameters, scaled from 240 epochs as the schedule is (mdistiller's values). */
const scaledParams: Record<string, Record<string, number>> = recipeMode
  ? {
      dkd: { warmupEpochs: Math.max(1, Math.round((20 / 240) * studentEpochs)) },
      ctkd: { curriculumEpochs: Math.max(1, Math.round((10 / 240) * studentEpochs)) },
    }
  : {};
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
  const data = await loadDataset({ dataset: name, trainLimit, validationSize });
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
    ...(teacherTraining && {
      optimizer: teacherTraining.optimizer,
      recipe: teacherTraining.recipe,
    }),
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
      ...(studentTraining && { optimizer: studentTraining.optimizer }),
      // The students' clipping (a probe's) applies to scratch and every method alike.
      recipe: { ...studentTraining?.recipe, ...(clipNorm !== undefined && { clipNorm }) },
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
    for (const methodName of runMethods) {
      const method = methods[methodName](scaledParams[methodName] ?? {});
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
const accuracies = (dataset: string, method: string) =>
  rows
    .filter((r) => r.dataset === dataset && r.method === method)
    .sort((a, b) => a.seed - b.seed)
    .map((r) => r.accuracy);
/** Gain over scratch paired by seed, with its verdict, in a table cell. */
const verdictCell = (dataset: string, method: string) => {
  const xs = accuracies(dataset, method);
  if (xs.length === 0 || method === 'scratch') return method === 'scratch' ? '–' : '—';
  const v = gainVerdict(accuracies(dataset, 'scratch'), xs);
  if (v.verdict === 'one-seed') return `${(100 * v.mean).toFixed(2)} (1 seed)`;
  const noise = v.verdict === 'beyond-noise' ? 'beyond noise' : 'within noise';
  return `${v.mean >= 0 ? '+' : ''}${(100 * v.mean).toFixed(2)} ± ${(100 * v.std).toFixed(2)}, ${noise}`;
};
const paramsOf = (method: string) =>
  method === 'scratch'
    ? 'cross-entropy only'
    : `\`${JSON.stringify({ ...methods[method as keyof typeof methods].definition.defaults, ...scaledParams[method] })}\``;
const teacherLine =
  'Teacher test accuracy: ' +
  names.map((n) => `${n} ${(100 * teacherAccuracy[n]).toFixed(2)}%`).join(', ') +
  '.';
const minutes = ((Date.now() - started) / 60000).toFixed(1);
/** The command as run, so that a table says how to get it again. */
const command = [
  'npm run bench:methods',
  ...(process.argv.length > 2 ? ['--', ...process.argv.slice(2)] : []),
].join(' ');
const lines: string[] = [];
if (clipNorm !== undefined)
  lines.push(
    `Probe: every student's gradients clipped to global norm ${clipNorm} (scratch included); not written to docs/.`,
    '',
  );
if (recipeMode) {
  const t = studentTraining!;
  lines.push(
    `Measured ${new Date().toISOString().slice(0, 10)} by \`${command}\` on ${backend.description} (${backend.threads} thread(s)), ${minutes} min in all.`,
    `mdistiller's CIFAR-100 schedule scaled from 240 epochs to ${studentEpochs} (teacher ${teacherEpochs}): SGD with momentum 0.9, rate 0.05, L2 5e-4 on every weight, ×0.1 after epochs ${t.milestones.join(', ')} (theirs: 150, 180, 210), batch 128; DKD's warm-up and CTKD's curriculum scaled the same way (parameters below).`,
    `Teacher MLP 784-${TEACHER.join('-')}-10 (dropout 0.3, ±1 px shifts); student MLP 784-${STUDENT.join('-')}-10; the first ${trainLimit} training images, ${validationSize} of them held out to keep each run's best epoch; test accuracy (%) on the full 10,000-image test set, mean ± std over ${seeds} seeds, and the gain over scratch paired by seed with the 95% Student-t verdict (same initialisation and batch order for every method of a seed). ${teacherLine}`,
    '',
    `| method | ${names.join(' | ')} | ${names.map((n) => `gain vs scratch, ${n}`).join(' | ')} | parameters |`,
    `| --- | ${names.map(() => '---').join(' | ')} | ${names.map(() => '---').join(' | ')} | --- |`,
  );
  for (const method of ['scratch', ...runMethods])
    lines.push(
      `| ${method} | ${names.map((n) => cell(n, method).text).join(' | ')} | ${names.map((n) => verdictCell(n, method)).join(' | ')} | ${paramsOf(method)} |`,
    );
} else {
  lines.push(
    '# Distillation methods on MNIST and Fashion-MNIST',
    '',
    `Measured ${new Date().toISOString().slice(0, 10)} by \`${command}\` on ${backend.description} (${backend.threads} thread(s)), ${minutes} min in all.`,
    `Teacher MLP 784-${TEACHER.join('-')}-10 (dropout 0.3, ±1 px shifts, ${teacherEpochs} epochs); student MLP 784-${STUDENT.join('-')}-10 trained ${studentEpochs} epochs with Adam 1e-3, batch 128,`,
    `on the first ${trainLimit} training images (${validationSize} of them held out for validation/best-epoch selection); test accuracy (%) on the full 10,000-image test set, mean ± std over ${seeds} seeds`,
    '(each seed: same student initialisation and batch order for every method). ' + teacherLine,
    '',
    `| method | ${names.join(' | ')} | Δ vs scratch (${names.join(', ')}) | parameters (defaults) |`,
    `| --- | ${names.map(() => '---').join(' | ')} | --- | --- |`,
  );
  for (const method of ['scratch', ...runMethods]) {
    const cells = names.map((n) => cell(n, method));
    const deltas = names.map((n, i) => {
      const d = cells[i].mean - cell(n, 'scratch').mean;
      return Number.isNaN(d) ? '—' : `${d >= 0 ? '+' : ''}${(100 * d).toFixed(2)}`;
    });
    lines.push(
      `| ${method} | ${cells.map((c) => c.text).join(' | ')} | ${deltas.join(', ')} | ${paramsOf(method)} |`,
    );
  }
}
if (Object.keys(skipped).length) {
  lines.push('', 'Not run on this MLP pair:');
  for (const [m, why] of Object.entries(skipped)) lines.push(`- ${m}: ${why}`);
}

// Each budget owns its part of docs/methods.md: the recipe run its marked section, the short run
// the top of the file up to the first `## ` heading. Everything else is written by hand (the
// readings of each table) and kept by both.
if (write) {
  const DOC = 'docs/methods.md';
  const BEGIN = '<!-- bench:methods:recipe -->';
  const END = '<!-- /bench:methods:recipe -->';
  const previous = existsSync(DOC) ? readFileSync(DOC, 'utf8') : '';
  const at = previous.indexOf(BEGIN);
  const until = previous.indexOf(END);
  const recipeSection = at >= 0 && until > at ? previous.slice(at, until + END.length) : undefined;
  if (recipeMode) {
    const section = [BEGIN, ...lines, END].join('\n');
    const heading = '\n## The same methods on a recipe budget\n\n';
    writeFileSync(
      DOC,
      recipeSection
        ? previous.replace(recipeSection, section)
        : previous.trimEnd() + '\n' + heading + section + '\n',
    );
  } else {
    const handWritten = previous.search(/^## /m);
    const rest =
      handWritten >= 0
        ? previous.slice(handWritten)
        : recipeSection
          ? '## The same methods on a recipe budget\n\n' + recipeSection + '\n'
          : '';
    writeFileSync(DOC, lines.join('\n') + '\n' + (rest ? '\n' + rest : ''));
  }
  writeFileSync(
    recipeMode ? 'docs/methods-recipe.json' : 'docs/methods.json',
    JSON.stringify(
      {
        backend,
        recipe: recipeMode
          ? { name: recipeName, student: studentTraining, teacher: teacherTraining }
          : undefined,
        teacherAccuracy,
        rows,
        skipped,
      },
      null,
      1,
    ),
  );
}
process.stdout.write(lines.join('\n') + '\n');
tf.disposeVariables();
