// Run folders: created race-free (mkdir of the final name either succeeds or the next suffix is
// tried, so two runs started in the same second get two folders), locked while a process works in
// them (a second `--resume` of the same folder is refused; a lock left by a killed process is
// taken over), and removed again when a run fails before it saved anything worth resuming.
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { ioError, usageError } from '../errors.ts';
import { writeAtomic } from '../io/atomic.ts';
import type { StartRecord } from './record.ts';
import { describeSystemError } from '../io/system-errors.ts';

export const LOCK_FILE = '.lock';

/** The folder name for a run started at `date`: 2026-12-01_20-31-05. */
export function runStamp(date = new Date()): string {
  return date.toISOString().replace(/[:.]/g, '-').replace('T', '_').slice(0, 19);
}

/** Creates <outDir>/<prefix><stamp>[-i]/, never reusing a folder, even under a race. */
export function createRunDir(outDir: string, prefix = ''): string {
  const parent = resolve(outDir);
  try {
    mkdirSync(parent, { recursive: true });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST')
      throw ioError(
        `cannot create the output folder ${parent}: it is a file, not a folder; choose another --out`,
      );
    throw describeSystemError(
      trueMkdirError(parent, e),
      `cannot create the output folder ${parent}`,
      'choose another --out',
    );
  }
  const stamp = runStamp();
  for (let i = 0; ; i++) {
    const dir = join(parent, prefix + (i === 0 ? stamp : `${stamp}-${i}`));
    try {
      mkdirSync(dir); // not recursive: fails with EEXIST if another run took the name
      return dir;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') continue;
      throw describeSystemError(
        e,
        `cannot create a run folder in ${parent}`,
        'choose another --out',
      );
    }
  }
}

/**
 * Node's recursive mkdir reports ENOENT when a missing folder cannot be created in a read-only
 * parent: redo the first missing step alone to get the real reason (EROFS, EACCES, ENOTDIR).
 */
function trueMkdirError(dir: string, error: unknown): unknown {
  let missing = dir;
  while (!existsSync(dirname(missing)) && dirname(missing) !== missing) missing = dirname(missing);
  try {
    mkdirSync(missing);
    rmSync(missing, { recursive: true, force: true });
  } catch (e) {
    return e;
  }
  return error;
}

/** Whether process `pid` is alive (on this machine). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Takes the folder's lock (a file holding the owner's pid, created exclusively). A lock whose
 * process is gone (kill -9, power loss) is taken over; a live one is refused.
 */
export function lockRunDir(runDir: string): () => void {
  const path = join(runDir, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      // Released on close, or at exit (process.exit after SIGINT); kill -9 leaves a stale lock.
      const release = () => {
        process.off('exit', release);
        rmSync(path, { force: true });
      };
      process.on('exit', release);
      return release;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST')
        throw describeSystemError(e, `cannot lock ${runDir}`);
      const pid = Number(readFileSync(path, 'utf8').trim());
      if (Number.isInteger(pid) && pid > 0 && alive(pid)) {
        throw usageError(
          `${runDir} is in use by process ${pid} (another run or --resume): wait for it to finish or stop it first`,
        );
      }
      rmSync(path, { force: true }); // stale: its process is gone
    }
  }
  throw usageError(`cannot lock ${runDir}: another process keeps taking it`);
}

/** Files that do not make a run folder worth keeping after a failure. */
const TRIVIAL = new Set(['config.json', LOCK_FILE]);

/**
 * After a failed run: removes the folder if it holds nothing but its config (returns true);
 * otherwise it is kept for --resume.
 */
export function removeIfTrivial(runDir: string): boolean {
  let names: string[];
  try {
    names = readdirSync(runDir);
  } catch {
    return false;
  }
  if (!names.every((n) => TRIVIAL.has(n) || /\.tmp-\d+$/.test(n))) return false;
  rmSync(runDir, { recursive: true, force: true });
  return true;
}

/** An open run folder: created (or resumed) and locked. */
export interface OpenRun {
  dir: string;
  resumed: boolean;
  /** Releases the lock; after a failure, removes the folder if nothing worth resuming is in it. */
  close(failed: boolean): { removed: boolean };
}

/** Creates and locks a new run folder and writes its config.json, or locks one to resume. */
export function openRunDir(options: {
  outDir: string;
  /** Folder name prefix of a new run (e.g. 'tune-'). */
  prefix?: string;
  /** A new run's folder, given (e.g. <parent>/seed-2 of a multi-seed job) instead of timestamped. */
  dir?: string;
  resumeDir?: string;
  record: StartRecord;
}): OpenRun {
  const resumed = options.resumeDir !== undefined;
  const dir = resumed
    ? resolve(options.resumeDir!)
    : options.dir
      ? newRunDir(options.dir)
      : createRunDir(options.outDir, options.prefix);
  if (resumed && existsSync(join(dir, 'results.json'))) {
    throw usageError(
      `${dir} already finished (results.json exists): start a new run instead of --resume`,
    );
  }
  const unlock = lockRunDir(dir);
  try {
    if (!resumed) writeAtomic(join(dir, 'config.json'), JSON.stringify(options.record, null, 2));
  } catch (e) {
    unlock();
    removeIfTrivial(dir);
    throw e;
  }
  return {
    dir,
    resumed,
    close(failed) {
      unlock();
      return { removed: failed && !resumed && removeIfTrivial(dir) };
    },
  };
}

/** Reads a run folder's config.json (for --resume); damage is an io error naming the file. */
export function readRunRecord(runDir: string): StartRecord {
  const path = join(runDir, 'config.json');
  if (!existsSync(path))
    throw usageError(`--resume ${runDir}: no config.json there (is it a Distillery run folder?)`);
  let saved: StartRecord;
  try {
    saved = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw ioError(
      `${path} is unreadable (${(e as Error).message.split('\n')[0]}): the run cannot be resumed; start it again`,
    );
  }
  if (!saved || typeof saved !== 'object' || typeof saved.command !== 'string' || !saved.config)
    throw ioError(`${path} is not a run record (no command and config): start the run again`);
  return saved;
}

/** Creates the given folder for a new run; refuses one that already holds a run. */
function newRunDir(dir: string): string {
  const path = resolve(dir);
  if (existsSync(join(path, 'config.json')))
    throw usageError(`${path} already holds a run: continue it with --resume or pick a new folder`);
  mkdirSync(path, { recursive: true });
  return path;
}

/**
 * For a run folder given where a model is expected (evaluate, export, distill --teacher): the
 * message naming its saved models; undefined for anything else.
 */
export function runFolderHint(path: string): string | undefined {
  const models = join(path, 'models');
  if (!existsSync(join(path, 'config.json')) || !existsSync(models)) return undefined;
  const names = readdirSync(models)
    .filter((n) => existsSync(join(models, n, 'model.json')))
    .sort();
  if (names.length === 0) return undefined;
  const pick = names.includes('distilled') ? 'distilled' : names[0];
  return `${path} is a run folder, not a model: give one of its models (${names.join(', ')}), e.g. ${join(path, 'models', pick)}`;
}
