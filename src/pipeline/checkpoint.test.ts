// Checkpoints repeat: training interrupted after an epoch and resumed from its checkpoint (fresh
// model, fresh optimizer, as after a kill) ends with the same weight BYTES as uninterrupted
// training, for every optimizer, for a method with its own variables (FitNets' regressor) and for
// a recipe keeping a moving average of the weights.
// Damaged checkpoint files (checksum, size, missing) give one-line io errors naming the file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tf, type LayersModel } from '../tf.ts';
import { loadMnist, type Dataset } from '../data/index.ts';
import { buildModel } from '../models/index.ts';
import { fit, weightAverageFor, type TrainStep } from '../train/loop.ts';
import { createOptimizer, optimizerNames, type OptimizerName } from '../train/optimizers.ts';
import { supervisedStep } from '../train/train-model.ts';
import { Distiller } from '../distill/distiller.ts';
import { fitnets } from '../distill/methods/index.ts';
import { StageCheckpoints } from './checkpoint.ts';

await tf.setBackend('cpu');
const data: Dataset = await loadMnist({ trainLimit: 400, testLimit: 10, validationSize: 100 });
const EPOCHS = 3;

/** Every variable's bytes (model weights, then the step's own variables). */
function bytesOf(model: LayersModel, step: TrainStep): Buffer {
  const tensors = [...model.getWeights(), ...(step.variables ?? [])];
  return Buffer.concat(tensors.map((t) => Buffer.from(t.dataSync().buffer)));
}

/**
 * Trains for EPOCHS epochs; with `stopAfter`, throws after that epoch's checkpoint, then resumes
 * into a new model, step and optimizer, as a new process would. With `averageDecay`, keeps a moving
 * average of the weights as the pipeline's stages do.
 */
async function train(
  optimizerName: OptimizerName,
  makeStep: (student: LayersModel) => TrainStep,
  stopAfter?: number,
  averageDecay?: number,
): Promise<Buffer> {
  const dir = mkdtempSync(join(tmpdir(), 'distillery-ckpt-'));
  const checkpoints = new StageCheckpoints(dir);
  const attempt = async (stop?: number) => {
    const model = await buildModel('mlp:16', {
      inputShape: data.inputShape,
      classes: data.classes,
      dropout: 0.2,
      seed: 5,
      name: 'student',
    });
    const optimizer = createOptimizer({ name: optimizerName, learningRate: 0.01 });
    const step = makeStep(model);
    const restored = await checkpoints.restore(model, optimizer, step.variables);
    if (averageDecay !== undefined)
      assert.equal(restored?.average !== undefined, restored !== undefined);
    const recipe = averageDecay === undefined ? {} : { weightAverage: { decay: averageDecay } };
    const average = weightAverageFor(model, recipe, restored?.average);
    tf.dispose(restored?.average);
    try {
      await fit({
        model,
        step,
        optimizer,
        train: data.train,
        validation: data.validation,
        inputShape: data.inputShape,
        epochs: EPOCHS,
        batchSize: 64,
        seed: 3,
        startEpoch: restored?.state.epoch,
        history: restored?.state.history,
        bestWeights: restored?.bestWeights,
        average,
        onEpochEnd: async (record, state) => {
          await checkpoints.write(
            model,
            optimizer,
            state.history,
            state.improved,
            step.variables,
            state.average,
          );
          if (record.epoch === stop) throw new Error('killed');
        },
      });
      return bytesOf(model, step);
    } finally {
      average?.dispose();
      optimizer.dispose();
      model.dispose();
      tf.dispose(step.variables ?? []);
    }
  };
  try {
    if (stopAfter !== undefined) await assert.rejects(attempt(stopAfter), /killed/);
    return await attempt();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

for (const name of optimizerNames) {
  test(`${name}: stopped after epoch 1 and resumed, the weights are bit-identical`, async () => {
    const whole = await train(name, supervisedStep);
    const resumed = await train(name, supervisedStep, 1);
    assert.equal(resumed.length, whole.length);
    assert.ok(resumed.equals(whole), `${name}: resumed weights differ from uninterrupted ones`);
  });
}

test("a method's own variables (FitNets regressor) are checkpointed and restored exactly", async () => {
  const teacher = await buildModel('mlp:24', {
    inputShape: data.inputShape,
    classes: data.classes,
    seed: 9,
    name: 'teacher',
  });
  const method = fitnets({ studentLayer: '-2', teacherLayer: '-2', hintEpochs: 1 });
  const step = (student: LayersModel) =>
    new Distiller({ teacher, student, method, seed: 4 }).trainStep();
  const whole = await train('adam', step);
  const resumed = await train('adam', step, 2);
  assert.ok(resumed.equals(whole), 'resumed FitNets weights differ from uninterrupted ones');
  teacher.dispose();
});

test('a moving average of the weights is checkpointed: resumed after epoch 1 or 2, the bytes are identical', async () => {
  const whole = await train('adam', supervisedStep, undefined, 0.9);
  const plain = await train('adam', supervisedStep);
  assert.ok(!whole.equals(plain), 'the averaged run ends with other weights than the plain one');
  for (const stop of [1, 2]) {
    const resumed = await train('adam', supervisedStep, stop, 0.9);
    assert.ok(resumed.equals(whole), `resumed after epoch ${stop}: averaged weights differ`);
  }
});

test('a missing or truncated optimizer file is an io error naming it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'distillery-ckpt-'));
  const model = await buildModel('mlp:4', { inputShape: data.inputShape, classes: 10, seed: 1 });
  const optimizer = createOptimizer({ name: 'adam', learningRate: 0.01 });
  const checkpoints = new StageCheckpoints(dir);
  await fit({
    model,
    step: supervisedStep(model),
    optimizer,
    train: data.train,
    inputShape: data.inputShape,
    epochs: 1,
    batchSize: 200,
    seed: 1,
    onEpochEnd: (_r, s) => checkpoints.write(model, optimizer, s.history, s.improved),
  });
  const folder = join(dir, 'epoch-1');
  const restore = () =>
    checkpoints.restore(model, createOptimizer({ name: 'adam', learningRate: 0.01 }));
  const ioLine = (pattern: RegExp) => (e: Error & { kind?: string }) =>
    e.kind === 'io' && pattern.test(e.message) && !e.message.includes('\n');
  // Same length, other bytes: only the checksum can tell.
  const original = readFileSync(join(folder, 'optimizer.bin'));
  writeFileSync(join(folder, 'optimizer.bin'), Buffer.alloc(original.byteLength));
  await assert.rejects(restore(), ioLine(/optimizer\.bin is corrupted \(checksum mismatch\)/));
  writeFileSync(join(folder, 'model', 'model.json'), '{}');
  await assert.rejects(restore(), ioLine(/model\.json is corrupted/));
  // Without checksums (older checkpoints) sizes are still checked.
  rmSync(join(folder, 'checksums.json'));
  writeFileSync(join(folder, 'model', 'model.json'), '{}');
  await assert.rejects(restore(), ioLine(/checkpoint .*model is damaged/));
  rmSync(join(dir, 'epoch-1', 'model'), { recursive: true });
  await checkpoints.write(model, optimizer, [{ epoch: 1 } as never], false);
  rmSync(join(folder, 'checksums.json'));
  writeFileSync(join(folder, 'optimizer.bin'), Buffer.alloc(3));
  await assert.rejects(restore(), ioLine(/optimizer\.bin does not match/));
  rmSync(join(folder, 'optimizer.json'));
  await assert.rejects(restore(), ioLine(/optimizer\.json is missing/));
  optimizer.dispose();
  model.dispose();
  rmSync(dir, { recursive: true, force: true });
});
