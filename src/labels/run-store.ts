// `distill --teacher openai:…`: a teacher that reads texts (an LLM) cannot label the students'
// token batches, so its logits over the training rows are labelled first into a logit store inside
// the run folder, by the same label job as `distillery label` (resumable: a resumed run reuses the
// finished shards), and the store then stands for the teacher, exactly as with --teacher-logits.
// The rows labelled are the distilled student's: the training split and any transfer set whose
// rows have texts (--transfer-set of a text file).
// Leaves out: labelling the validation or test split (a store teacher is not evaluated).
import { join } from 'node:path';
import type { Split } from '../data/dataset.ts';
import { usageError } from '../errors.ts';
import type { Teacher } from '../teachers/teacher.ts';
import { appendExamples } from '../data/transfer-set.ts';
import { labelInProcess, splitTextRows } from './job.ts';
import { storeRowKind, storeTeacher } from './teacher-logits.ts';
import { teacherOptionsFromConfig, teacherReads } from '../teachers/load.ts';

/**
 * Whether a distil reads texts: a store of text rows, or one teacher that reads texts (an LLM).
 * The CLI then reads a --data file as the text kind (the kind `label` reads it as).
 */
export async function distilsTexts(options: {
  teacherLogits?: string;
  teacherDirs?: string[];
  teacherOptions?: Parameters<typeof teacherOptionsFromConfig>[0];
}): Promise<boolean> {
  if (options.teacherLogits) return storeRowKind(options.teacherLogits) === 'text';
  if (options.teacherDirs?.length !== 1) return false;
  const reads = await teacherReads(
    options.teacherDirs[0],
    teacherOptionsFromConfig(options.teacherOptions),
  ).catch(() => 'tensor'); // an unknown teacher is reported where it is loaded
  return reads === 'text';
}

/** The store's folder inside a run folder. */
export const RUN_STORE_DIR = 'teacher-logits';

/**
 * Labels `split` (rows with texts), followed by the `transfer` set's rows if given, with `teacher`
 * into `<runDir>/teacher-logits` and returns the store's teacher; `teacher` is disposed once the
 * labels are in.
 */
export async function labelIntoRun(options: {
  teacher: Teacher;
  split: Split;
  /** Unlabelled rows the distilled student also learns from (--transfer-set, augmented copies). */
  transfer?: Split;
  data: { name: string; classNames: string[] };
  runDir: string;
  /** Rows per shard (default 4096, as `distillery label`). */
  shardSize?: number;
  onInfo?(message: string): void;
}): Promise<Teacher> {
  const { teacher, split, transfer, data } = options;
  const info = (name: string) => ({ name: data.name, split: name, classNames: data.classNames });
  const trainRows = splitTextRows(split, info('train'));
  const rows = transfer
    ? splitTextRows(appendExamples(split, transfer), info('train + transfer set'))
    : trainRows;
  if (!rows) {
    await teacher.dispose();
    throw usageError(
      trainRows
        ? `the ${teacher.kind} teacher reads texts, but the ${transfer!.count} transfer-set rows of ${data.name} have none (augmented copies of hashed character n-grams cannot be turned back into text): use --data-option tokenizer=words, drop augmentCopies, or distil from a teacher that reads token ids`
        : `the ${teacher.kind} teacher reads texts, but the training rows of ${data.name} have none: distil text data (--data <file.jsonl>, --dataset spam-assassin)`,
    );
  }
  const dir = join(options.runDir, RUN_STORE_DIR);
  try {
    const result = await labelInProcess({
      teacher,
      rows,
      dir,
      dtype: 'float16',
      shardSize: options.shardSize ?? 4096,
      onShard: ({ done, total }) =>
        options.onInfo?.(`teacher logits: shard ${done} of ${total} labelled`),
    });
    options.onInfo?.(
      `teacher logits of ${rows.count} ${transfer ? 'training and transfer-set' : 'training'} rows in ${dir}: ${result.labelled} shard(s) labelled, ${result.skipped} already there (${result.seconds.toFixed(1)} s)`,
    );
    return storeTeacher(dir, result.manifest);
  } finally {
    await teacher.dispose();
  }
}
