// What every stage of a job shares: the validated config, the backend, the run folder, the
// dataset, event sinks, and the records stages add as they finish (models, stage results,
// metrics). `openRun` makes one; `run`, `distill`, `born-again` and `tune` all start here.
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { LayersModel } from '../tf.ts';
import type { RunConfig } from '../config.ts';
import { datasetRefOf, loadDataset, type Dataset, type SplitName } from '../data/index.ts';
import { selectBackend, type BackendInfo } from '../backend/index.ts';
import { usageError } from '../errors.ts';
import type { BatchInfo, EpochRecord } from '../train/loop.ts';
import type {
  AutoTuneOutcome,
  RunCommand,
  RunResults,
  StageName,
  StageResult,
} from '../run/record.ts';
import { createRunDir, runFiles, writeMetrics, writeStart } from '../run/folder.ts';

export interface PipelineEvents {
  onInfo?(message: string): void;
  onStageStart?(
    stage: StageName,
    info: { epochs: number; startEpoch: number; batches: number },
  ): void;
  onBatchEnd?(stage: StageName, info: BatchInfo): void;
  onEpochEnd?(stage: StageName, record: EpochRecord): void;
  onStageEnd?(stage: StageName, info: StageResult): void;
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
  /** The automatic choice of temperature and weights, once the students' stages made it. */
  autoTune?: AutoTuneOutcome;
  started: number;
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
  /** A new folder to write the run into (default: a timestamped one under config.outDir). */
  runDir?: string;
}

export async function openRun(options: OpenRunOptions): Promise<RunContext> {
  const started = performance.now();
  const { config, command, events = {} } = options;
  const backend = await selectBackend(config.backend, { threads: config.threads });
  events.onInfo?.(`backend: ${backend.description}, ${backend.threads} thread(s)`);

  const runDir = options.resumeDir
    ? resolve(options.resumeDir)
    : options.runDir
      ? newRunDir(options.runDir)
      : createRunDir(config.outDir, options.prefix);
  if (options.resumeDir && existsSync(join(runDir, runFiles.results))) {
    throw usageError(
      `${runDir} already finished (results.json exists): start a new run instead of --resume`,
    );
  }
  if (!options.resumeDir) {
    writeStart(runDir, {
      command,
      teacherDirs: options.teacherDirs?.map((d) => resolve(d)),
      config,
    });
  }
  events.onInfo?.(`run folder: ${runDir}`);

  const data = await loadDataset({ ...datasetRefOf(config), splits: options.splits });
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
  };
}

/** Persists the per-epoch metrics of every stage so far. */
export function saveMetrics(ctx: RunContext): void {
  writeMetrics(ctx.runDir, ctx.metrics as Record<string, EpochRecord[]>);
}

/** Creates the given run folder; refuses one that already holds a run. */
function newRunDir(dir: string): string {
  const path = resolve(dir);
  if (existsSync(join(path, runFiles.config)))
    throw usageError(`${path} already holds a run: continue it with --resume or pick a new folder`);
  mkdirSync(path, { recursive: true });
  return path;
}
