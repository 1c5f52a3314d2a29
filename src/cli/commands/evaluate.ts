// `distillery evaluate <model-dir>`: a saved model on a dataset's test split.
export async function evaluateCommand(
  modelDir: string,
  flags: {
    dataset?: string;
    dataDir?: string;
    testLimit?: number;
    backend?: string;
    json?: boolean;
  },
): Promise<void> {
  const { loadModel } = await import('../../models/io.ts');
  const { selectBackend } = await import('../../backend/index.ts');
  const { loadDataset } = await import('../../data/index.ts');
  const { evaluate } = await import('../../eval/evaluate.ts');
  const { evaluationTable } = await import('../../report/table.ts');
  const backend = await selectBackend((flags.backend ?? 'auto') as never);
  const name = flags.dataset ?? 'mnist';
  // Only the test split is evaluated: sources skip reading the training files.
  const data = await loadDataset({
    dataset: name,
    dataDir: flags.dataDir,
    testLimit: flags.testLimit,
    splits: ['test'],
  });
  const model = await loadModel(modelDir);
  const { checkModelFitsData } = await import('../../pipeline/preflight.ts');
  checkModelFitsData(model, 'the model', modelDir, data);
  const evaluation = await evaluate({ models: { [modelDir]: model }, data: data.test });
  if (flags.json) {
    process.stdout.write(
      JSON.stringify({ backend, dataset: name, rows: evaluation.rows }, null, 2) + '\n',
    );
  } else {
    process.stdout.write(evaluationTable(evaluation.rows) + '\n');
    process.stdout.write(
      `${data.name} test split (${data.test.count} examples), backend ${backend.description}\n`,
    );
  }
}
