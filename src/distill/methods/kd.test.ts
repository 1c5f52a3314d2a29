// kd presets: each preset, applied over kd's defaults, gives the parameters written out in
// scripts/golden/methods.py and reproduces that library's own formula (re-stated there in PyTorch,
// float64; tolerances in testing.ts). Plus kd's gradient and leak checks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../../tf.ts';
import { kd, kdPresets } from './kd.ts';
import {
  checkDefaultsAndPresets,
  checkGolden,
  checkGradientReachesStudent,
  checkNoLeak,
  caseTensors,
  golden,
  read,
} from './testing.ts';

await tf.setBackend('cpu');

test("every preset reproduces its library's formula (PyTorch golden: terms, gradient)", () => {
  const covered = new Set(golden.methods.kd.map((e) => e.preset));
  assert.deepEqual(
    [...covered].sort(),
    Object.keys(kdPresets).sort(),
    'fixture covers every preset',
  );
  checkDefaultsAndPresets('kd', kd);
  checkGolden('kd', kd);
});

test('every preset validates over the defaults and is reachable from the definition', () => {
  assert.equal(kd.definition.presets, kdPresets);
  for (const [name, preset] of Object.entries(kdPresets)) {
    assert.doesNotThrow(() => kd(preset), name);
  }
});

test("the conventions differ where the libraries do: T², reduction, KL vs CE, alpha's side", () => {
  const t = caseTensors('batch 4 x 10 classes');
  const soft = (name: keyof typeof kdPresets, over = {}) =>
    read(kd({ ...kdPresets[name], ...over }).losses(t)).soft;
  const T = 4;
  // textbrewer = hinton without T² (same T, CE form), with its own weights.
  const hinton = soft('hinton', { softWeight: 1 });
  assert.ok(Math.abs(soft('textbrewer') * T ** 2 - hinton) <= 1e-5 * hinton);
  // the TAKD pitfall is the true KL divided by the number of classes.
  const mean = soft('mean-reduction-pitfall');
  const batchmean = soft('mean-reduction-pitfall', { reduction: 'batchmean' });
  assert.ok(Math.abs(mean * 10 - batchmean) <= 1e-5 * batchmean);
  // keras' alpha = 0.1 sits on the hard term.
  assert.equal(kdPresets.keras.hardWeight, 0.1);
  // torchdistill with alpha set is kd's defaults; without alpha it drops T² and the hard term.
  assert.deepEqual(
    { ...kd.definition.defaults, ...kdPresets.torchdistill },
    kd.definition.defaults,
  );
  const withAlpha = soft('torchdistill'); // 0.5·T²·KL
  const withoutAlpha = soft('torchdistill-soft-only'); // KL
  assert.ok(Math.abs(withAlpha - 0.5 * T ** 2 * withoutAlpha) <= 1e-5 * withAlpha);
  t.dispose();
});

test('the gradient of each term reaches the student logits (finite, non-zero)', () => {
  checkGradientReachesStudent(kd, {}, ['hard', 'soft']);
});

test('no tensor leak, inside or outside tf.tidy', () => {
  checkNoLeak(kd);
});
