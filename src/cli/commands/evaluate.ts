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
  const { loadModel } = await import('../../export/model-io.ts');
  const { selectBackend } = await import('../../backend/index.ts');
  const { datasets } = await import('../../data/index.ts');
  const { evaluate } = await import('../../eval/evaluate.ts');
  const { evaluationTable } = await import('../../report/table.ts');
  const { usageError } = await import('../../errors.ts');
  const backend = await selectBackend((flags.backend ?? 'auto') as never);
  const name = flags.dataset ?? 'mnist';
  if (!Object.hasOwn(datasets, name))
    throw usageError(`unknown dataset '${name}': use one of ${Object.keys(datasets).join(', ')}`);
  const data = await datasets[name as keyof typeof datasets]({
    dataDir: flags.dataDir,
    testLimit: flags.testLimit,
    // Only the test split is evaluated: read as little of the training file as allowed.
    trainLimit: 2,
    validationSize: 1,
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
