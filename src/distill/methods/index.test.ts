// The registry: every method declares valid defaults (and presets), rejects an unknown parameter
// by name, and returns only finite scalar terms on random inputs (with a finite gradient).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf, type Tensor } from '../../tf.ts';
import { methodNames, methods } from './index.ts';
import { randomStep } from './testing.ts';

await tf.setBackend('cpu');

test('every registered method validates its own defaults and presets', () => {
  for (const name of methodNames) {
    const { definition } = methods[name];
    assert.equal(definition.name, name, 'registry key = definition name');
    assert.ok(definition.description && definition.paper, `${name}: description and paper`);
    const parsed = definition.schema.safeParse(definition.defaults);
    assert.ok(parsed.success, `${name}: defaults rejected: ${parsed.error?.message}`);
    for (const [preset, values] of Object.entries(definition.presets ?? {})) {
      const merged = definition.schema.safeParse({ ...definition.defaults, ...values });
      assert.ok(merged.success, `${name} preset ${preset}: ${merged.error?.message}`);
    }
  }
});

test('every registered method rejects an unknown parameter with a message naming it', () => {
  for (const name of methodNames) {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const factory = methods[name] as (p: Record<string, unknown>) => unknown;
    assert.throws(
      () => factory({ notAParam: 1 }),
      (error: Error) => error instanceof TypeError && /notAParam/.test(error.message),
      name,
    );
  }
});

test('every logit method returns only finite scalar terms and a finite gradient', () => {
  // Feature methods (taps) and methods with their own variables need a Distiller to build
  // them: their own tests run them through one.
  for (const name of methodNames.filter(
    (n) => !methods[n]().taps && !methods[n]().createVariables,
  )) {
    const method = methods[name]();
    for (const seed of [1, 2, 3]) {
      const t = randomStep(seed * 1009, [0.5, 3, 20][seed - 1]);
      const before = tf.memory().numTensors;
      const terms = method.losses(t);
      assert.ok(Object.keys(terms).length > 0, `${name}: no terms`);
      for (const [term, value] of Object.entries(terms)) {
        assert.equal(value.rank, 0, `${name}.${term}: rank ${value.rank}`);
        assert.ok(Number.isFinite(value.dataSync()[0]), `${name}.${term} = ${value.dataSync()[0]}`);
      }
      tf.dispose(Object.values(terms));
      assert.equal(tf.memory().numTensors, before, `${name}: tensors left behind`);
      const grad = tf.grad((s: Tensor) =>
        tf.addN(Object.values(method.losses({ ...t, studentLogits: s }))),
      )(t.studentLogits);
      assert.ok(grad.dataSync().every(Number.isFinite), `${name}: non-finite gradient`);
      grad.dispose();
      t.dispose();
    }
  }
});
