// The transformer encoder custom layers against a plain-JS reference of the same equations
// (PyTorch's post-norm nn.TransformerEncoderLayer with relu, padding keys masked), save / load
// round trip, gradients reaching every weight, and no tensor leak per training step.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tf } from '../tf.ts';
import { createRng } from '../random.ts';
import { MaskedMeanPooling, TransformerEncoderLayer } from './transformer.ts';
import { createTransformer } from './text.ts';
import { loadModel, saveModel } from './io.ts';
import type { InputSpec } from '../data/spec.ts';

await tf.setBackend('cpu');

type M = number[][];
const matmul = (a: M, b: M): M =>
  a.map((row) => b[0].map((_, j) => row.reduce((s, v, k) => s + v * b[k][j], 0)));
const addRow = (a: M, b: number[]): M => a.map((r) => r.map((v, j) => v + b[j]));
const addM = (a: M, b: M): M => a.map((r, i) => r.map((v, j) => v + b[i][j]));
const layerNormRef = (a: M, g: number[], be: number[], eps: number): M =>
  a.map((r) => {
    const mean = r.reduce((s, v) => s + v, 0) / r.length;
    const variance = r.reduce((s, v) => s + (v - mean) ** 2, 0) / r.length;
    return r.map((v, j) => ((v - mean) / Math.sqrt(variance + eps)) * g[j] + be[j]);
  });

/** One example [L, d] through the encoder layer, weights by name. */
function encoderRef(x: M, tokens: number[], w: Record<string, number[] | M>, heads: number): M {
  const d = x[0].length;
  const dk = d / heads;
  const proj = (n: string) => addRow(matmul(x, w[`w${n}`] as M), w[`b${n}`] as number[]);
  const [q, k, v] = ['q', 'k', 'v'].map(proj);
  const context: M = x.map(() => new Array(d).fill(0));
  for (let h = 0; h < heads; h++) {
    for (let i = 0; i < x.length; i++) {
      const scores = x.map((_, j) => {
        let s = 0;
        for (let c = h * dk; c < (h + 1) * dk; c++) s += q[i][c] * k[j][c];
        return tokens[j] === 0 ? -Infinity : s / Math.sqrt(dk);
      });
      const max = Math.max(...scores);
      const e = scores.map((s) => Math.exp(s - max));
      const z = e.reduce((a, b) => a + b, 0);
      for (let j = 0; j < x.length; j++)
        for (let c = h * dk; c < (h + 1) * dk; c++) context[i][c] += (e[j] / z) * v[j][c];
    }
  }
  const attended = addRow(matmul(context, w.wo as M), w.bo as number[]);
  const x1 = layerNormRef(addM(x, attended), w.gamma1 as number[], w.beta1 as number[], 1e-5);
  const hidden = addRow(matmul(x1, w.w1 as M), w.b1 as number[]).map((r) =>
    r.map((v) => Math.max(0, v)),
  );
  const ff = addRow(matmul(hidden, w.w2 as M), w.b2 as number[]);
  return layerNormRef(addM(x1, ff), w.gamma2 as number[], w.beta2 as number[], 1e-5);
}

test('encoder layer equals the plain-JS reference (padding keys masked), tolerance 1e-4', () => {
  const [b, L, d, heads, ffn] = [2, 6, 8, 2, 12];
  const rng = createRng(7);
  const x = tf.tensor3d(
    Array.from({ length: b * L * d }, () => rng() * 2 - 1),
    [b, L, d],
  );
  const tokens = tf.tensor2d(
    [
      [5, 3, 9, 2, 0, 0],
      [4, 4, 1, 7, 8, 6],
    ],
    [b, L],
    'int32',
  );
  const layer = new TransformerEncoderLayer({ heads, ffn, seed: 3 });
  const out = layer.apply([x, tokens]) as tf.Tensor; // [b, L, d]
  // Non-trivial biases and norms, so that every weight matters in the comparison.
  layer.setWeights(
    layer.getWeights().map((t) => tf.add(t, tf.randomUniform(t.shape, -0.3, 0.3, 'float32', 11))),
  );
  const y = (layer.apply([x, tokens]) as tf.Tensor).arraySync() as number[][][];
  const w = Object.fromEntries(
    layer.weights.map((v, i) => [
      v.name.split('/').at(-1)!.replace(/_\d+$/, ''),
      layer.getWeights()[i].arraySync() as M,
    ]),
  );
  const xs = x.arraySync() as number[][][];
  const ts = tokens.arraySync() as number[][];
  let maxDiff = 0;
  for (let n = 0; n < b; n++) {
    const ref = encoderRef(xs[n], ts[n], w, heads);
    for (let i = 0; i < L; i++)
      for (let j = 0; j < d; j++) maxDiff = Math.max(maxDiff, Math.abs(ref[i][j] - y[n][i][j]));
  }
  assert.ok(maxDiff < 1e-4, `max |tfjs − reference| = ${maxDiff}`);
  // A padded position's content must not change the others' outputs.
  const x2 = x.arraySync() as number[][][];
  x2[0][5] = x2[0][5].map((v) => v + 10);
  const y2 = (layer.apply([tf.tensor3d(x2), tokens]) as tf.Tensor).arraySync() as number[][][];
  for (let i = 0; i < 4; i++)
    for (let j = 0; j < d; j++) assert.ok(Math.abs(y2[0][i][j] - y[0][i][j]) < 1e-5);
  tf.dispose([x, tokens, out]);
});

test('masked mean pooling averages non-padding positions only', () => {
  const x = tf.tensor3d([
    [
      [1, 2],
      [3, 4],
      [100, 100],
    ],
  ]);
  const tokens = tf.tensor2d([[7, 8, 0]], [1, 3], 'int32');
  const y = new MaskedMeanPooling({}).apply([x, tokens]) as tf.Tensor;
  assert.deepEqual(y.arraySync(), [[2, 3]]);
});

const input: InputSpec = {
  name: 'tokens',
  shape: [10],
  dtype: 'int32',
  preprocessing: {
    kind: 'tokens',
    length: 10,
    tokenizer: { type: 'char-ngrams', minN: 3, maxN: 5, buckets: 48, maxWordLength: 30 },
  },
};

test('transformer model: save / load round trip, gradients reach every weight, no leak per step', async () => {
  const model = createTransformer([[2], [16, 4, 32]], {
    inputShape: [10],
    classes: 2,
    input,
    seed: 2,
  });
  const tokens = tf.tensor2d(
    Array.from({ length: 40 }, (_, i) => (i % 7 === 0 ? 0 : (i * 13) % 50)),
    [4, 10],
    'int32',
  );
  const labels = tf.oneHot(tf.tensor1d([0, 1, 1, 0], 'int32'), 2);
  const dir = mkdtempSync(join(tmpdir(), 'distillery-transformer-'));
  try {
    const before = (model.predict(tokens) as tf.Tensor).arraySync() as number[][];
    await saveModel(model, dir);
    const loaded = await loadModel(dir);
    const after = (loaded.predict(tokens) as tf.Tensor).arraySync() as number[][];
    assert.deepEqual(after, before);
    const loss = () =>
      tf.losses.softmaxCrossEntropy(
        labels,
        model.apply(tokens, { training: true }) as tf.Tensor,
      ) as tf.Scalar;
    const { grads } = tf.variableGrads(
      loss,
      model.trainableWeights.map((w) => (w as unknown as { val: tf.Variable }).val),
    );
    for (const [name, g] of Object.entries(grads))
      assert.ok(tf.max(tf.abs(g)).dataSync()[0] > 0, `no gradient for ${name}`);
    tf.dispose(Object.values(grads));
    const optimizer = tf.train.adam(1e-3);
    const step = () => tf.dispose(optimizer.minimize(loss, true) ?? []);
    step();
    const count = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) step();
    assert.equal(tf.memory().numTensors, count);
    loaded.dispose();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
