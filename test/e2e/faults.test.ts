// Fault injection: what a crash, a full disk, a read-only mount or a damaged file does to a run.
// - kill -9 at random points of every stage (teacher, scratch, distilled; seeded, several seeds),
//   resume after each kill: the final weights are byte-identical to an uninterrupted run's;
// - ENOSPC on a 2 MiB tmpfs and a read-only tmpfs: exit 6, one line, no temporary files left
//   (skipped, with the reason, where mounting is not allowed; CI runs as root and mounts);
// - every file of a run folder and of the teacher-logit cache damaged in turn (truncated, or
//   zeroed at the same length): the resume either fails with a one-line Distillery error or
//   finishes with exactly the uninterrupted run's weights — never silently different (each damaged
//   copy sits elsewhere: its results name its own models, as for a run folder moved to resume).
// Kept cheap: cpu backend, 400 MNIST images, mlp:24 teacher, mlp:8 students, 3 epochs each.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { createRng } from '../../src/random.ts';
import { DistilleryError } from '../../src/errors.ts';
import { resolveConfig } from '../../src/config.ts';
import { runPipeline } from '../../src/pipeline/pipeline.ts';
import { readRunConfig } from '../../src/run/folder.ts';
import { stageNames } from '../../src/run/record.ts';

const BIN = join(import.meta.dirname, '../../bin/distillery.mjs');
const root = mkdtempSync(join(tmpdir(), 'distillery-faults-'));
const SETTINGS = {
  seed: 11,
  backend: 'cpu' as const,
  trainLimit: 400,
  validationSize: 100,
  testLimit: 100,
  batchSize: 32,
  teacher: { arch: 'mlp:24', epochs: 3 },
  student: { arch: 'mlp:8', epochs: 3 },
};
const ARGS = [
  ...['--seed', '11', '--backend', 'cpu', '--train-limit', '400', '--validation-size', '100'],
  ...['--test-limit', '100', '--batch-size', '32', '--teacher-arch', 'mlp:24'],
  ...['--teacher-epochs', '3', '--student-arch', 'mlp:8', '--student-epochs', '3'],
];

/** Every stage's saved weight bytes, by stage. */
function weightsOf(runDir: string): Record<string, Buffer> {
  return Object.fromEntries(
    stageNames.map((stage) => {
      const dir = join(runDir, 'models', stage);
      const shards = readdirSync(dir)
        .filter((n) => n.endsWith('.bin'))
        .sort();
      return [stage, Buffer.concat(shards.map((s) => readFileSync(join(dir, s))))];
    }),
  );
}

function assertSameWeights(runDir: string, label: string) {
  const got = weightsOf(runDir);
  for (const stage of stageNames) {
    assert.ok(got[stage].equals(reference.weights[stage]), `${label}: ${stage} weights differ`);
  }
}

/** Runs the CLI; with `killIn`, sends SIGKILL `delay` ms after that stage starts. */
function runCli(
  args: string[],
  killIn?: { stage: string; delay: number },
): Promise<{
  code: number | null;
  signal: string | null;
  stderr: string;
  ms: Record<string, number>;
}> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let armed = false;
    const started: Record<string, number> = {};
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk;
      for (const stage of stageNames) {
        if (started[stage] === undefined && new RegExp(`^${stage}: `, 'm').test(stderr))
          started[stage] = performance.now();
      }
      if (killIn && !armed && started[killIn.stage] !== undefined) {
        armed = true;
        setTimeout(() => child.kill('SIGKILL'), killIn.delay);
      }
    });
    child.stdout.resume();
    child.on('close', (code, signal) => {
      const ms: Record<string, number> = {};
      const order = [...stageNames, 'end'];
      started.end = performance.now();
      for (let i = 0; i < stageNames.length; i++)
        ms[order[i]] = (started[order[i + 1]] ?? started.end) - (started[order[i]] ?? 0);
      done({ code, signal, stderr, ms });
    });
  });
}

// Escape codes stripped: FORCE_COLOR in a CI environment colours even piped output.
const runDirOf = (stderr: string) =>
  /run folder: (.*)$/m.exec(stderr.replace(/\x1b\[[0-9;]*m/g, ''))?.[1]?.trim();

// The uninterrupted reference (also times each stage, to place random kills inside them).
const refOut = join(root, 'reference');
const first = await runCli(['run', ...ARGS, '--out', refOut]);
assert.equal(first.code, 0, first.stderr);
const reference = { dir: runDirOf(first.stderr)!, weights: {} as Record<string, Buffer> };
reference.weights = weightsOf(reference.dir);

for (const seed of [1, 2]) {
  test(`kill -9 at random points of every stage (seed ${seed}), resumed each time: same weight bytes`, async () => {
    const random = createRng(seed);
    const out = join(root, `killed-${seed}`);
    let runDir: string | undefined;
    const kills: string[] = [];
    for (const stage of stageNames) {
      const delay = Math.round(random() * first.ms[stage]);
      const args = runDir ? ['run', '--resume', runDir] : ['run', ...ARGS, '--out', out];
      const r = await runCli(args, { stage, delay });
      runDir ??= runDirOf(r.stderr);
      assert.ok(runDir, r.stderr);
      kills.push(`${stage}+${delay}ms: ${r.signal ?? `exit ${r.code}`}`);
      if (r.signal !== 'SIGKILL') assert.equal(r.code, 0, r.stderr);
    }
    if (!existsSync(join(runDir!, 'results.json'))) {
      const r = await runCli(['run', '--resume', runDir!]);
      assert.equal(r.code, 0, r.stderr);
    }
    assert.ok(
      kills.some((k) => k.includes('SIGKILL')),
      kills.join('; '),
    );
    assertSameWeights(runDir!, kills.join('; '));
  });
}

/** Mounts a tmpfs (root only); returns why not if it cannot. */
function mountTmpfs(dir: string, options: string): string | undefined {
  mkdirSync(dir, { recursive: true });
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', dir], { encoding: 'utf8' });
  return r.status === 0 ? undefined : (r.stderr || r.error?.message || 'mount failed').trim();
}
const umount = (dir: string) => spawnSync('umount', [dir]);

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const path = join(dir, n);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

test('disk full (ENOSPC on a 2 MiB tmpfs): exit 6, one line, no temporary files left', async (t) => {
  const dir = join(root, 'full');
  const why = mountTmpfs(dir, 'size=2m');
  if (why) return t.skip(`cannot mount a tmpfs here (${why}); CI runs this as root`);
  try {
    // mlp:512 checkpoints (model + Adam moments) need ~10 MB.
    const args = ['run', ...ARGS, '--teacher-arch', 'mlp:512', '--teacher-epochs', '1'];
    const r = await runCli([...args, '--out', dir]);
    assert.equal(r.code, 6, r.stderr);
    const last = r.stderr.trim().split('\n').at(-1)!;
    assert.match(last, /^distillery: cannot write .*no space left on the device.*\[ENOSPC\]/);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'a stack trace was printed');
    const leftovers = filesUnder(dir).filter((f) => /\.tmp-\d+$/.test(f));
    assert.deepEqual(leftovers, []);
  } finally {
    umount(dir);
  }
});

test('read-only output (a read-only tmpfs): exit 6 in one line, nothing created', async (t) => {
  const dir = join(root, 'readonly');
  const why = mountTmpfs(dir, 'ro,size=1m');
  if (why) return t.skip(`cannot mount a tmpfs here (${why}); CI runs this as root`);
  try {
    const r = await runCli(['run', ...ARGS, '--out', join(dir, 'runs')]);
    assert.equal(r.code, 6, r.stderr);
    assert.match(r.stderr.trim(), /^distillery: cannot create .*read-only.*\[EROFS\]/);
  } finally {
    umount(dir);
  }
});

// A run stopped after the distilled stage's first epoch, in-process (a failing event, like a
// crash after the checkpoint): teacher and scratch finished, distilled has a checkpoint.
const config = resolveConfig({ ...SETTINGS, outDir: join(root, 'damaged') });
let stopped: string | undefined;
await assert.rejects(
  runPipeline({
    config,
    command: 'run',
    events: {
      onRunDir: (dir) => (stopped = dir),
      onEpochEnd: (stage, r) => {
        if (stage === 'distilled' && r.epoch === 1) throw new Error('stop');
      },
    },
  }),
  /stop/,
);

/** The ways a file is damaged: cut short, or zeroed at its full length (same size). */
const damages: Record<string, (bytes: Buffer) => Buffer> = {
  truncated: (b) => b.subarray(0, Math.floor(b.length / 2)),
  zeroed: (b) => Buffer.alloc(b.length),
};

test('each file of a run folder and of the cache damaged in turn: an error, or the same weights', async (t) => {
  const cacheDir = join(config.outDir, '.cache');
  const targets = [
    ...filesUnder(stopped!).filter((f) => !f.endsWith('.lock')),
    ...filesUnder(cacheDir),
  ];
  assert.ok(targets.some((f) => f.includes('checkpoints')) && targets.length > 10);
  const outcomes: string[] = [];
  for (const target of targets) {
    // JSON files: cut short is enough (zeroed is as unparsable); binary files: both.
    const ways = target.endsWith('.json') ? ['truncated'] : Object.keys(damages);
    for (const how of ways) {
      const damage = damages[how];
      const copy = join(root, 'copies', `${outcomes.length}`);
      cpSync(stopped!, copy, { recursive: true });
      const cacheCopy = join(root, 'copies', `${outcomes.length}-out`, '.cache');
      cpSync(cacheDir, cacheCopy, { recursive: true });
      const inCache = target.startsWith(cacheDir);
      const file = inCache
        ? join(cacheCopy, relative(cacheDir, target))
        : join(copy, relative(stopped!, target));
      writeFileSync(file, damage(readFileSync(file)));
      const label = `${relative(root, target)} ${how}`;
      try {
        // As `run --resume` does, with the cache under the copy's own out folder.
        const saved = readRunConfig(copy);
        const outDir = join(cacheCopy, '..');
        const results = await runPipeline({
          ...saved,
          command: saved.command as 'run',
          config: { ...saved.config, outDir },
          resumeDir: copy,
          report: false,
        });
        assertSameWeights(copy, label);
        // The copy's records name its own models, not those of the folder it was copied from.
        assert.equal(results.stages.teacher?.modelDir, join(copy, 'models', 'teacher'), label);
        outcomes.push(`${label}: same weights`);
      } catch (e) {
        if (!(e instanceof DistilleryError)) throw new Error(`${label}: ${(e as Error).stack}`);
        assert.ok(!e.message.includes('\n'), `${label}: multi-line message ${e.message}`);
        outcomes.push(`${label}: ${e.kind} error`);
      }
      rmSync(copy, { recursive: true, force: true });
      rmSync(join(cacheCopy, '..'), { recursive: true, force: true });
    }
  }
  for (const o of outcomes) t.diagnostic(o);
  // Damage that changes weights can only end in an error; the rest is rewritten or recomputed.
  assert.ok(outcomes.some((o) => o.endsWith('error')));
  assert.ok(outcomes.some((o) => o.endsWith('same weights')));
});
