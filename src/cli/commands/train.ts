// `distillery run | train-teacher | distill | born-again`: resolve the config, run the pipeline
// (once, or once per seed with --seeds / --repeats), print results.
import type { RunConfig } from '../../config.ts';
import { flagsToConfig, parseMethodFlags, type Flags } from '../options.ts';
import { usageError } from '../../errors.ts';

export async function runTraining(
  command: 'run' | 'train-teacher' | 'distill' | 'born-again',
  flags: Flags,
  extraArgs: string[] = [],
): Promise<void> {
  const { resolveConfig, readConfigFile } = await import('../../config.ts');
  const { runPipeline } = await import('../../pipeline/pipeline.ts');
  const { readRunConfig } = await import('../../run/folder.ts');
  const { resultsSummary } = await import('../../report/table.ts');
  const { createProgress } = await import('../progress.ts');

  const seedsModule = await import('../../pipeline/seeds.ts');
  const seedsPlan = flags.resume ? seedsModule.readSeedsPlan(flags.resume) : undefined;
  if (flags.seeds !== undefined && flags.repeats !== undefined)
    throw usageError('give --seeds or --repeats, not both');
  if (command === 'train-teacher' && (flags.seeds !== undefined || flags.repeats !== undefined))
    throw usageError(
      'train-teacher trains one teacher: --seeds and --repeats are for run, distill, born-again',
    );

  let config: RunConfig;
  let teacherDirs = flags.teacher;
  if (seedsPlan) {
    checkResumeFlags(flags, extraArgs);
    if (seedsPlan.command !== command)
      throw usageError(
        `${flags.resume} was started by 'distillery ${seedsPlan.command}': resume it with that command`,
      );
    config = seedsPlan.config;
    teacherDirs = seedsPlan.teacherDirs;
  } else if (flags.resume) {
    checkResumeFlags(flags, extraArgs);
    const saved = readRunConfig(flags.resume);
    if (saved.command !== command) {
      throw usageError(
        `${flags.resume} was started by 'distillery ${saved.command}': resume it with that command`,
      );
    }
    config = saved.config;
    teacherDirs = saved.teacherDirs;
  } else {
    if (command === 'distill' && !teacherDirs?.length && !flags.teacherLogits) {
      throw usageError(
        `distill needs --teacher <path> (a saved teacher: runs/<run>/models/teacher, an .onnx file, a graph model folder or URL)`,
      );
    }
    let layers = [flags.config ? readConfigFile(flags.config) : {}, flagsToConfig(flags)];
    if (command === 'distill' && flags.data && !flags.dataKind) {
      // An LLM teacher or a store of texts: --data is read as the text kind, as `label` read it.
      const { distilsTexts } = await import('../../labels/run-store.ts');
      const { teacherOptions } = resolveConfig(...layers);
      if (await distilsTexts({ teacherLogits: flags.teacherLogits, teacherDirs, teacherOptions }))
        layers = [layers[0], flagsToConfig({ ...flags, dataKind: 'text' })];
    }
    const methodFlags = parseMethodFlags(extraArgs);
    const chosen = resolveConfig(...layers).method.name;
    for (const f of methodFlags) {
      if (f.method !== chosen) {
        throw usageError(
          `${f.flag} sets a parameter of method '${f.method}', but the method is '${chosen}' (use --method ${f.method})`,
        );
      }
    }
    config = resolveConfig(...layers, {
      method: Object.fromEntries(methodFlags.map((f) => [f.key, f.value])),
    });
  }
  const mode = flags.json ? 'silent' : process.stderr.isTTY ? 'tty' : 'plain';
  const seeds = seedsPlan
    ? seedsPlan.seeds
    : flags.seeds !== undefined
      ? seedsModule.parseSeeds(flags.seeds)
      : flags.repeats !== undefined
        ? seedsModule.repeatSeeds(config.seed, flags.repeats)
        : undefined;
  if (seeds && command !== 'train-teacher') {
    const progress = createProgress(mode);
    const aggregate = await seedsModule.runSeeds({
      config,
      command,
      seeds,
      teacherDirs,
      resumeDir: seedsPlan ? flags.resume : undefined,
      events: {
        ...progress,
        onSeedStart: (seed, i, n) => progress.onInfo?.(`— seed ${seed} (${i + 1} of ${n}) —`),
      },
    });
    if (flags.json) {
      process.stdout.write(JSON.stringify(aggregate, null, 2) + '\n');
    } else {
      const { seedsSummary } = await import('../../report/table.ts');
      process.stdout.write(seedsSummary(aggregate) + '\n');
      process.stdout.write(`Per-seed run folders and aggregate.json: ${aggregate.dir}\n`);
    }
    return;
  }
  const events = createProgress(mode);
  events.onRunDir = (dir) => stopOnInterrupt(command, dir);
  const results = await runPipeline({
    config,
    command,
    teacherDirs,
    resumeDir: flags.resume,
    events,
  });
  if (flags.json) {
    process.stdout.write(JSON.stringify(results, null, 2) + '\n');
  } else {
    process.stdout.write(resultsSummary(results) + '\n');
    process.stdout.write(`Results, config, metrics and models: ${results.runDir}\n`);
  }
}

/** Flags that may accompany --resume: the rest would be silently ignored, so they are refused. */
const RESUME_FLAGS = new Set(['resume', 'json']);

function flagName(key: string) {
  return `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

/** --resume continues with the run's saved settings: any other setting is an error, not ignored. */
export function checkResumeFlags(flags: Flags, extraArgs: string[]): void {
  const extra = [
    ...Object.entries(flags)
      .filter(([k, v]) => v !== undefined && !RESUME_FLAGS.has(k))
      .map(([k]) => flagName(k)),
    ...extraArgs.filter((a) => a.startsWith('--')),
  ];
  if (extra.length > 0) {
    throw usageError(
      `--resume continues ${flags.resume} with the settings it was started with, so ${extra.join(', ')} would be ignored: drop ${extra.length > 1 ? 'them' : 'it'}, or start a new run with the new settings`,
    );
  }
}

/** Ctrl-C: stop with 130, say that the checkpoints are kept and how to resume. */
function stopOnInterrupt(command: string, runDir: string): void {
  process.once('SIGINT', () => {
    process.stderr.write(
      `\ndistillery: interrupted; checkpoints of finished epochs are kept in ${runDir}: continue with 'distillery ${command} --resume ${runDir}'\n`,
    );
    process.exit(130);
  });
}
