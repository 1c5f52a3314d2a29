// The loop with a training recipe, on a real MNIST slice: the rate used is recorded per epoch, an
// interrupted-and-resumed run equals an uninterrupted one, max-norm holds after training, early
// stopping stops, label smoothing reaches the hard term, and no tensor leaks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../tf.ts';
import { loadMnist } from '../data/index.ts';
import { createMlp } from '../models/index.ts';
import { fit, trainableVariables, type EpochRecord, type TrainingRecipe } from './loop.ts';
import { createOptimizer } from './optimizers.ts';
import { supervisedStep } from './train-model.ts';
import { learningRateAt } from './lr-schedule.ts';

await tf.setBackend('cpu');
const data = await loadMnist({ trainLimit: 500, testLimit: 10, validationSize: 100 });
const inputShape = [28, 28, 1];
const model = (seed = 1) => createMlp({ inputShape, hidden: [16], classes: 10, seed });
const recipe: TrainingRecipe = {
  schedule: { shape: 'cosine', per: 'step', warmupEpochs: 1 },
  clipNorm: 1,
  l2: { rate: 1e-3, exclude: 'biases-and-norms' },
  maxNorm: 1.5,
};
const base = { train: data.train, inputShape, batchSize: 100, seed: 4, restoreBest: false };

test('the mean rate of each epoch is recorded in the history', async () => {
  const m = model();
  const optimizer = createOptimizer({ name: 'momentum', learningRate: 0.05 });
  const { history } = await fit({
    ...base,
    model: m,
    step: supervisedStep(m),
    optimizer,
    epochs: 3,
    recipe,
  });
  history.forEach((r) => {
    let sum = 0;
    for (let b = 0; b < 4; b++)
      sum += learningRateAt(0.05, recipe.schedule, {
        epoch: r.epoch,
        epochs: 3,
        batch: b,
        batches: 4,
      });
    assert.ok(Math.abs(r.learningRate! - sum / 4) < 1e-12, `epoch ${r.epoch}`);
  });
  assert.ok(history[0].learningRate! < history[1].learningRate!, 'warm-up rises');
  assert.ok(history[2].learningRate! < history[1].learningRate!, 'cosine falls');
  optimizer.dispose();
  m.dispose();
});

test('resumed after epoch 1 of 3, the weights equal an uninterrupted run (schedule from the position)', async () => {
  const train = async (split: boolean) => {
    const m = model(2);
    const optimizer = createOptimizer({ name: 'momentum', learningRate: 0.05 });
    const common = {
      ...base,
      model: m,
      step: supervisedStep(m, { labelSmoothing: 0.1 }),
      optimizer,
      recipe,
    };
    if (split) {
      // Killed after epoch 1 of 3 (the stage's total is 3 either way), then resumed.
      const history: EpochRecord[] = [];
      await assert.rejects(
        fit({
          ...common,
          epochs: 3,
          onEpochEnd: (r) => {
            history.push(r);
            throw new Error('killed');
          },
        }),
        /killed/,
      );
      await fit({ ...common, epochs: 3, startEpoch: 1, history });
    } else {
      await fit({ ...common, epochs: 3 });
    }
    const weights = m.getWeights().map((w) => Array.from(w.dataSync()));
    optimizer.dispose();
    m.dispose();
    return weights;
  };
  assert.deepEqual(await train(true), await train(false));
});

test('after training with max-norm c, no unit has incoming weights of norm above c', async () => {
  const m = model(3);
  const optimizer = createOptimizer({ name: 'adam', learningRate: 0.05 });
  await fit({
    ...base,
    model: m,
    step: supervisedStep(m),
    optimizer,
    epochs: 1,
    recipe: { maxNorm: 0.5 },
  });
  for (const v of trainableVariables(m).filter((v) => v.shape.length === 2)) {
    const norms = tf.tidy(() => tf.sqrt(tf.sum(tf.square(v), 0)).dataSync());
    norms.forEach((n) => assert.ok(n <= 0.5 + 1e-5, `${v.name}: norm ${n}`));
  }
  // Without the constraint the same training exceeds the bound (the test can fail).
  const free = model(3);
  const opt2 = createOptimizer({ name: 'adam', learningRate: 0.05 });
  await fit({ ...base, model: free, step: supervisedStep(free), optimizer: opt2, epochs: 1 });
  const maxFree = Math.max(
    ...trainableVariables(free)
      .filter((v) => v.shape.length === 2)
      .flatMap((v) => Array.from(tf.tidy(() => tf.sqrt(tf.sum(tf.square(v), 0)).dataSync()))),
  );
  assert.ok(maxFree > 0.5, `unconstrained max norm ${maxFree}`);
  [optimizer, opt2].forEach((o) => o.dispose());
  [m, free].forEach((x) => x.dispose());
});

test('early stopping: a run that cannot improve stops after `patience` epochs', async () => {
  const m = model(4);
  const optimizer = createOptimizer({ name: 'sgd', learningRate: 0.05 });
  const result = await fit({
    ...base,
    model: m,
    step: supervisedStep(m),
    optimizer,
    validation: data.validation,
    epochs: 10,
    // Rate 0 from the start: the validation accuracy never changes.
    recipe: { learningRate: 0, earlyStopping: { patience: 2 } },
  });
  assert.equal(result.history.length, 3);
  assert.equal(result.stoppedEarly, 3);
  optimizer.dispose();
  m.dispose();
});

test('numTensors is flat across epochs with every recipe option on', async () => {
  const m = model(5);
  const optimizer = createOptimizer({ name: 'adamw', learningRate: 0.01, weightDecay: 0.01 });
  const run = (epochs: number, startEpoch: number) =>
    fit({
      ...base,
      model: m,
      step: supervisedStep(m, { labelSmoothing: 0.1 }),
      optimizer,
      epochs,
      startEpoch,
      recipe,
    });
  await run(1, 0); // creates the optimizer's slots
  const before = tf.memory().numTensors;
  await run(3, 1);
  assert.equal(tf.memory().numTensors, before);
  optimizer.dispose();
  m.dispose();
});

test("keepEpoch 'last' ends with the last epoch's weights, the default with the best epoch's", async () => {
  const train = async (keepEpoch?: 'best' | 'last') => {
    const m = model(3);
    // A rate high enough that the validation accuracy falls in some epoch: best ≠ last.
    const optimizer = createOptimizer({ name: 'momentum', learningRate: 3 });
    const snapshots: Float32Array[] = [];
    const weights = () => Float32Array.from(trainableVariables(m)[0].dataSync());
    const result = await fit({
      ...base,
      restoreBest: undefined,
      validation: data.validation,
      model: m,
      step: supervisedStep(m),
      optimizer,
      epochs: 6,
      recipe: { keepEpoch },
      onEpochEnd: () => void snapshots.push(weights()),
    });
    const end = weights();
    optimizer.dispose();
    m.dispose();
    return { result, snapshots, end };
  };
  const best = await train();
  const accuracies = best.result.history.map((r) => r.validationAccuracy!);
  const argmax = accuracies.indexOf(Math.max(...accuracies)) + 1;
  // The setting is chosen so that the best epoch is not the last (else the test proves nothing).
  assert.notEqual(argmax, 6, `validation accuracies ${accuracies}`);
  assert.equal(best.result.bestEpoch, argmax);
  assert.deepEqual(best.end, best.snapshots[argmax - 1]);

  const last = await train('last');
  assert.deepEqual(
    last.result.history.map((r) => r.validationAccuracy),
    accuracies,
    'same training; validation is still logged',
  );
  assert.equal(last.result.bestEpoch, 6);
  assert.deepEqual(last.end, last.snapshots[5]);
  assert.notDeepEqual(last.end, best.end);
});
