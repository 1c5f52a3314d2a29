// One training stage of a run: build (or reload) the model, train it with a step through the
// shared loop with per-epoch checkpoints, save it, and record the result. Teacher, scratch,
// distilled and born-again generations are all this function with another step and seed.
import { join } from 'node:path';
import { tf, type LayersModel } from '../tf.ts';
import type { TrainingConfig } from '../config.ts';
import type { Split } from '../data/index.ts';
import { isModelDir, saveModel } from '../models/io.ts';
import { fit, weightAverageFor, type TrainStep } from '../train/loop.ts';
import { createOptimizer } from '../train/optimizers.ts';
import { stageTraining } from '../train/recipe.ts';
import { deriveSeed } from '../random.ts';
import type { StageName, StageResult } from '../run/record.ts';
import { readStageRecord, runFiles, writeStageRecord } from '../run/folder.ts';
import { StageCheckpoints } from './checkpoint.ts';
import { loadVerifiedModel, sealFolder } from './checksums.ts';
import { saveMetrics, type RunContext } from './context.ts';
import { primaryInput } from '../data/spec.ts';
import { writeTokenizerFile } from '../text/tokenizer-file.ts';

export interface StageSpec {
  stage: StageName;
  settings: TrainingConfig;
  /** A fresh, untrained model of the stage's architecture. */
  build(): Promise<LayersModel>;
  /** The step that trains it (supervised, or a Distiller's). */
  step(model: LayersModel): TrainStep | Promise<TrainStep>;
  /** Seed stream of shuffling, augmentation and dropout (scratch and distilled share 'student'). */
  seedKey: string;
  /** Training examples (default the dataset's train split; the distilled student's may add a transfer set). */
  train?: Split;
}

/** Runs one stage, or reloads it if a previous attempt of this run folder finished it. */
export async function runStage(ctx: RunContext, spec: StageSpec): Promise<LayersModel> {
  const { stage } = spec;
  const modelDir = join(ctx.runDir, runFiles.model(stage));
  let model: LayersModel;
  let result: StageResult;
  if (isModelDir(modelDir)) {
    model = await loadVerifiedModel(
      modelDir,
      `delete ${modelDir} to train the ${stage} stage again`,
    );
    result = {
      ...(readStageRecord(ctx.runDir, stage) ?? emptyStage(modelDir)),
      modelDir, // where it is now: the record names where it was saved (the folder may have moved)
      source: 'loaded' as const,
    };
  } else {
    model = await spec.build();
    result = await trainStage(ctx, spec, model, modelDir);
  }
  ctx.models[stage] = model;
  ctx.metrics[stage] = result.history;
  const { history: _history, ...rest } = result;
  ctx.stages[stage] = rest;
  saveMetrics(ctx);
  writeStageRecord(ctx.runDir, stage, result);
  ctx.events.onStageEnd?.(stage, result);
  return model;
}

async function trainStage(
  ctx: RunContext,
  spec: StageSpec,
  model: LayersModel,
  modelDir: string,
): Promise<StageResult> {
  const { stage, settings } = spec;
  const { config, data, events } = ctx;
  const checkpoints = new StageCheckpoints(join(ctx.runDir, runFiles.checkpoints(stage)));
  const training = stageTraining(settings);
  const optimizer = createOptimizer(training.optimizer);
  const step = await spec.step(model); // before the restore: its own variables are checkpointed too
  const restored = await checkpoints.restore(model, optimizer, step.variables);
  const startEpoch = restored?.state.epoch ?? 0;
  const average = weightAverageFor(model, training.recipe, restored?.average);
  tf.dispose(restored?.average);
  if (restored)
    events.onInfo?.(`${stage}: resuming after epoch ${startEpoch} from ${checkpoints.dir}`);
  events.onStageStart?.(stage, {
    epochs: settings.epochs,
    startEpoch,
    batches: Math.ceil((spec.train ?? data.train).count / config.batchSize),
  });
  const t0 = performance.now();
  const result = await fit({
    model,
    step,
    optimizer,
    train: spec.train ?? data.train,
    validation: data.validation,
    inputShape: data.inputShape,
    epochs: settings.epochs,
    batchSize: config.batchSize,
    // Scratch and distilled students share this seed: same init, order and dropout.
    seed: deriveSeed(config.seed, spec.seedKey),
    shiftPixels: settings.shiftPixels,
    recipe: training.recipe,
    startEpoch,
    history: restored?.state.history,
    bestWeights: restored?.bestWeights,
    average,
    onBatchEnd: (info) => events.onBatchEnd?.(stage, info),
    onEpochEnd: async (record, state) => {
      ctx.metrics[stage] = state.history;
      saveMetrics(ctx);
      await checkpoints.write(
        model,
        optimizer,
        state.history,
        state.improved,
        step.variables,
        state.average,
      );
      events.onEpochEnd?.(stage, record);
    },
  });
  optimizer.dispose();
  average?.dispose();
  await saveModel(model, modelDir);
  writeTokenizerFile(modelDir, ctx.data.spec);
  sealFolder(modelDir);
  checkpoints.clear();
  return {
    source: restored ? 'resumed' : 'trained',
    epochs: settings.epochs,
    bestEpoch: result.bestEpoch,
    ...(settings.keepEpoch === 'last' ? { keepEpoch: 'last' as const } : {}),
    seconds: (performance.now() - t0) / 1000,
    history: result.history,
    modelDir,
  };
}

/** Build options of a stage's model: the data's shape and classes, the stage's regularisation. */
export function buildOptions(
  ctx: RunContext,
  settings: TrainingConfig,
  role: string,
  seedKey = role,
) {
  return {
    inputShape: ctx.data.inputShape,
    classes: ctx.data.classes,
    dropout: settings.dropout,
    inputDropout: settings.inputDropout,
    seed: deriveSeed(ctx.config.seed, seedKey, 'init'),
    name: role,
    input: primaryInput(ctx.data.spec),
  };
}

function emptyStage(modelDir: string): StageResult {
  return { source: 'loaded', epochs: 0, seconds: 0, history: [], modelDir };
}
