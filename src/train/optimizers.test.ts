// AdamW against PyTorch's torch.optim.AdamW update written out by hand, and setLearningRate on
// every optimizer (what schedules call before each step).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../tf.ts';
import { AdamWOptimizer, createOptimizer, optimizerNames, setLearningRate } from './optimizers.ts';

await tf.setBackend('cpu');

test('AdamW: two steps equal PyTorch AdamW (w ← w(1 − lr·wd) − lr·m̂/(√v̂ + ε))', () => {
  const lr = 0.01;
  const wd = 0.1;
  const eps = 1e-7; // tfjs' float32 epsilon, which the optimizer uses by default
  const w0 = [1, -2, 0.5];
  const grads = [
    [0.3, -0.1, 2],
    [-0.2, 0.4, 1],
  ];
  const v = tf.variable(tf.tensor(w0), true, 'adamwRef');
  const opt = new AdamWOptimizer(lr, wd);
  for (const g of grads) {
    const t = tf.tensor(g);
    opt.applyGradients({ adamwRef: t } as never);
    t.dispose();
  }
  // The same in float64.
  let w = [...w0];
  const m = [0, 0, 0];
  const s = [0, 0, 0];
  grads.forEach((g, k) => {
    const step = k + 1;
    w = w.map((wi, i) => {
      m[i] = 0.9 * m[i] + 0.1 * g[i];
      s[i] = 0.999 * s[i] + 0.001 * g[i] * g[i];
      const mHat = m[i] / (1 - 0.9 ** step);
      const sHat = s[i] / (1 - 0.999 ** step);
      return wi * (1 - lr * wd) - (lr * mHat) / (Math.sqrt(sHat) + eps);
    });
  });
  v.dataSync().forEach((x, i) => assert.ok(Math.abs(x - w[i]) < 1e-6, `${x} vs ${w[i]}`));
  tf.dispose(v);
  opt.dispose();
});

test('AdamW with biases-and-norms excluded does not decay a rank-1 variable', () => {
  const bias = tf.variable(tf.tensor([1, 1]), true, 'adamwBias');
  const zero = tf.zeros([2]);
  const opt = new AdamWOptimizer(0.1, 0.5, 'biases-and-norms');
  opt.applyGradients({ adamwBias: zero } as never);
  assert.deepEqual(Array.from(bias.dataSync()), [1, 1]);
  const plain = new AdamWOptimizer(0.1, 0.5);
  plain.applyGradients({ adamwBias: zero } as never);
  assert.deepEqual(Array.from(bias.dataSync()), [0.95, 0.95].map(Math.fround));
  tf.dispose([bias, zero]);
  opt.dispose();
  plain.dispose();
});

test('setLearningRate changes the next update of every optimizer', () => {
  for (const name of optimizerNames) {
    const v = tf.variable(tf.tensor([1]), true, `lr-${name}`);
    const g = tf.tensor([1]);
    const opt = createOptimizer({ name, learningRate: 0.1, weightDecay: 0 });
    setLearningRate(opt, 0);
    opt.applyGradients({ [v.name]: g } as never);
    assert.deepEqual(Array.from(v.dataSync()), [1], `${name}: rate 0 must not move the weight`);
    setLearningRate(opt, 0.1);
    opt.applyGradients({ [v.name]: g } as never);
    assert.ok(v.dataSync()[0] < 1, `${name}: rate 0.1 must move it`);
    tf.dispose([v, g]);
    opt.dispose();
  }
});
