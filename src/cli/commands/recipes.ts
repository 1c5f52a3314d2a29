// `distillery recipes` (list the recipe files with their sources) and `distillery reproduce
// <recipe> --seeds 1,2,3` (run one per seed, print mean ± std next to the published numbers, and
// rewrite the recipe's section of docs/reproductions.md). Thin: the work is in src/recipes/.
import { availableParallelism, cpus } from 'node:os';
import type { Flags } from '../options.ts';

export async function recipesCommand(flags: { json?: boolean }): Promise<void> {
  const { listRecipes } = await import('../../recipes/index.ts');
  const recipes = listRecipes();
  if (flags.json) {
    process.stdout.write(JSON.stringify(recipes, null, 2) + '\n');
    return;
  }
  for (const r of recipes) {
    process.stdout.write(`${r.name}\n  ${r.info.title}\n  source: ${r.info.source}\n`);
    if (r.info.published) {
      const values = Object.entries(r.info.published.values)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ');
      process.stdout.write(`  published (${r.info.published.metric}): ${values}\n`);
    }
    process.stdout.write(`  use: distillery run --config ${r.path}\n\n`);
  }
}

export interface ReproduceFlags extends Flags {
  seeds?: string;
  doc?: string;
  reuseTeacher?: boolean;
  train?: boolean;
}

export async function reproduceCommand(recipe: string, flags: ReproduceFlags): Promise<void> {
  const { loadRecipe } = await import('../../recipes/index.ts');
  const { resolveConfig } = await import('../../config.ts');
  const { flagsToConfig } = await import('../options.ts');
  const { reproduce, summarizeReproduction } = await import('../../recipes/reproduce.ts');
  const { reproductionMarkdown, writeReproductionSection } =
    await import('../../recipes/reproduction-doc.ts');
  const { createProgress } = await import('../progress.ts');
  const { usageError } = await import('../../errors.ts');

  const entry = loadRecipe(recipe);
  const config = resolveConfig(entry.layer, flagsToConfig(flags));
  const seeds = flags.seeds
    ? flags.seeds.split(',').map((s) => {
        const n = Number(s);
        if (!Number.isInteger(n) || n < 0)
          throw usageError(`--seeds ${flags.seeds}: expected comma-separated integers, e.g. 1,2,3`);
        return n;
      })
    : (entry.info.reproduce?.seeds ?? [1]);
  const docPath = flags.doc ?? 'docs/reproductions.md';
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  const environment = `Measured on ${availableParallelism()} cores (${cpu}), Node ${process.version}; the machine was shared with other jobs while measured, so times are indicative.`;
  const mode = flags.json ? 'silent' : process.stderr.isTTY ? 'tty' : 'plain';
  const progress = createProgress(mode);
  const write = (outcomes: Parameters<typeof reproductionMarkdown>[0]) =>
    writeReproductionSection(
      docPath,
      entry.info.name,
      reproductionMarkdown(outcomes, { info: entry.info, requestedSeeds: seeds, environment }),
    );
  const outcomes = await reproduce({
    config,
    seeds,
    reuseTeacher: flags.reuseTeacher ?? true,
    train: flags.train ?? true,
    events: { ...progress, onSeedStart: (seed) => progress.onInfo?.(`seed ${seed}`) },
    onSeedEnd: (_outcome, all) => write(all),
  });
  if (flags.json) {
    process.stdout.write(
      JSON.stringify({ outcomes, summary: summarizeReproduction(outcomes, entry.info) }, null, 2) +
        '\n',
    );
    return;
  }
  process.stdout.write(
    reproductionMarkdown(outcomes, { info: entry.info, requestedSeeds: seeds }) + '\n',
  );
  process.stdout.write(`\nWritten to ${docPath}\n`);
}
