// `distillery compare <run-dir>...`: runs side by side (differing settings, accuracies, gain) as
// a text table, JSON (--json) and optionally an HTML page (--out).
export async function compareCommand(
  runDirs: string[],
  flags: { out?: string; json?: boolean },
): Promise<void> {
  const { compareRuns, comparisonText, renderComparisonHtml } =
    await import('../../report/compare.ts');
  const { writeAtomic } = await import('../../io/atomic.ts');
  const { resolve } = await import('node:path');
  const comparison = compareRuns(runDirs);
  let html: string | undefined;
  if (flags.out) {
    html = resolve(flags.out);
    writeAtomic(html, await renderComparisonHtml(comparison, html));
  }
  if (flags.json) {
    process.stdout.write(JSON.stringify({ ...comparison, html }, null, 2) + '\n');
  } else {
    process.stdout.write(comparisonText(comparison) + '\n');
    if (html) process.stdout.write(`HTML: ${html}\n`);
  }
}
