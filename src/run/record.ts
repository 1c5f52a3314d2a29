// The run record: what a finished run folder says about itself (results.json), the stage names,
// and the version that wrote it. Computed once by the pipeline and read by report, export, serve
// and compare; nothing that reads it imports the pipeline.
import { readFileSync } from 'node:fs';
import type { RunConfig } from '../config.ts';
import type { BackendInfo } from '../backend/index.ts';
import type { Environment } from '../eval/environment.ts';
import type { EpochRecord } from '../train/loop.ts';
import type { ModelEvaluation } from '../eval/evaluate.ts';
import type { DataSpec } from '../data/spec.ts';
import type { TeacherRecord } from '../teachers/teacher.ts';
import type { GainVerdict } from '../eval/seed-stats.ts';
import type { TeacherCheck } from '../pipeline/teacher-check.ts';
import type { AutoTuneRecord } from '../tune/auto.ts';

export const VERSION: string = JSON.parse(
  readFileSync(new URL('../../package.json', import.meta.url), 'utf8'),
).version;

export const stageNames = ['teacher', 'scratch', 'distilled'] as const;
/** 'teacher' | 'scratch' | 'distilled', or 'generation-<k>' in born-again runs. */
export type StageName = (typeof stageNames)[number] | `generation-${number}`;

/** Which job a run folder holds. */
export type RunCommand = 'run' | 'train-teacher' | 'distill' | 'born-again' | 'tune';

export interface StageResult {
  /** 'trained' in this run, 'resumed' from a checkpoint, 'loaded' from a saved model. */
  source: 'trained' | 'resumed' | 'loaded';
  epochs: number;
  /** The epoch whose weights were kept: the best validation epoch, or the last with keepEpoch 'last'. */
  bestEpoch?: number;
  /** Set when the stage kept its last epoch (keepEpoch 'last') rather than its best. */
  keepEpoch?: 'last';
  seconds: number;
  history: EpochRecord[];
  modelDir: string;
}

export interface DatasetRecord {
  name: string;
  source: string;
  preprocessing: string;
  train: number;
  validation: number;
  test: number;
  classes: number;
  /** Class index → name (index order = the source's convention). */
  classNames?: string[];
  /** Inputs as data (shape, dtype, preprocessing): what export and the demo apply. */
  spec?: DataSpec;
  /** Unlabelled examples (--transfer-set) added to the distilled student's training set. */
  transferSet?: number;
}

export interface RunResults {
  distillery: string;
  createdAt: string;
  runDir: string;
  command: string;
  config: RunConfig;
  backend: BackendInfo;
  /** Node, tfjs and OpenBLAS versions and the machine (cores, CPU model). */
  environment?: Environment;
  dataset: DatasetRecord;
  /** What the teacher was (kind, source, its own input), when not trained in this run too. */
  teacher?: TeacherRecord;
  method: { name: string; paper?: string; params: Record<string, unknown> };
  stages: Partial<Record<StageName, Omit<StageResult, 'history'>>>;
  /** The automatic choice of temperature and weights, when it ran (or why it was skipped). */
  autoTune?: AutoTuneOutcome;
  /** Teacher against the scratch student on validation, measured before the distilled stage. */
  teacherCheck?: TeacherCheck;
  evaluation: { split: 'test'; reference?: string; rows: ModelEvaluation[] };
  summary: {
    teacherAccuracy?: number;
    scratchAccuracy?: number;
    distilledAccuracy?: number;
    /** Born-again runs: test accuracy of generations 1…n. */
    generationAccuracies?: number[];
    /**
     * distilled − scratch test accuracy (positive = distillation helped); in born-again runs,
     * last generation − teacher (the same architecture trained without distillation).
     */
    distillationGain?: number;
    /** The gain with its seed-noise verdict (one seed here: it says one seed cannot tell). */
    verdict?: GainVerdict;
    /** teacher parameters / student parameters. */
    compression?: number;
  };
  seconds: number;
}

/** The automatic choice's record, or why it did not search. */
export interface AutoTuneOutcome {
  record?: AutoTuneRecord;
  skipped?: string;
}

/** What config.json holds from the first moment of a run (for --resume and repeats). */
export interface StartRecord {
  command: RunCommand;
  teacherDirs?: string[];
  config: RunConfig;
}
