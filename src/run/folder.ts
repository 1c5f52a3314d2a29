// Reading and writing a run folder (runs/<timestamp>/): creating it, its config.json,
// results.json, metrics.json and per-stage records. The one place that knows the layout; every
// reader gives one-line errors: usage (2) for a folder that is not a run, io (6) for a damaged file.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve, sep } from 'node:path';
import { DistilleryError, ioError, usageError } from '../errors.ts';
import { writeAtomic } from '../io/atomic.ts';
import type { EpochRecord } from '../train/loop.ts';
import { validateConfig, type RunConfig } from '../config.ts';
import type { RunResults, StageName, StageResult, StartRecord } from './record.ts';
import { readRunRecord } from './run-dir.ts';

export { createRunDir, openRunDir, type OpenRun } from './run-dir.ts';

export const runFiles = {
  config: 'config.json',
  results: 'results.json',
  metrics: 'metrics.json',
  stage: (stage: StageName) => join('stages', `${stage}.json`),
  model: (stage: StageName | string) => join('models', stage),
  checkpoints: (stage: StageName) => join('checkpoints', stage),
};

function readJson<T>(path: string): T {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch (e) {
    throw ioError(`${path} is unreadable (${(e as Error).message.split('\n')[0]})`);
  }
}

/** Reads the config a run folder was started with (for --resume), --out where the folder is. */
export function readRunConfig(runDir: string): {
  config: RunConfig;
  command: StartRecord['command'];
  teacherDirs?: string[];
} {
  const saved = readRunRecord(runDir);
  let config: RunConfig;
  try {
    config = validateConfig(saved.config);
  } catch (e) {
    // The file is the run's own record: a config in it that does not validate is a damaged (or
    // hand-edited, or other-version) file, not a usage mistake of this command line.
    if (!(e instanceof DistilleryError) || e.kind !== 'usage') throw e;
    throw ioError(
      `${join(runDir, 'config.json')}: the recorded config does not validate (${e.message.replace(/^invalid config: /, '')}): it was edited or damaged; restore it or start the run again`,
    );
  }
  // A folder moved (or copied) away from its --out: its cache and siblings go beside it now, not
  // to the old place (which may be gone or read-only).
  const dir = resolve(runDir);
  if (!dir.startsWith(resolve(config.outDir) + sep)) config.outDir = dirname(dir);
  return {
    config,
    command: saved.command,
    teacherDirs: saved.teacherDirs,
  };
}

export function writeResults(runDir: string, results: RunResults): void {
  writeAtomic(join(runDir, runFiles.results), JSON.stringify(results, null, 2));
}

export function writeMetrics(runDir: string, metrics: Record<string, EpochRecord[]>): void {
  writeAtomic(join(runDir, runFiles.metrics), JSON.stringify(metrics, null, 1));
}

export function writeStageRecord(runDir: string, stage: StageName, result: StageResult): void {
  writeAtomic(join(runDir, runFiles.stage(stage)), JSON.stringify(result, null, 1));
}

export function readStageRecord(runDir: string, stage: StageName): StageResult | undefined {
  const path = join(runDir, runFiles.stage(stage));
  if (!existsSync(path)) return undefined;
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as StageResult;
  } catch {
    throw ioError(
      `${path} is unreadable: delete models/${stage} in the run folder to retrain that stage`,
    );
  }
}

export interface RunRecord {
  runDir: string;
  results: RunResults;
  /** Per-stage training history (empty for a stage that was loaded, not trained). */
  metrics: Record<string, EpochRecord[]>;
  /** config.json: the command that started the run and the saved teacher(s) it was given. */
  started: { command?: string; teacherDirs: string[] };
}

/** results.json of a finished run; one-line errors for anything that is not one. */
export function readResults(runDir: string): RunResults {
  const dir = resolve(runDir);
  if (!existsSync(dir)) throw usageError(`${runDir} does not exist (expected a run folder)`);
  if (!statSync(dir).isDirectory())
    throw usageError(`${runDir} is a file, not a run folder (runs/<timestamp>/)`);
  const resultsPath = join(dir, runFiles.results);
  if (!existsSync(resultsPath)) {
    if (existsSync(join(dir, runFiles.config))) {
      const started = readJson<{ command?: string }>(join(dir, runFiles.config));
      throw usageError(
        `${runDir} has no results.json: the run did not finish; continue it with 'distillery ${started.command ?? 'run'} --resume ${runDir}'`,
      );
    }
    throw usageError(`${runDir} is not a Distillery run folder (no results.json in it)`);
  }
  const results = readJson<RunResults>(resultsPath);
  if (
    typeof results !== 'object' ||
    results === null ||
    typeof results.config !== 'object' ||
    !Array.isArray(results.evaluation?.rows)
  ) {
    throw ioError(`${resultsPath} is not a Distillery results file (no config or evaluation)`);
  }
  return results;
}

/** Reads a finished run folder: results, metrics and how it was started. */
export function readRun(runDir: string): RunRecord {
  const dir = resolve(runDir);
  const results = readResults(dir);
  const metricsPath = join(dir, runFiles.metrics);
  const metrics = existsSync(metricsPath)
    ? readJson<Record<string, EpochRecord[]>>(metricsPath)
    : {};
  const configPath = join(dir, runFiles.config);
  const saved = existsSync(configPath)
    ? readJson<{ command?: string; teacherDirs?: string[]; teacherDir?: string }>(configPath)
    : {};
  // Older run folders name a single `teacherDir`.
  const teacherDirs = saved.teacherDirs ?? (saved.teacherDir ? [saved.teacherDir] : []);
  return { runDir: dir, results, metrics, started: { command: saved.command, teacherDirs } };
}

/** The newest folder under `runsDir` that holds a results.json (by that file's mtime). */
export function findNewestRun(runsDir: string): string {
  const dir = resolve(runsDir);
  let names: string[] = [];
  try {
    names = readdirSync(dir);
  } catch {
    // handled below, with the same message as an empty folder
  }
  let best: { path: string; mtime: number } | undefined;
  for (const name of names) {
    try {
      const mtime = statSync(join(dir, name, runFiles.results)).mtimeMs;
      if (!best || mtime > best.mtime) best = { path: join(dir, name), mtime };
    } catch {
      // not a finished run
    }
  }
  if (!best)
    throw usageError(
      `no finished run under ${dir} (a folder with results.json): pass a run folder, or create one with 'distillery run'`,
    );
  return best.path;
}

export interface RunInfo {
  runDir: string;
  /** The stage folder name: teacher, scratch or distilled (or another name). */
  stage: string;
  /** results.json, if the run finished. */
  results?: RunResults;
  /** config.json, present from the start of a run. */
  config?: RunConfig;
  notes: string[];
}

/** If `modelDir` is runs/<ts>/models/<name>, reads what the run recorded; else undefined. */
export function findRunInfo(modelDir: string): RunInfo | undefined {
  const dir = resolve(modelDir);
  if (basename(dirname(dir)) !== 'models') return undefined;
  const runDir = dirname(dirname(dir));
  const info: RunInfo = { runDir, stage: basename(dir), notes: [] };
  const read = (file: string) => {
    const path = join(runDir, file);
    if (!existsSync(path)) return undefined;
    try {
      return JSON.parse(readFileSync(path, 'utf8'));
    } catch {
      info.notes.push(`${path} is unreadable: its facts are missing from this card`);
      return undefined;
    }
  };
  info.results = read(runFiles.results);
  const saved = read(runFiles.config);
  info.config = info.results?.config ?? saved?.config;
  if (!info.results && !info.config) return undefined;
  if (!info.results) info.notes.push('the run has no results.json (unfinished?): accuracy unknown');
  return info;
}
