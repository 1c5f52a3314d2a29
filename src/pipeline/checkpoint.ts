// Per-epoch checkpoints of one training stage: model weights, optimizer state, the epoch history
// and the best epoch's weights. Each checkpoint is written to a fresh folder and then published by
// an atomic rewrite of state.json, so a kill at any moment loses at most the epoch in progress.
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tf, type LayersModel, type Tensor } from '../tf.ts';
import { loadModel, saveModel } from '../models/io.ts';
import { writeAtomic } from '../io/atomic.ts';
import type { EpochRecord } from '../train/loop.ts';
import { trainableVariables } from '../train/loop.ts';
import { ioError } from '../errors.ts';

export interface CheckpointState {
  epoch: number;
  history: EpochRecord[];
  /** Folder (relative to the stage's checkpoint dir) of the latest checkpoint. */
  latest: string;
  /** Folder holding the best epoch's model, if validation ran. */
  best?: string;
}

export class StageCheckpoints {
  constructor(readonly dir: string) {}

  get statePath() {
    return join(this.dir, 'state.json');
  }

  read(): CheckpointState | undefined {
    if (!existsSync(this.statePath)) return undefined;
    try {
      return JSON.parse(readFileSync(this.statePath, 'utf8')) as CheckpointState;
    } catch (e) {
      throw ioError(
        `checkpoint ${this.statePath} is unreadable (${(e as Error).message}); delete it to restart the stage`,
      );
    }
  }

  /** Writes epoch `state.epoch`'s checkpoint; `improved` also keeps these weights as the best. */
  async write(
    model: LayersModel,
    optimizer: tf.Optimizer,
    history: EpochRecord[],
    improved: boolean,
  ) {
    const epoch = history.at(-1)?.epoch ?? 0;
    const previous = this.read();
    const latest = `epoch-${epoch}`;
    const folder = join(this.dir, latest);
    rmSync(folder, { recursive: true, force: true });
    mkdirSync(folder, { recursive: true });
    await saveModel(model, join(folder, 'model'));
    await saveOptimizer(optimizer, folder);
    const best = improved ? latest : previous?.best;
    const state: CheckpointState = { epoch, history, latest, best };
    writeAtomic(this.statePath, JSON.stringify(state, null, 1));
    // Older checkpoints are no longer referenced: drop them (keep the best one).
    if (previous && previous.latest !== latest && previous.latest !== best) {
      rmSync(join(this.dir, previous.latest), { recursive: true, force: true });
    }
    if (previous?.best && previous.best !== best && previous.best !== latest) {
      rmSync(join(this.dir, previous.best), { recursive: true, force: true });
    }
  }

  /** Loads the latest checkpoint into `model` and `optimizer`; returns the state and best weights. */
  async restore(
    model: LayersModel,
    optimizer: tf.Optimizer,
  ): Promise<{ state: CheckpointState; bestWeights?: Tensor[] } | undefined> {
    const state = this.read();
    if (!state) return undefined;
    const saved = await loadModel(join(this.dir, state.latest, 'model'));
    model.setWeights(saved.getWeights());
    saved.dispose();
    await loadOptimizer(optimizer, join(this.dir, state.latest));
    let bestWeights: Tensor[] | undefined;
    if (state.best) {
      const best = await loadModel(join(this.dir, state.best, 'model'));
      const bestVars = trainableVariables(best);
      bestWeights = bestVars.map((v) => tf.clone(v));
      best.dispose();
    }
    return { state, bestWeights };
  }

  clear() {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

async function saveOptimizer(optimizer: tf.Optimizer, folder: string) {
  const weights = await optimizer.getWeights();
  const { data, specs } = await tf.io.encodeWeights(weights);
  writeAtomic(join(folder, 'optimizer.bin'), new Uint8Array(data as ArrayBuffer));
  writeAtomic(join(folder, 'optimizer.json'), JSON.stringify(specs));
}

async function loadOptimizer(optimizer: tf.Optimizer, folder: string) {
  const specs = JSON.parse(
    readFileSync(join(folder, 'optimizer.json'), 'utf8'),
  ) as tf.io.WeightsManifestEntry[];
  const bytes = readFileSync(join(folder, 'optimizer.bin'));
  const map = tf.io.decodeWeights(
    bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength),
    specs,
  );
  await optimizer.setWeights(specs.map((s) => ({ name: s.name, tensor: map[s.name] })));
}
