// `npm run bench:text-quality` (not part of CI): issue 9's quality goal on SpamAssassin, as one
// command. Per split seed: five `embbag:64` teachers (seeds 1–5, each 21× the student) trained by
// the library's own pipeline, their mean-logits ensemble distilled into the default `embbag:3`
// student with and without Tang et al.'s augmented transfer set (20 copies per mail: their
// n_iter), students paired by seed, temperature and weights chosen on validation (automatic).
// Writes docs/text-quality.json and the table between the markers of docs/text.md. Usage:
//   npm run bench:text-quality -- [--splits 1,2,3,4,5,6] [--seeds 1,2,3] [--teachers 5] [--copies 20]
//   npm run bench:text-quality -- --render   (rewrite the table from docs/text-quality.json)
// What it leaves out: choosing the number of copies on validation (the 599 validation mails put
// every setting at the same accuracy, see docs/text.md), other teacher architectures.
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { resolveConfig, type DeepPartial, type RunConfig } from '../src/config.ts';
import { runPipeline } from '../src/pipeline/pipeline.ts';
import { runSeeds, type SeedsResults } from '../src/pipeline/seeds.ts';
import { gainVerdict, gapClosed, summarize } from '../src/eval/seed-stats.ts';
import { benchArgs } from './args.ts';
import { writeBetweenMarkers } from './doc.ts';

const args = benchArgs(['splits', 'seeds', 'teachers', 'copies', 'out'], ['render']);
const list = (s: string) => s.split(',').map(Number);
const splits = list(args.get('splits') ?? '1,2,3,4,5,6');
const seeds = list(args.get('seeds') ?? '1,2,3');
const teachers = Number(args.get('teachers') ?? 5);
const copies = Number(args.get('copies') ?? 20);
const out = resolve(args.get('out') ?? 'runs/bench-text-quality');
const TEACHER = { arch: 'embbag:64', epochs: 10, learningRate: 0.01 };

const log = (m: string) => process.stderr.write(`[bench:text-quality] ${m}\n`);
const quiet = { onInfo: () => {} };

interface Arm {
  copies: number;
  scratch: number[];
  distilled: number[];
  gain: { mean: number; std: number; interval?: [number, number]; sentence: string };
  gapClosed?: number;
}
interface SplitRow {
  splitSeed: number;
  teacherMembers: number[];
  ensemble: number;
  arms: Arm[];
  seconds: number;
}
const jsonPath = join('docs', 'text-quality.json');
const rows: SplitRow[] = [];
const started = Date.now();
if (args.has('render')) {
  // The last bench's table again (a change of the table's format needs no rerun).
  const last = JSON.parse(readFileSync(jsonPath, 'utf8'));
  writeTable(last.rows, last.createdAt, last.splits, last.seeds, last.teacher.members);
  process.exit(0);
}

for (const splitSeed of splits) {
  const t0 = Date.now();
  const common: DeepPartial<RunConfig> = {
    dataset: 'spam-assassin',
    splitSeed,
    threads: 1,
    outDir: join(out, `split-${splitSeed}`),
  };
  const teacherDirs: string[] = [];
  const members: number[] = [];
  for (let s = 1; s <= teachers; s++) {
    const r = await runPipeline({
      config: resolveConfig(common, { seed: s, teacher: TEACHER }),
      command: 'train-teacher',
      events: quiet,
    });
    teacherDirs.push(r.stages.teacher!.modelDir);
    members.push(r.evaluation.rows.find((x) => x.name === 'teacher')!.macroF1!);
  }
  log(`split ${splitSeed}: teachers' test macro-F1 ${members.map((m) => m.toFixed(4)).join(', ')}`);
  const arms: Arm[] = [];
  let ensemble = NaN;
  for (const c of [0, copies]) {
    const res: SeedsResults = await runSeeds({
      config: resolveConfig(common, {
        ensemble: { combine: 'mean-logits' },
        dataOptions: c > 0 ? { augmentCopies: c } : undefined,
      }),
      command: 'distill',
      seeds,
      teacherDirs,
      events: quiet,
    });
    const f1 = (name: string) => res.rows.find((r) => r.name === name)!.macroF1!;
    ensemble = f1('teacher').mean;
    const g = res.macroF1Gain!;
    arms.push({
      copies: c,
      scratch: f1('scratch').values,
      distilled: f1('distilled').values,
      gain: { mean: g.mean, std: g.std, interval: g.interval, sentence: g.sentence },
      gapClosed: res.gapClosed?.macroF1,
    });
    log(`split ${splitSeed}, ${c} copies: ${g.sentence}; gap closed ${res.gapClosed?.macroF1}`);
  }
  rows.push({
    splitSeed,
    teacherMembers: members,
    ensemble,
    arms,
    seconds: (Date.now() - t0) / 1000,
  });
  write();
}

function write() {
  const doc = {
    createdAt: new Date().toISOString(),
    splits,
    seeds,
    teacher: { ...TEACHER, members: teachers, combine: 'mean-logits' },
    student: 'embbag:3 (the text default)',
    copies,
    seconds: (Date.now() - started) / 1000,
    rows,
  };
  writeFileSync(jsonPath, JSON.stringify(doc, null, 1) + '\n');
  writeTable(rows, doc.createdAt, splits, seeds, teachers);
}

function writeTable(
  rows: SplitRow[],
  createdAt: string,
  splits: number[],
  seeds: number[],
  teachers: number,
) {
  const f = (x: number) => x.toFixed(4);
  const mean = (xs: number[]) => summarize(xs).mean;
  const ms = (xs: number[]) => `${f(summarize(xs).mean)} ± ${f(summarize(xs).std)}`;
  const set = (c: number) => (c ? `train + ${c} augmented copies` : 'train only');
  // One decimal: the goal is a threshold (50%), and 49.9% must not print as 50%.
  const closed = (x?: number) => (x === undefined ? 'no gap' : `${(100 * x).toFixed(1)}%`);
  const lines = [
    `Measured ${createdAt.slice(0, 16)} UTC: splits ${splits.join(', ')}, student seeds ${seeds.join(', ')}; ${teachers} \`${TEACHER.arch}\` teachers (seeds 1–${teachers}), test macro-F1.`,
    '',
    '| split | teachers (each) | ensemble | transfer set | scratch | distilled | gain (paired, macro-F1 points) | gap closed |',
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const r of rows)
    for (const a of r.arms)
      lines.push(
        `| ${r.splitSeed} | ${r.teacherMembers.map(f).join(', ')} | ${f(r.ensemble)} | ${set(a.copies)} | ${ms(a.scratch)} | ${ms(a.distilled)} | ${a.gain.sentence.replace(/^gain /, '')} | ${closed(a.gapClosed)} |`,
      );
  // All splits together: every (split, seed) pair; the pairs of one split share its teacher, so
  // the interval is optimistic (the split-to-split spread is in the rows above).
  if (rows.length > 1)
    for (const c of rows[0].arms.map((a) => a.copies)) {
      const arms = rows.map((r) => r.arms.find((a) => a.copies === c)!);
      const scratch = arms.flatMap((a) => a.scratch);
      const distilled = arms.flatMap((a) => a.distilled);
      const teacher = mean(rows.flatMap((r) => r.arms[0].scratch.map(() => r.ensemble)));
      const g = gainVerdict(scratch, distilled).sentence.replace(/seeds\)/, 'pairs)');
      lines.push(
        `| all (${scratch.length} pairs) | | ${f(teacher)} | ${set(c)} | ${ms(scratch)} | ${ms(distilled)} | ${g.replace(/^gain /, '')} | ${closed(gapClosed(teacher, mean(scratch), mean(distilled)))} |`,
      );
    }
  const table = lines.join('\n');
  writeBetweenMarkers(join('docs', 'text.md'), 'bench:text-quality', table);
  process.stdout.write(table + '\n');
}
