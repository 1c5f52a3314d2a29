// `distillery evaluate <model>`: a saved model — any teacher kind loadTeacher knows (a Layers or
// graph model folder, an .onnx file, a model server URL) — on a dataset's test split.
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
  const { loadTeacher, teacherOptionsFromConfig } = await import('../../teachers/load.ts');
  const { flagsToConfig } = await import('../options.ts');
  const { isRemoteTeacherSpec } = await import('../../teachers/http/index.ts');
  const { existsSync, statSync } = await import('node:fs');
  const { loadModel } = await import('../../models/io.ts');
  const local = !isRemoteTeacherSpec(modelDir);
  if (local && !existsSync(modelDir)) await loadModel(modelDir); // its one-line error
  // A text model encodes with the tokenizer.json saved beside it, not one refitted on the data.
  const { readTokenizerFile, tokenizerDataOptions } = await import('../../text/tokenizer-file.ts');
  let tokens: ReturnType<typeof tokenizerDataOptions>;
  if (local && statSync(modelDir).isDirectory() && readTokenizerFile(modelDir)) {
    const model = await loadModel(modelDir);
    tokens = tokenizerDataOptions(modelDir, model);
    model.dispose();
  }
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
  const teacher = await loadTeacher(modelDir, {
    ...teacherOptionsFromConfig(flagsToConfig(flags).teacherOptions),
    data: data.spec,
    role: { model: 'the model', data: data.name },
  });
  const { checkModelFitsData } = await import('../../pipeline/preflight.ts');
  if (teacher.model) checkModelFitsData(teacher.model, 'the model', modelDir, data);
  const evaluation = await evaluate({
    models: { [modelDir]: teacher },
    data: data.test,
    inputShape: data.inputShape,
  });
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
