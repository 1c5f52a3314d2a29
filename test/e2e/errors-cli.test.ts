// The CLI under bad input and interruptions, as a new user meets them: one line on stderr with the
// documented exit code (2 usage, 3 data, 4 model, 6 io), never a stack trace; no orphan run
// folders; --resume refuses flags it would ignore; Ctrl-C says how to resume.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tf } from '../../src/tf.ts';
import { createMlp } from '../../src/models/index.ts';
import { saveModel } from '../../src/models/io.ts';
import { resolveConfig } from '../../src/config.ts';

const BIN = join(import.meta.dirname, '../../bin/distillery.mjs');
const root = mkdtempSync(join(tmpdir(), 'distillery-errors-'));
const TINY = [
  ...['--backend', 'cpu', '--train-limit', '300', '--validation-size', '50', '--test-limit', '50'],
  ...['--teacher-arch', 'mlp:8', '--teacher-epochs', '1', '--student-arch', 'mlp:4'],
  ...['--student-epochs', '1'],
];

function cli(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/**
 * Exit code `code` and one error line matching `pattern`: the last on stderr, after at most
 * progress lines (e.g. "backend: …"), with no stack trace.
 */
function assertOneLine(r: ReturnType<typeof cli>, code: number, pattern: RegExp) {
  assert.equal(r.code, code, r.stderr);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.filter((l) => l.startsWith('distillery: ')).length, 1, r.stderr);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'a stack trace was printed');
  assert.match(lines.at(-1)!, pattern);
}

await tf.setBackend('cpu');
const fiveClasses = join(root, 'five-classes');
await saveModel(createMlp({ inputShape: [28, 28, 1], hidden: [], classes: 5 }), fiveClasses);

test('registry names never resolve to the object prototype (--dataset constructor)', () => {
  assertOneLine(
    cli(['evaluate', fiveClasses, '--dataset', 'constructor', '--backend', 'cpu']),
    2,
    /unknown dataset/,
  );
  assertOneLine(
    cli(['export', fiveClasses, '--out', join(root, 'x'), '--dataset', 'toString']),
    2,
    /unknown dataset/,
  );
  assertOneLine(
    cli(['run', ...TINY, '--teacher-arch', 'constructor:1']),
    2,
    /unknown architecture/,
  );
});

test('evaluate of a model with the wrong class count names the model and the data', () => {
  const r = cli(['evaluate', fiveClasses, '--backend', 'cpu', '--test-limit', '10']);
  assertOneLine(r, 4, /the model .* outputs 5 classes but mnist has 10/);
  assert.doesNotMatch(r.stderr, /teacher|student/);
});

test('--out on a file, or below one: exit 6 in one line', () => {
  const file = join(root, 'a-file');
  writeFileSync(file, 'x');
  assertOneLine(cli(['run', ...TINY, '--out', file]), 6, /is a file, not a folder/);
  assertOneLine(cli(['run', ...TINY, '--out', join(file, 'below')]), 6, /\[ENOTDIR\]/);
});

test('a run that fails before saving anything leaves no run folder', () => {
  const out = join(root, 'orphans');
  const r = cli(['run', ...TINY, '--data-dir', join(root, 'no-such-data'), '--out', out]);
  assert.equal(r.code, 3, r.stderr);
  assert.deepEqual(readdirSync(out), []);
});

test('--resume refuses flags it would ignore, and a damaged or invalid config.json is exit 6', () => {
  const run = join(root, 'runs', 'started');
  mkdirSync(run, { recursive: true });
  const config = resolveConfig({ outDir: join(root, 'runs') });
  writeFileSync(join(run, 'config.json'), JSON.stringify({ command: 'run', config }));
  assertOneLine(
    cli(['run', '--resume', run, '--seed', '3', '--student-epochs', '9']),
    2,
    /--seed, --student-epochs would be ignored/,
  );
  assertOneLine(cli(['run', '--resume', run, '--kd.temperature', '8']), 2, /would be ignored/);
  writeFileSync(join(run, 'config.json'), '{"command": "run", "conf');
  assertOneLine(cli(['run', '--resume', run]), 6, /config\.json is unreadable/);
  // Parses, but a recorded section is gone: the run's own file is damaged, not the flags.
  const { teacher: _dropped, ...partial } = config;
  writeFileSync(join(run, 'config.json'), JSON.stringify({ command: 'run', config: partial }));
  assertOneLine(
    cli(['run', '--resume', run]),
    6,
    /config\.json: the recorded config does not validate \(teacher: .*\): it was edited or damaged/,
  );
});

test('serve of a run with a corrupt results.json is exit 6, as report says it', () => {
  const run = join(root, 'corrupt-results');
  mkdirSync(run);
  writeFileSync(join(run, 'results.json'), '{"distillery": ');
  assertOneLine(cli(['serve', run, '--port', '0']), 6, /results\.json is unreadable/);
  assertOneLine(cli(['report', run]), 6, /results\.json/);
});

test('Ctrl-C: exit 130, the checkpoint is kept and the resume command printed', async () => {
  const out = join(root, 'interrupted');
  const args = ['run', ...TINY, '--teacher-epochs', '500', '--out', out];
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    const before = stderr;
    stderr += chunk;
    if (!/teacher\s+epoch 1\//.test(before) && /teacher\s+epoch 1\//.test(stderr))
      child.kill('SIGINT');
  });
  const code = await new Promise((done) => child.on('close', (c) => done(c)));
  assert.equal(code, 130, stderr);
  const match = /continue with 'distillery run --resume (.+)'/.exec(stderr);
  assert.ok(match, stderr);
  assert.ok(existsSync(join(match[1], 'checkpoints', 'teacher', 'state.json')));
  assert.equal(existsSync(join(match[1], '.lock')), false, 'the lock was not released');
});
