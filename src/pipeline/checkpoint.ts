// Per-epoch checkpoints of one training stage: model weights, optimizer state, the epoch history,
// the best epoch's weights and the moving average of the weights (when the recipe keeps one). Each checkpoint is written to a fresh folder and then published by
// an atomic rewrite of state.json, so a kill at any moment loses at most the epoch in progress.
// Each checkpoint folder is sealed with checksums (checksums.ts) and verified before a resume.
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { tf, type LayersModel, type Tensor } from '../tf.ts';
import { DTYPE_BYTES, loadModel, saveModel } from '../models/io.ts';
import { writeAtomic } from '../io/atomic.ts';
import {
  getOptimizerState,
  setOptimizerState,
  type NamedTensor,
} from '../train/optimizer-state.ts';
import type { EpochRecord } from '../train/loop.ts';
import { trainableVariables } from '../train/loop.ts';
import { ioError } from '../errors.ts';
import { sealFolder, verifyFolder } from './checksums.ts';

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

  /**
   * Writes the checkpoint of the last epoch in `history`: model, optimizer state (bit-exact, see
   * optimizer-state.ts), the method's own variables and the weights' moving average; `improved`
   * keeps this checkpoint as the best (its average, if there is one, is then the best weights).
   */
  async write(
    model: LayersModel,
    optimizer: tf.Optimizer,
    history: EpochRecord[],
    improved: boolean,
    variables: tf.Variable[] = [],
    average: Tensor[] = [],
  ) {
    const epoch = history.at(-1)?.epoch ?? 0;
    const previous = this.read();
    const latest = `epoch-${epoch}`;
    const folder = join(this.dir, latest);
    rmSync(folder, { recursive: true, force: true });
    mkdirSync(folder, { recursive: true });
    await saveModel(model, join(folder, 'model'));
    await saveOptimizer(optimizer, folder);
    if (variables.length > 0) {
      await saveTensors(
        folder,
        'variables',
        variables.map((v, i) => ({ name: `${i}`, tensor: v })),
      );
    }
    if (average.length > 0) {
      await saveTensors(
        folder,
        'average',
        average.map((tensor, i) => ({ name: `${i}`, tensor })),
      );
    }
    sealFolder(folder);
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

  /**
   * Loads the latest checkpoint into `model`, `optimizer` and the method's `variables`; returns
   * the state, the best weights and the moving average of the weights, if the run kept one.
   */
  async restore(
    model: LayersModel,
    optimizer: tf.Optimizer,
    variables: tf.Variable[] = [],
  ): Promise<{ state: CheckpointState; bestWeights?: Tensor[]; average?: Tensor[] } | undefined> {
    const state = this.read();
    if (!state) return undefined;
    const fix = `delete ${this.dir} to restart this stage from scratch`;
    verifyFolder(join(this.dir, state.latest), fix);
    if (state.best) verifyFolder(join(this.dir, state.best), fix);
    const saved = await this.loadCheckpointModel(join(this.dir, state.latest, 'model'));
    model.setWeights(saved.getWeights());
    saved.dispose();
    await loadOptimizer(optimizer, join(this.dir, state.latest));
    if (variables.length > 0) {
      const saved = loadTensors(join(this.dir, state.latest), 'variables');
      if (saved.length !== variables.length)
        throw ioError(
          `checkpoint ${join(this.dir, state.latest)} holds ${saved.length} method variables, the method has ${variables.length}: delete ${this.dir} to restart the stage`,
        );
      variables.forEach((v, i) => v.assign(saved[i].tensor));
      tf.dispose(saved.map((s) => s.tensor));
    }
    const averageOf = (folder: string) =>
      existsSync(join(this.dir, folder, 'average.json'))
        ? loadTensors(join(this.dir, folder), 'average').map((s) => s.tensor)
        : undefined;
    const average = averageOf(state.latest);
    let bestWeights: Tensor[] | undefined;
    // With a moving average, the best epoch's weights are its average (what was validated).
    if (state.best && average) bestWeights = averageOf(state.best);
    else if (state.best) {
      const best = await this.loadCheckpointModel(join(this.dir, state.best, 'model'));
      const bestVars = trainableVariables(best);
      bestWeights = bestVars.map((v) => tf.clone(v));
      best.dispose();
    }
    return { state, bestWeights, average };
  }

  /** A checkpoint's model; a damaged one is an io error that says how to restart the stage. */
  private async loadCheckpointModel(dir: string): Promise<LayersModel> {
    try {
      return await loadModel(dir);
    } catch (e) {
      throw ioError(
        `checkpoint ${dir} is damaged (${(e as Error).message.replace(/; re-export the model$/, '')}): delete ${this.dir} to restart this stage from scratch`,
      );
    }
  }

  clear() {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Writes named tensors as `<name>.bin` + `<name>.json` (tfjs weight specs) in `folder`. */
async function saveTensors(folder: string, name: string, tensors: NamedTensor[]) {
  const { data, specs } = await tf.io.encodeWeights(tensors);
  writeAtomic(join(folder, `${name}.bin`), new Uint8Array(data as ArrayBuffer));
  writeAtomic(join(folder, `${name}.json`), JSON.stringify(specs));
}

/** Reads what saveTensors wrote; a missing or damaged file is an io error naming it. */
function loadTensors(folder: string, name: string): NamedTensor[] {
  const specsPath = join(folder, `${name}.json`);
  const binPath = join(folder, `${name}.bin`);
  const damaged = (path: string, why: string) =>
    ioError(
      `checkpoint file ${path} ${why}: delete ${dirname(folder)} to restart this stage from scratch`,
    );
  let specs: tf.io.WeightsManifestEntry[];
  let bytes: Buffer;
  try {
    specs = JSON.parse(readFileSync(specsPath, 'utf8'));
  } catch (e) {
    throw damaged(specsPath, existsSync(specsPath) ? 'is not valid JSON' : 'is missing');
  }
  try {
    bytes = readFileSync(binPath);
  } catch {
    throw damaged(binPath, 'is missing');
  }
  let map: tf.NamedTensorMap;
  try {
    const needed = specs.reduce(
      (a, s) => a + s.shape.reduce((x, y) => x * y, 1) * (DTYPE_BYTES[s.dtype] ?? NaN),
      0,
    );
    if (needed !== bytes.byteLength) throw new Error('size');
    map = tf.io.decodeWeights(
      bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer,
      specs,
    );
  } catch {
    throw damaged(binPath, `does not match ${specsPath} (truncated or corrupted)`);
  }
  return specs.map((s) => ({ name: s.name, tensor: map[s.name] }));
}

async function saveOptimizer(optimizer: tf.Optimizer, folder: string) {
  await saveTensors(folder, 'optimizer', await getOptimizerState(optimizer));
}

async function loadOptimizer(optimizer: tf.Optimizer, folder: string) {
  const state = loadTensors(folder, 'optimizer');
  await setOptimizerState(optimizer, state);
  tf.dispose(state.map((s) => s.tensor));
}
