// Recipe files and reproduce(): every shipped recipe resolves to a valid config with its source,
// recipe keys and flags reach each stage, bad recipe keys name themselves, and a tiny two-seed
// reproduction writes its table, reads finished seeds back and reuses a seed's teacher.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveConfig, type RunConfig } from '../config.ts';
import { flagsToConfig } from '../cli/options.ts';
import { listRecipes, loadRecipe } from './index.ts';
import { reproduce, summarizeReproduction, type SeedOutcome } from './reproduce.ts';
import { reproductionMarkdown, writeReproductionSection } from './reproduction-doc.ts';

test('every recipe in recipes/ resolves, names its source and its published numbers', () => {
  const recipes = listRecipes();
  assert.ok(recipes.some((r) => r.name === 'hinton-mnist'));
  for (const r of recipes) {
    const config = resolveConfig(loadRecipe(r.name).layer);
    assert.equal(config.recipe?.name, r.name);
    assert.ok(r.info.source.length > 20, `${r.name}: a source with paper and section`);
  }
  const hinton = resolveConfig(loadRecipe('hinton-mnist').layer);
  assert.equal(hinton.teacher.maxNorm, 3.5);
  assert.deepEqual(hinton.teacher.weightAverage, { decay: 0.9995 });
  assert.equal(hinton.student.weightAverage, undefined, 'the students train as before');
  assert.equal(hinton.teacher.shiftPixels, 2);
  assert.equal(hinton.method.temperature, 20);
  // The jittered transfer set is a data option: the distilled student's only (scratch never sees it).
  assert.deepEqual(hinton.dataOptions, { jitterCopies: 4 });
  assert.equal(hinton.student.shiftPixels, 0);
  assert.equal(loadRecipe('hinton-mnist').info.published?.values.teacher, 67);
});

test('an unknown recipe lists the known ones; a bad recipe key names itself', () => {
  assert.throws(() => loadRecipe('nope'), /no recipe 'nope' \(known: .*hinton-mnist/);
  assert.throws(
    () => resolveConfig({ teacher: { lrSchedule: { shape: 'exp' } } } as never),
    /teacher\.lrSchedule\.shape: got "exp", allowed: "constant"/,
  );
  assert.throws(() => resolveConfig({ student: { maxNorm: -1 } } as never), /student\.maxNorm/);
  assert.throws(
    () => resolveConfig({ teacher: { keepEpoch: 'final' } } as never),
    /teacher\.keepEpoch: got "final", allowed: "best"/,
  );
});

test('recipe flags set every stage; a stage flag wins over the all-stages one', () => {
  const layer = flagsToConfig({
    maxNorm: 3,
    studentMaxNorm: 1,
    lrSchedule: 'cosine,warmup=1',
    teacherPatience: 4,
    labelSmoothing: 0.1,
    teacherKeepEpoch: 'last',
  } as never);
  const config = resolveConfig(layer);
  assert.equal(config.teacher.maxNorm, 3);
  assert.equal(config.student.maxNorm, 1);
  assert.deepEqual(config.student.lrSchedule, { shape: 'cosine', warmupEpochs: 1 });
  assert.deepEqual(config.teacher.earlyStopping, { patience: 4 });
  assert.equal(config.student.earlyStopping, undefined);
  assert.equal(config.teacher.labelSmoothing, 0.1);
  assert.equal(config.teacher.keepEpoch, 'last');
  assert.equal(config.student.keepEpoch, undefined);
});

const outcome = (
  seed: number,
  teacher: number,
  scratch: number,
  distilled: number,
): SeedOutcome => ({
  seed,
  runDir: `/runs/${seed}`,
  errors: { teacher, scratch, distilled },
  accuracy: {},
  testExamples: 10000,
  seconds: 100,
  stageSeconds: { teacher: 50, scratch: 25, distilled: 25 },
  teacherReused: false,
  backend: 'native (OpenBLAS)',
});

test('summary: mean ± std per stage, the gap closed on the means, the goal checked', () => {
  const info = loadRecipe('hinton-mnist').info;
  const s = summarizeReproduction([outcome(1, 70, 150, 80), outcome(2, 80, 140, 90)], info);
  assert.equal(s.errors.teacher?.mean, 75);
  assert.ok(Math.abs(s.errors.teacher!.std - Math.SQRT2 * 5) < 1e-12);
  assert.ok(Math.abs(s.gapClosed! - 60 / 70) < 1e-12);
  assert.deepEqual(s.goalMet, { teacher: true, gapClosed: true });
  assert.equal(s.distilledMinusScratch?.mean, -60);
  // A teacher worse than scratch has no gap to close.
  assert.equal(summarizeReproduction([outcome(1, 200, 150, 80)], info).gapClosed, undefined);
});

test('the document keeps other recipes’ sections and says when seeds are missing', () => {
  const dir = mkdtempSync(join(tmpdir(), 'repro-doc-'));
  const path = join(dir, 'reproductions.md');
  const info = loadRecipe('hinton-mnist').info;
  writeReproductionSection(path, 'other', 'other section');
  const md = reproductionMarkdown([outcome(1, 70, 150, 80)], { info, requestedSeeds: [1, 2, 3] });
  writeReproductionSection(path, 'hinton-mnist', md);
  writeReproductionSection(path, 'hinton-mnist', md);
  const text = readFileSync(path, 'utf8');
  assert.equal(text.split('<!-- reproduction:hinton-mnist -->').length, 2, 'one section, replaced');
  assert.match(text, /other section/);
  assert.match(text, /Partial: 1 of 3 seeds finished/);
  assert.match(text, /\| teacher \| 67 \| 70\.0 ± 0\.0 \| 70 \|/);
  // A table published as accuracy is measured as accuracy.
  const fashion = loadRecipe('fashion-mnist-cnn').info;
  const o = {
    ...outcome(1, 500, 700, 650),
    accuracy: { teacher: 0.95, scratch: 0.93, distilled: 0.935 },
  };
  const acc = reproductionMarkdown([o], { info: fashion, requestedSeeds: [1] });
  assert.match(acc, /\| distilled \| 92\.97 \| 93\.50 ± 0\.00 \| 93\.50 \|/);
});

test('reproduce: one run per seed; finished seeds are read back; a changed student reuses the teacher', async () => {
  const out = mkdtempSync(join(tmpdir(), 'repro-'));
  const config: RunConfig = resolveConfig({
    dataset: 'mnist',
    trainLimit: 400,
    validationSize: 100,
    testLimit: 200,
    backend: 'cpu',
    batchSize: 100,
    outDir: out,
    teacher: { arch: 'mlp:16', epochs: 1, shiftPixels: 0, dropout: 0, maxNorm: 2 },
    student: { arch: 'mlp:8', epochs: 1, lrSchedule: { shape: 'cosine', per: 'step' } },
    recipe: { name: 'tiny', title: 'tiny', source: 'this test' },
  });
  const first = await reproduce({ config, seeds: [1, 2] });
  assert.deepEqual(
    first.map((o) => o.seed),
    [1, 2],
  );
  for (const o of first) {
    assert.equal(o.testExamples, 200);
    assert.ok(o.errors.teacher! >= 0 && o.errors.teacher! <= 200);
    assert.equal(o.teacherReused, false);
  }
  const again = await reproduce({ config, seeds: [1, 2] });
  assert.deepEqual(again, first, 'finished seeds are read back');
  const reported = await reproduce({ config, seeds: [1, 2, 3], train: false });
  assert.deepEqual(reported, first, 'train: false reports the finished seeds, trains none');
  const runs = readdirSync(join(out, 'tiny', 'seed-1')).filter((d) => !d.startsWith('.'));
  assert.equal(runs.length, 1, 'no second run folder');
  const changed = { ...config, student: { ...config.student, epochs: 2 } };
  const [reused] = await reproduce({ config: changed, seeds: [1] });
  assert.equal(reused.teacherReused, true);
  assert.equal(reused.errors.teacher, first[0].errors.teacher, 'the same teacher');
});
