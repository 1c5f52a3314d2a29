// Latency columns: reps of the models are interleaved with a rotating start (so load drift hits
// every model alike), each row carries its interquartile range, and two copies of one
// architecture measure the same within that spread.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../tf.ts';
import { createMlp } from '../models/index.ts';
import { loadMnist } from '../data/index.ts';
import { evaluate, measureLatencies } from './evaluate.ts';

await tf.setBackend('cpu');
const mlp = (seed: number) =>
  createMlp({ inputShape: [28, 28, 1], hidden: [32], classes: 10, seed });

test('reps are interleaved after the warm-up, the first model rotating each round', () => {
  const models = { a: mlp(1), b: mlp(2), c: mlp(3) };
  const order: string[] = [];
  for (const [name, m] of Object.entries(models)) {
    const predict = m.predict.bind(m);
    m.predict = ((x: tf.Tensor) => {
      order.push(name);
      return predict(x);
    }) as typeof m.predict;
  }
  const stats = measureLatencies(models, 1, 2);
  assert.deepEqual(order, [...'aaabbbccc', ...'abc', ...'bca']);
  for (const s of Object.values(stats)) {
    assert.equal(s.times.length, 2);
    assert.ok(s.q25 <= s.median && s.median <= s.q75);
  }
  Object.values(models).forEach((m) => m.dispose());
});

test('evaluate: every row has a spread; the same architecture measures alike', async () => {
  const data = await loadMnist({ trainLimit: 10, testLimit: 100, validationSize: 1 });
  const result = await evaluate({ models: { first: mlp(1), second: mlp(2) }, data: data.test });
  const [first, second] = result.rows;
  for (const r of result.rows) {
    const [lo, hi] = r.latencySpread!.batch1Ms;
    assert.ok(lo <= r.latencyBatch1Ms! && r.latencyBatch1Ms! <= hi, `${r.name}: median in IQR`);
  }
  // Loose on a shared machine: within a factor 2 of each other (a fixed order bias, e.g. the
  // first model always timed on a cold cache, shows up as more than that at batch 1).
  const ratio = first.latencyBatch1Ms! / second.latencyBatch1Ms!;
  assert.ok(ratio > 0.5 && ratio < 2, `same architecture, latency ratio ${ratio}`);
});
