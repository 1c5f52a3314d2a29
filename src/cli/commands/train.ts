// `distillery run | train-teacher | distill`: resolve the config, run the pipeline, print results.
import type { RunConfig } from '../../config.ts';
import { flagsToConfig, parseMethodFlags, type Flags } from '../options.ts';

export async function runTraining(
  command: 'run' | 'train-teacher' | 'distill' | 'born-again',
  flags: Flags,
  extraArgs: string[] = [],
): Promise<void> {
  const { resolveConfig, readConfigFile } = await import('../../config.ts');
  const { runPipeline, readRunConfig } = await import('../../pipeline/pipeline.ts');
  const { resultsSummary } = await import('../../report/table.ts');
  const { createProgress } = await import('../progress.ts');
  const { usageError } = await import('../../errors.ts');

  let config: RunConfig;
  let teacherDirs = flags.teacher;
  if (flags.resume) {
    const saved = readRunConfig(flags.resume);
    if (saved.command !== command) {
      throw usageError(
        `${flags.resume} was started by 'distillery ${saved.command}': resume it with that command`,
      );
    }
    config = saved.config;
    teacherDirs = saved.teacherDirs;
  } else {
    if (command === 'distill' && !teacherDirs?.length) {
      throw usageError(
        `distill needs --teacher <path> (a saved teacher: runs/<run>/models/teacher, an .onnx file, a graph model folder or URL)`,
      );
    }
    const methodFlags = parseMethodFlags(extraArgs);
    const layers = [flags.config ? readConfigFile(flags.config) : {}, flagsToConfig(flags)];
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
  const results = await runPipeline({
    config,
    command,
    teacherDirs,
    resumeDir: flags.resume,
    events: createProgress(mode),
  });
  if (flags.json) {
    process.stdout.write(JSON.stringify(results, null, 2) + '\n');
  } else {
    process.stdout.write(resultsSummary(results) + '\n');
    process.stdout.write(`Results, config, metrics and models: ${results.runDir}\n`);
  }
}
