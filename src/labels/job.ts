// The label job: a teacher's logits over a dataset into a logit store, shard by shard. Only the
// shards not yet published are computed, so a killed job resumes where it stopped (losing at most
// the shards in progress). Each shard is a pure function of (teacher, rows, shard index): in
// process, on one worker or on many, the bytes are the same. Rows are tensors (features) or texts
// (an LLM teacher); the teacher declares which it reads.
import { tf, type Tensor } from '../tf.ts';
import type { Split } from '../data/dataset.ts';
import { featuresAsFloat } from '../data/dataset.ts';
import { rowsHash, splitRowHashes } from '../data/record-hash.ts';
import { toLogits } from '../teachers/function.ts';
import type { Teacher } from '../teachers/teacher.ts';
import { isTextTeacher } from '../teachers/http/openai.ts';
import { modelError, usageError } from '../errors.ts';
import type { TextRecords } from './records.ts';
import {
  encodeShard,
  missingShards,
  openStore,
  publishShard,
  shardRange,
  storeManifest,
  type StoreData,
  type StoreManifest,
  type StoreSettings,
} from './store.ts';

/** What a label job reads: rows in a fixed order, with their identity. */
export interface LabelRows {
  reads: 'tensor' | 'text';
  count: number;
  data: StoreData;
  /** Each row's digest, [count × 16] (src/data/record-hash.ts); data.hash is their rowsHash. */
  rowHashes: Uint8Array;
  /** One example's shape (tensor rows). */
  shape?: number[];
  /** Features of rows [start, end) as [rows, ...shape] (tensor rows). */
  tensor?(start: number, end: number): Tensor;
  /** Texts of rows [start, end) (text rows). */
  texts?(start: number, end: number): string[];
}

/** A split's rows: features for a teacher that reads tensors (digests: see splitRowHashes). */
export function splitRows(
  split: Split,
  inputShape: number[],
  info: { name: string; split: string; preprocessing: string; classNames?: string[] },
): LabelRows {
  const rowHashes = splitRowHashes(split);
  return {
    reads: 'tensor',
    count: split.count,
    shape: inputShape,
    rowHashes,
    data: { ...info, count: split.count, hash: rowsHash(rowHashes), rows: 'tensor' },
    tensor: (start, end) =>
      tf.tensor(
        featuresAsFloat(split, start, end).slice(),
        [end - start, ...inputShape],
        'float32',
      ),
  };
}

/** The texts of a text dataset's split, for a teacher that reads texts (an LLM). */
export function splitTextRows(
  split: Split,
  info: { name: string; split: string; classNames?: string[] },
): LabelRows | undefined {
  const texts = split.texts;
  if (!texts || texts.length !== split.count || !split.recordsHash) return undefined;
  const rowHashes = splitRowHashes(split);
  return {
    reads: 'text',
    count: split.count,
    rowHashes,
    data: {
      ...info,
      count: split.count,
      hash: rowsHash(rowHashes),
      preprocessing: 'raw text (prompt template applied by the teacher)',
      rows: 'text',
    },
    texts: (start, end) => texts.slice(start, end),
  };
}

export function textRows(records: TextRecords): LabelRows {
  return {
    reads: 'text',
    count: records.texts.length,
    rowHashes: records.rowHashes,
    data: {
      name: records.path,
      split: 'file',
      count: records.texts.length,
      hash: records.hash,
      classNames: records.classNames,
      preprocessing: 'raw text (prompt template applied by the teacher)',
      rows: 'text',
    },
    texts: (start, end) => records.texts.slice(start, end),
  };
}

/** The manifest of labelling `rows` with `teacher` under `settings`. */
export async function labelManifest(
  teacher: Teacher,
  rows: LabelRows,
  settings: StoreSettings,
): Promise<StoreManifest> {
  const reads = isTextTeacher(teacher) ? 'text' : 'tensor';
  if (reads !== rows.reads)
    throw usageError(
      reads === 'text'
        ? `the ${teacher.kind} teacher reads texts: pass --data <file.jsonl> with a 'text' field`
        : `the ${teacher.kind} teacher reads tensors, but the data are texts: use an LLM teacher (openai:…) or a tensor dataset`,
    );
  const want = teacher.dataShape?.join('×');
  const have = rows.shape?.join('×');
  if (want !== undefined && have !== undefined && want !== have)
    throw usageError(
      `the ${teacher.kind} teacher takes examples of shape ${want}, but the data are ${have}: pass data of the teacher's input shape`,
    );
  return storeManifest(
    { identity: await teacher.identity(), record: teacher.describe(), classes: teacher.classes },
    rows.data,
    settings,
  );
}

/** Logits of rows [start, end) in chunks of `chunk` rows: [rows, classes] row-major. */
export async function rowLogits(
  teacher: Teacher,
  rows: LabelRows,
  start: number,
  end: number,
  chunk = 1024,
): Promise<Float32Array> {
  const classes = teacher.classes;
  const out = new Float32Array((end - start) * classes);
  for (let s = start; s < end; s += chunk) {
    const e = Math.min(end, s + chunk);
    let values: Float32Array;
    if (isTextTeacher(teacher)) {
      values = await teacher.textLogits(rows.texts!(s, e));
      toLogits(values, e - s, classes, `${teacher.kind} teacher`).dispose(); // validates
    } else {
      const x = rows.tensor!(s, e); // [rows, ...shape]
      try {
        const logits = await teacher.logits(x); // [rows, classes]
        const checked = toLogits(logits, e - s, classes, `${teacher.kind} teacher`);
        values = checked.dataSync() as Float32Array;
        checked.dispose();
      } finally {
        x.dispose();
      }
    }
    out.set(values, (s - start) * classes);
  }
  return out;
}

/** Computes, encodes and publishes one shard. */
export async function labelShard(
  teacher: Teacher,
  rows: LabelRows,
  dir: string,
  manifest: StoreManifest,
  index: number,
  chunk?: number,
): Promise<'published' | 'present'> {
  if (index < 0 || index >= manifest.shards)
    throw modelError(`shard ${index} is outside the store (0…${manifest.shards - 1})`);
  const { start, end } = shardRange(manifest, index);
  const logits = await rowLogits(teacher, rows, start, end, chunk);
  return publishShard(dir, manifest, index, encodeShard(manifest, index, logits));
}

export interface LabelOptions extends StoreSettings {
  teacher: Teacher;
  rows: LabelRows;
  dir: string;
  /** Shards labelled at once in this process (default 1; remote teachers parallelise inside). */
  parallelShards?: number;
  /** Rows per teacher call inside a shard (default 1024). */
  chunk?: number;
  onShard?(info: {
    index: number;
    status: 'published' | 'present';
    done: number;
    total: number;
  }): void;
}

export interface LabelResult {
  dir: string;
  manifest: StoreManifest;
  /** Shards computed by this run, and those already there (resume). */
  labelled: number;
  skipped: number;
  seconds: number;
}

/** Labels every missing shard in this process. */
export async function labelInProcess(options: LabelOptions): Promise<LabelResult> {
  const t0 = performance.now();
  const manifest = openStore(
    options.dir,
    await labelManifest(options.teacher, options.rows, options),
    options.rows.rowHashes,
  );
  const missing = missingShards(options.dir, manifest);
  const skipped = manifest.shards - missing.length;
  let done = skipped;
  let next = 0;
  const lane = async () => {
    while (next < missing.length) {
      const index = missing[next++];
      const status = await labelShard(
        options.teacher,
        options.rows,
        options.dir,
        manifest,
        index,
        options.chunk,
      );
      done++;
      options.onShard?.({ index, status, done, total: manifest.shards });
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.parallelShards ?? 1) }, lane));
  return {
    dir: options.dir,
    manifest,
    labelled: missing.length,
    skipped,
    seconds: (performance.now() - t0) / 1000,
  };
}
