// The moving average of the weights in the loop, on a real MNIST slice: after training the model
// holds the average of the live weights of every step (float64 reference, TensorFlow's warm-up),
// the validation scores and the kept epoch are the average's, training continued over two fit()
// calls with the same average equals one run (tune's rungs), and no tensor leaks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../tf.ts';
import { loadMnist } from '../data/index.ts';
import { createMlp } from '../models/index.ts';
import { accuracyOf } from '../eval/metrics.ts';
import { fit, trainableVariables, weightAverageFor, type TrainingRecipe } from './loop.ts';
import { createOptimizer } from './optimizers.ts';
import { supervisedStep } from './train-model.ts';
import { WeightAverage } from './weight-average.ts';

await tf.setBackend('cpu');
const data = await loadMnist({ trainLimit: 500, testLimit: 10, validationSize: 100 });
const inputShape = [28, 28, 1];
const model = (seed = 1) => createMlp({ inputShape, hidden: [16], classes: 10, seed });
const recipe: TrainingRecipe = { weightAverage: { decay: 0.9 }, maxNorm: 2 };
const base = { train: data.train, inputShape, batchSize: 100, seed: 4 };

const weightsOf = (m: ReturnType<typeof model>) =>
  trainableVariables(m).map((v) => Float64Array.from(v.dataSync()));

test('the decay warms up as TensorFlow does: min(decay, (1 + t) / (10 + t))', () => {
  const average = new WeightAverage(0.999, []);
  assert.equal(average.decayAt(0), 0.1);
  assert.equal(average.decayAt(90), 91 / 100);
  assert.equal(average.decayAt(1e6), 0.999);
});

test('after training, the model holds the average of the live weights of every step', async () => {
  const m = model();
  const optimizer = createOptimizer({ name: 'adam', learningRate: 0.01 });
  let shadow = weightsOf(m); // float64 reference, from the initial weights
  let step = 0;
  await fit({
    ...base,
    model: m,
    step: supervisedStep(m),
    optimizer,
    epochs: 2,
    recipe,
    // Called after each update (and max-norm) with the live weights in the model.
    onBatchEnd: () => {
      const d = Math.min(0.9, (1 + step) / (10 + step));
      const live = weightsOf(m);
      shadow = shadow.map((s, i) => s.map((x, j) => d * x + (1 - d) * live[i][j]));
      step++;
    },
  });
  assert.equal(step, 8); // 400 training images in batches of 100, 2 epochs
  const ended = weightsOf(m);
  let worst = 0;
  ended.forEach((w, i) =>
    w.forEach((x, j) => (worst = Math.max(worst, Math.abs(x - shadow[i][j])))),
  );
  assert.ok(worst < 1e-5, `largest difference from the float64 average ${worst}`);
  optimizer.dispose();
  m.dispose();
});

test('validation scores the average (not the live weights), and the best epoch kept is its average', async () => {
  const m = model(2);
  const probe = model(2); // holds each epoch's average, for scoring it independently
  const optimizer = createOptimizer({ name: 'adam', learningRate: 0.01 });
  const accuracy = (x: typeof m) => accuracyOf(x, data.validation!, inputShape);
  let liveDiffers = false;
  const { history, bestEpoch } = await fit({
    ...base,
    model: m,
    step: supervisedStep(m),
    optimizer,
    epochs: 4,
    validation: data.validation,
    recipe,
    onEpochEnd: (record, state) => {
      probe.setWeights(state.average!);
      assert.equal(record.validationAccuracy, accuracy(probe), `epoch ${record.epoch}`);
      liveDiffers ||= accuracy(m) !== record.validationAccuracy; // the model holds the live weights here
    },
  });
  assert.ok(liveDiffers, 'the live weights scored as the average on every epoch: no test');
  const best = Math.max(...history.map((r) => r.validationAccuracy!));
  assert.equal(history[bestEpoch - 1].validationAccuracy, best);
  assert.equal(accuracy(m), best);
  optimizer.dispose();
  m.dispose();
  probe.dispose();
});

test('continued over two fit() calls with the same average, training equals one run', async () => {
  const run = async (split: boolean) => {
    const m = model(3);
    const optimizer = createOptimizer({ name: 'adam', learningRate: 0.01 });
    const common = { ...base, model: m, step: supervisedStep(m), optimizer, epochs: 3, recipe };
    if (split) {
      const average = weightAverageFor(m, recipe)!;
      const first = await fit({ ...common, stopAfterEpoch: 1, average, restoreBest: false });
      await fit({ ...common, startEpoch: 1, history: first.history, average, restoreBest: false });
      average.dispose();
    } else {
      await fit({ ...common, restoreBest: false });
    }
    const bytes = Buffer.concat(m.getWeights().map((t) => Buffer.from(t.dataSync().buffer)));
    optimizer.dispose();
    m.dispose();
    return bytes;
  };
  assert.ok((await run(true)).equals(await run(false)), 'the continued run differs');
});

test('no tensor leaks: fits with an average leave tf.memory().numTensors where it was', async () => {
  const m = model(4);
  const optimizer = createOptimizer({ name: 'adam', learningRate: 0.01 });
  const run = () =>
    fit({
      ...base,
      model: m,
      step: supervisedStep(m),
      optimizer,
      epochs: 2,
      validation: data.validation,
      recipe,
    });
  await run(); // the optimizer creates its slots once
  const before = tf.memory().numTensors;
  for (let i = 0; i < 3; i++) await run();
  assert.equal(tf.memory().numTensors, before);
  optimizer.dispose();
  m.dispose();
});
