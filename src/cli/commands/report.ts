// `distillery report <run-dir>`: (re)builds the run's self-contained report.html; prints its path.
export async function reportCommand(
  runDir: string,
  flags: { backend?: string; out?: string },
): Promise<void> {
  const { writeReport } = await import('../../report/html.ts');
  const { readRun } = await import('../../run/folder.ts');
  // Check the folder before loading TensorFlow.js, so a wrong path fails at once.
  const run = readRun(runDir);
  const { selectBackend } = await import('../../backend/index.ts');
  // Predictions are recomputed on the run's own backend unless told otherwise.
  await selectBackend((flags.backend ?? run.results.config.backend) as never);
  process.stdout.write((await writeReport(runDir, { out: flags.out })) + '\n');
}
