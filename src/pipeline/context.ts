// What every stage of a job shares: the validated config, the backend, the run folder, the
// dataset, event sinks, and the records stages add as they finish (models, stage results,
// metrics). `openRun` makes one; `run`, `distill`, `born-again` and `tune` all start here.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { LayersModel } from '../tf.ts';
import type { RunConfig } from '../config.ts';
import { datasetRefOf, loadDataset, type Dataset, type SplitName } from '../data/index.ts';
import { selectBackend, type BackendInfo } from '../backend/index.ts';
import { usageError } from '../errors.ts';
import type { BatchInfo, EpochRecord } from '../train/loop.ts';
import type { RunCommand, RunResults, StageName, StageResult } from '../run/record.ts';
import { writeMetrics } from '../run/folder.ts';
import { openRunDir, type OpenRun } from './run-dir.ts';

export interface PipelineEvents {
  onInfo?(message: string): void;
  onStageStart?(
    stage: StageName,
    info: { epochs: number; startEpoch: number; batches: number },
  ): void;
  onBatchEnd?(stage: StageName, info: BatchInfo): void;
  onEpochEnd?(stage: StageName, record: EpochRecord): void;
  onStageEnd?(stage: StageName, info: StageResult): void;
  /** The run folder, once created (or locked for --resume). */
  onRunDir?(dir: string, info: { resumed: boolean }): void;
}

export interface RunContext {
  config: RunConfig;
  command: RunCommand;
  backend: BackendInfo;
  runDir: string;
  data: Dataset;
  events: PipelineEvents;
  /** Models of the stages done so far (trained, resumed or loaded). */
  models: Partial<Record<StageName, LayersModel>>;
  stages: RunResults['stages'];
  metrics: Partial<Record<StageName, EpochRecord[]>>;
  started: number;
  /** Releases the run folder's lock; after a failure, removes it if nothing was saved yet. */
  close(failed: boolean): { removed: boolean };
}

export interface OpenRunOptions {
  config: RunConfig;
  command: RunCommand;
  /** Saved teacher(s), recorded in config.json so that --resume finds them. */
  teacherDirs?: string[];
  /** Existing run folder to continue. */
  resumeDir?: string;
  events?: PipelineEvents;
  /** Splits the job reads (tune never reads the test split). */
  splits?: SplitName[];
  /** Folder name prefix (e.g. 'tune-'). */
  prefix?: string;
}

export async function openRun(options: OpenRunOptions): Promise<RunContext> {
  const started = performance.now();
  const { config, command, events = {} } = options;
  const backend = await selectBackend(config.backend, { threads: config.threads });
  events.onInfo?.(`backend: ${backend.description}, ${backend.threads} thread(s)`);

  // Created race-free and locked (run-dir.ts); config.json is written at once.
  const run = openRunDir({
    outDir: config.outDir,
    resumeDir: options.resumeDir,
    prefix: options.prefix,
    record: { command, teacherDirs: options.teacherDirs?.map((d) => resolve(d)), config },
  });
  const runDir = run.dir;
  events.onRunDir?.(runDir, { resumed: run.resumed });
  events.onInfo?.(`run folder: ${runDir}`);

  let data: Dataset;
  try {
    data = await loadDataset({ ...datasetRefOf(config), splits: options.splits });
  } catch (e) {
    closeRun(run, events);
    throw e;
  }
  events.onInfo?.(
    `${data.name}: ${data.train.count} train / ${data.validation.count} validation / ${data.test.count} test`,
  );
  return {
    config,
    command,
    backend,
    runDir,
    data,
    events,
    models: {},
    stages: {},
    metrics: {},
    started,
    close: (failed) => (failed ? closeRun(run, events) : run.close(false)),
  };
}

/** After a failure: unlock, and remove the folder if it holds nothing worth resuming. */
function closeRun(run: OpenRun, events: PipelineEvents): { removed: boolean } {
  const closed = run.close(true);
  if (closed.removed) events.onInfo?.(`removed ${run.dir}: nothing was saved yet`);
  return closed;
}

/** Persists the per-epoch metrics of every stage so far. */
export function saveMetrics(ctx: RunContext): void {
  writeMetrics(ctx.runDir, ctx.metrics as Record<string, EpochRecord[]>);
}
