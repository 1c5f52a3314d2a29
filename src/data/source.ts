// A data source kind, declared as data like a distillation method: its name, a zod schema of its
// own options, how it recognises a path (`--data <path>`), and its loader. Built-in datasets
// (mnist, fashion-mnist) are sources that need no path. Adding a kind = one file under sources/
// (or beside the IDX loaders) and one line in index.ts; nothing else knows its name.
import type { z } from 'zod';
import type { Dataset, SplitOptions } from './dataset.ts';
import type { DataSpec } from './spec.ts';

/** What every loader receives besides its own options. */
export interface CommonDataOptions extends SplitOptions {
  /** The path given with --data (folder or file), for sources that read one. */
  path?: string;
  /** --data-dir: where a built-in dataset's files live, if not the default. */
  dataDir?: string;
  /** The run's seed: augmentation and other per-run randomness of a source. */
  seed?: number;
  /**
   * Seed of stratified splits (sources without a fixed split): default 1, whatever the run's
   * seed, so that every seed of `--seeds`, and a `distill --seed 2` from a teacher trained with
   * seed 1, see the same test rows (a split that followed the run's seed put a teacher's training
   * rows into another seed's test split). `--split-seed` draws another split.
   */
  splitSeed?: number;
  /** Folder for decode caches (e.g. <out>/.cache). */
  cacheDir?: string;
  /**
   * Load every example into `train` with y = -1 (an unlabelled transfer set): labels, a label
   * column and class folders are not required. Sources that fit preprocessing (tables) apply
   * `spec`'s instead, so the examples match the labelled data's.
   */
  unlabelled?: boolean;
  /** The labelled dataset's spec, given with `unlabelled`. */
  spec?: DataSpec;
}

export interface DataSourceDefinition<O extends object = Record<string, unknown>> {
  /** Registry key and --data-kind / --dataset value: 'mnist', 'image-folder', 'table', … */
  readonly name: string;
  /** One line for --help and `distillery datasets`. */
  readonly description: string;
  /** Options of this kind (e.g. imageSize, labelColumn); validated before loading. */
  readonly schema: z.ZodType<O>;
  /** True when the source reads a user path (`--data`), false for embedded datasets. */
  readonly needsPath: boolean;
  /** For --data <path> without --data-kind: does this kind recognise the path? */
  detect?(path: string): boolean;
  /**
   * Run settings this kind needs instead of the MNIST defaults (a partial RunConfig: e.g. text
   * architectures, no pixel shifts); flags and config files still override them.
   */
  readonly runDefaults?: Record<string, unknown>;
  load(options: O & CommonDataOptions): Promise<Dataset>;
}

export function defineDataSource<O extends object>(
  definition: DataSourceDefinition<O>,
): DataSourceDefinition<O> {
  return definition;
}
