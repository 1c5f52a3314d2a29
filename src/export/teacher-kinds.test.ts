// Export and model card of students distilled from teachers that are not tfjs Layers models: the
// PyTorch-made ONNX fixture and the tfjs graph-model fixture, each through `distillery distill` on
// a few hundred real MNIST images, then `distillery export --quantize uint8`. The card must say
// what the teacher was (kind, file, what it was fed and how the data was adapted to it).
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ModelCard } from './model-card.ts';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const BIN = join(REPO, 'bin', 'distillery.mjs');
const root = mkdtempSync(join(tmpdir(), 'distillery-teacher-kinds-'));
after(() => rmSync(root, { recursive: true, force: true }));

function cli(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: REPO,
    encoding: 'utf8',
    timeout: 300_000,
  });
  assert.equal(r.status, 0, `distillery ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

const TINY = [
  ...['--train-limit', '400', '--validation-size', '100', '--test-limit', '100'],
  ...['--student-arch', 'mlp:16', '--student-epochs', '1', '--temperature', '4'],
  ...['--backend', 'wasm', '--json'],
];

type CardTeacher = Exclude<ModelCard['teacher'], 'none' | 'unknown'>;

async function distillAndExport(teacher: string, name: string): Promise<ModelCard> {
  const out = join(root, name);
  const runDir: string = JSON.parse(
    cli(['distill', '--teacher', teacher, ...TINY, '--out', out]),
  ).runDir;
  const exported = join(root, `${name}-uint8`);
  const result = JSON.parse(
    cli([
      'export',
      join(runDir, 'models', 'distilled'),
      ...['--quantize', 'uint8', '--out', exported, '--test-limit', '100', '--backend', 'wasm'],
      '--json',
    ]),
  );
  assert.equal(result.examples, 100);
  assert.ok(result.rows[1].agreement >= 0.9, `uint8 agreement ${result.rows[1].agreement}`);
  return JSON.parse(readFileSync(join(exported, 'metadata.json'), 'utf8')) as ModelCard;
}

test('a student distilled from the ONNX fixture exports; the card names the ONNX teacher', async () => {
  const onnx = join(REPO, 'test', 'fixtures', 'mnist-cnn.onnx');
  const card = await distillAndExport(onnx, 'onnx');
  const teacher = card.teacher as CardTeacher;
  assert.equal(teacher.kind, 'onnx');
  assert.equal(resolve(REPO, teacher.source as string), onnx);
  assert.equal(teacher.arch, 'unknown'); // not a Distillery architecture: never guessed
  assert.equal(teacher.parameters, 34522); // counted from the ONNX initialisers
  assert.equal(typeof teacher.testAccuracy, 'number');
  assert.match(teacher.input!, /32×32×3.*NCHW/);
  assert.match(teacher.adaptation!, /28×28 → 32×32.*gray → RGB/);
  assert.equal((card.training.method as { name: string }).name, 'kd');
  assert.deepEqual(card.input.shape, [28, 28, 1]);
  assert.equal(card.output.classes, 10);
});

test('a student distilled from the graph-model fixture exports; the card names the graph model', async () => {
  const graph = join(REPO, 'test', 'fixtures', 'graph-mlp', 'graph');
  const card = await distillAndExport(graph, 'graph');
  const teacher = card.teacher as CardTeacher;
  assert.equal(teacher.kind, 'graph-model');
  assert.match(teacher.source as string, /graph-mlp\/graph/);
  assert.equal(teacher.arch, 'unknown');
  assert.equal(typeof teacher.testAccuracy, 'number');
  assert.equal(card.format.quantization, 'uint8');
});
