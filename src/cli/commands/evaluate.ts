// `distillery evaluate <model-dir>`: a saved model on a dataset's test split.
export async function evaluateCommand(
  modelDir: string,
  flags: {
    dataset?: string;
    dataDir?: string;
    testLimit?: number;
    backend?: string;
    json?: boolean;
  } & import('../options.ts').Flags,
): Promise<void> {
  const { loadModel } = await import('../../models/io.ts');
  const { selectBackend } = await import('../../backend/index.ts');
  const { loadDataset } = await import('../../data/index.ts');
  const { evaluate } = await import('../../eval/evaluate.ts');
  const { evaluationTable } = await import('../../report/table.ts');
  const backend = await selectBackend((flags.backend ?? 'auto') as never);
  const { dataFlagsToConfig } = await import('../options.ts');
  const { findRunInfo } = await import('../../run/folder.ts');
  // A model inside a run folder is evaluated on the run's data (same seed: same test split)
  // unless --dataset or --data says otherwise.
  const given = dataFlagsToConfig(flags);
  const fromRun = flags.dataset || given.data ? undefined : findRunInfo(modelDir)?.config;
  const name = flags.dataset ?? fromRun?.dataset ?? 'mnist';
  const model = await loadModel(modelDir);
  // A text model encodes with the tokenizer.json saved beside it, not one refitted on the data.
  const { tokenizerDataOptions } = await import('../../text/tokenizer-file.ts');
  const tokens = tokenizerDataOptions(modelDir, model);
  const options = (given.dataOptions as Record<string, unknown>) ?? fromRun?.dataOptions;
  // Only the test split is evaluated: sources skip reading the training files.
  const data = await loadDataset({
    dataset: name,
    data: given.data ?? fromRun?.data,
    dataKind: given.dataKind ?? fromRun?.dataKind,
    options: tokens ? { ...options, ...tokens } : options,
    seed: fromRun?.seed,
    dataDir: flags.dataDir ?? fromRun?.dataDir,
    testLimit: flags.testLimit,
    splits: ['test'],
  });
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
