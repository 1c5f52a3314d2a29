// What every stage of a job shares: the validated config, the backend, the run folder, the
// dataset, event sinks, and the records stages add as they finish (models, stage results,
// metrics). `openRun` makes one; `run`, `distill`, `born-again` and `tune` all start here.
import type { LayersModel } from '../tf.ts';
import type { RunConfig } from '../config.ts';
import {
  datasetRefOf,
  loadDataset,
  type Dataset,
  type Split,
  type SplitName,
} from '../data/index.ts';
import { appendExamples, loadTransferSet, transferSetRefOf } from '../data/transfer-set.ts';
import { selectBackend, type BackendInfo } from '../backend/index.ts';
import type { BatchInfo, EpochRecord } from '../train/loop.ts';
import type {
  AutoTuneOutcome,
  RunCommand,
  RunResults,
  StageName,
  StageResult,
} from '../run/record.ts';
import { openRunDir, writeMetrics, type OpenRun } from '../run/folder.ts';
import { checkModels } from './preflight.ts';
import { resolveTeacherSpec } from '../teachers/load.ts';
import type { TeacherCheck } from './teacher-check.ts';

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
  /** Unlabelled examples (y = -1) of --transfer-set: only the distilled student trains on them. */
  transfer?: Split;
  /** The distilled student's training examples: data.train, then the transfer set if any. */
  distillTrain: Split;
  events: PipelineEvents;
  /** Models of the stages done so far (trained, resumed or loaded). */
  models: Partial<Record<StageName, LayersModel>>;
  stages: RunResults['stages'];
  metrics: Partial<Record<StageName, EpochRecord[]>>;
  /** The automatic choice of temperature and weights, once the students' stages made it. */
  autoTune?: AutoTuneOutcome;
  /** Teacher against the scratch student on validation, before the distilled stage. */
  teacherCheck?: TeacherCheck;
  started: number;
  /** The locked folder: `close(failed)` releases it (and removes it if nothing was saved). */
  folder: OpenRun;
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

/**
 * Opens (creates and locks, or locks to resume) the run folder, selects the backend, loads the
 * data and checks the models against it. On failure the folder is closed again (and removed if
 * nothing was saved); on success the caller closes `folder` when the job ends.
 */
export async function openRun(options: OpenRunOptions): Promise<RunContext> {
  const started = performance.now();
  const { config, command, events = {} } = options;
  const teacherDirs = options.teacherDirs?.map(resolveTeacherSpec); // URLs stay URLs
  const folder = openRunDir({
    outDir: config.outDir,
    prefix: options.prefix,
    dir: options.runDir,
    resumeDir: options.resumeDir,
    record: { command, teacherDirs, config },
  });
  const runDir = folder.dir;
  events.onRunDir?.(runDir, { resumed: folder.resumed });
  try {
    const backend = await selectBackend(config.backend, { threads: config.threads });
    events.onInfo?.(`backend: ${backend.description}, ${backend.threads} thread(s)`);
    events.onInfo?.(`run folder: ${runDir}`);

    const data = await loadDataset({ ...datasetRefOf(config), splits: options.splits });
    events.onInfo?.(
      `${data.name}: ${data.train.count} train / ${data.validation.count} validation / ${data.test.count} test`,
    );
    for (const note of data.notes ?? []) events.onInfo?.(`${data.name}: ${note}`);
    if (command !== 'tune') {
      for (const warning of await checkModels({ config, command, data, teacherDirs }))
        events.onInfo?.(warning);
    }
    // Unlabelled examples (y = -1) of --transfer-set join the distilled student's set only.
    const transferRef =
      options.splits?.includes('train') === false ? undefined : transferSetRefOf(config);
    const loaded = transferRef ? await loadTransferSet(transferRef, data) : undefined;
    // A source's own unlabelled examples (e.g. augmented texts) join the --transfer-set.
    const transfer =
      loaded && data.transfer ? appendExamples(loaded, data.transfer) : (loaded ?? data.transfer);
    if (transfer)
      events.onInfo?.(
        `transfer set: ${data.train.count} labelled + ${transfer.count} unlabelled examples for the distilled student`,
      );
    return {
      config,
      command,
      backend,
      runDir,
      data,
      transfer,
      distillTrain: transfer ? appendExamples(data.train, transfer) : data.train,
      events,
      models: {},
      stages: {},
      metrics: {},
      started,
      folder,
    };
  } catch (e) {
    if (folder.close(true).removed) events.onInfo?.(`removed ${runDir}: nothing saved yet`);
    throw e;
  }
}

/** Runs `job` in an opened run, closing the folder after it (removed if a failure saved nothing). */
export async function inRun<T>(ctx: RunContext, job: () => Promise<T>): Promise<T> {
  try {
    const result = await job();
    ctx.folder.close(false);
    return result;
  } catch (e) {
    if (ctx.folder.close(true).removed)
      ctx.events.onInfo?.(`removed ${ctx.runDir}: nothing saved yet`);
    throw e;
  }
}

/** Persists the per-epoch metrics of every stage so far. */
export function saveMetrics(ctx: RunContext): void {
  writeMetrics(ctx.runDir, ctx.metrics as Record<string, EpochRecord[]>);
}
