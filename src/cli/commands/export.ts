// `distillery export <model-dir> --quantize … --out <dir>`: writes a deployable tfjs model with a
// model card, loads it back with the stock loader and prints what the quantization cost.
import type { Quantization } from '../../export/quantize.ts';

export interface ExportFlags {
  quantize?: Quantization | 'all';
  out: string;
  dataset?: string;
  dataDir?: string;
  testLimit?: number;
  backend?: string;
  json?: boolean;
  force?: boolean;
}

export async function exportCommand(modelDir: string, flags: ExportFlags): Promise<void> {
  // Checked before TensorFlow.js loads, so a typo fails at once.
  const { existsSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { modelError } = await import('../../errors.ts');
  if (!existsSync(join(modelDir, 'model.json'))) {
    const { runFolderHint } = await import('../../run/run-dir.ts');
    throw modelError(
      runFolderHint(modelDir) ?? `no model at ${modelDir}: expected a folder with model.json`,
    );
  }
  const { exportModel, compareQuantizations, quantizations } =
    await import('../../export/export.ts');
  const { findRunInfo } = await import('../../run/folder.ts');
  const { selectBackend } = await import('../../backend/index.ts');
  const { loadDataset } = await import('../../data/index.ts');
  const { formatBytes, renderTable } = await import('../../report/table.ts');

  const run = findRunInfo(modelDir);
  // A model inside a run folder is evaluated on the run's dataset unless told otherwise.
  const name = flags.dataset ?? run?.config?.dataset ?? 'mnist';
  const backend = await selectBackend((flags.backend ?? 'auto') as never);
  const fromRun = flags.dataset ? undefined : run?.config;
  // A text model's own tokenizer.json encodes the test texts (the ids it was trained on).
  const tokenizerFile = join(modelDir, 'tokenizer.json');
  const data = await loadDataset({
    dataset: name,
    data: fromRun?.data,
    dataKind: fromRun?.dataKind,
    options: existsSync(tokenizerFile)
      ? { ...fromRun?.dataOptions, tokenizerFile }
      : fromRun?.dataOptions,
    seed: fromRun?.seed,
    // No validationSize: only the test split is read, and no kind's test rows depend on it (a
    // run recorded before folders and tables honoured it would otherwise be refused here).
    dataDir: flags.dataDir ?? fromRun?.dataDir,
    testLimit: flags.testLimit,
    splits: ['test'], // only the test split is used
  });

  const quantize = flags.quantize ?? 'none';
  const outcome =
    quantize === 'all'
      ? await compareQuantizations({
          modelDir,
          data,
          quantizations,
          outDir: flags.out,
          overwrite: flags.force,
        })
      : await exportModel({
          modelDir,
          outDir: flags.out,
          quantize,
          data,
          overwrite: flags.force,
        }).then((r) => ({
          logitRange: r.logitRange,
          rows: [r.original, r.row],
          exports: [r],
        }));
  const exports = outcome.exports.map((e) => ({
    quantize: e.quantize,
    outDir: e.outDir,
    modelJson: e.modelJson,
    metadata: e.cardPath,
    shards: e.card.format.files.filter((f) => f.name.endsWith('.bin')).length,
  }));
  const logitRange = outcome.logitRange;

  if (flags.json) {
    process.stdout.write(
      JSON.stringify(
        {
          backend,
          dataset: data.name,
          examples: data.test.count,
          modelDir,
          logitRange,
          rows: outcome.rows,
          exports,
        },
        null,
        2,
      ) + '\n',
    );
    return;
  }
  const original = outcome.rows[0];
  const percent = (x?: number) => (x === undefined ? '-' : `${(100 * x).toFixed(2)}%`);
  process.stdout.write(
    renderTable(
      ['model', 'files', 'on disk', 'vs float32', 'test acc', 'agree w/ float32', 'max |Δlogit|'],
      outcome.rows.map((r) => [
        r.name,
        String(r.files),
        formatBytes(r.bytes),
        `${((100 * r.bytes) / original.bytes).toFixed(1)}%`,
        percent(r.accuracy),
        percent(r.agreement),
        r.maxAbsLogitDiff === undefined ? '-' : r.maxAbsLogitDiff.toPrecision(3),
      ]),
    ) + '\n',
  );
  process.stdout.write(
    `${data.name} test split (${data.test.count} examples), backend ${backend.description}; float32 logits span ${logitRange?.toPrecision(3)} (max − min); exports loaded back with the stock tf.loadLayersModel\n`,
  );
  for (const e of exports)
    process.stdout.write(`wrote ${e.modelJson} (+ ${e.shards} weight file(s)) and metadata.json\n`);
}
