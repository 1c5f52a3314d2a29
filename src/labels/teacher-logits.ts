// The trainer's side of a logit store: its shards, each verified, read one after another into the
// distiller's TeacherLogits table, plus a Teacher that stands for the store (identity and record of
// the teacher that labelled it; it has no forward pass). A table rather than a shard-streaming
// teacher because the trainer shuffles rows every epoch: a batch touches rows of every shard, and
// a dense float32 table costs count × classes × 4 bytes (60k × 10 = 2.4 MB; with top-k stores of
// large label sets this is the limit to know: 1M rows × 1,000 classes would be 4 GB).
// A store is refused unless it was labelled on exactly the rows being trained on.
import type { Split } from '../data/dataset.ts';
import type { TeacherLogits } from '../distill/teacher-cache.ts';
import { splitIdentity } from './job.ts';
import { modelError, usageError } from '../errors.ts';
import type { Teacher } from '../teachers/teacher.ts';
import { readManifest, readStoreLogits, type StoreManifest } from './store.ts';

export interface StoreLogits {
  table: TeacherLogits;
  manifest: StoreManifest;
  /** Stands for the labelling teacher (for the Distiller and the run record). */
  teacher: Teacher;
}

/** Refuses a store whose data identity is not `data` (hash and row count). */
export function checkStoreData(
  dir: string,
  manifest: StoreManifest,
  data: { hash: string; count: number; what: string },
): void {
  if (manifest.data.count !== data.count || manifest.data.hash !== data.hash)
    throw usageError(
      `${dir} was labelled on other data (${manifest.data.name} ${manifest.data.split}: ${manifest.data.count} rows, hash ${manifest.data.hash.slice(0, 12)}) than ${data.what} (${data.count} rows, hash ${data.hash.slice(0, 12)}): label this data, or pass the same --data, limits and --validation-size`,
    );
}

/** Reads the store at `dir` as the teacher table for `split` (refused if it is other data). */
export function loadStoreLogits(
  dir: string,
  split: Split,
  what = 'the training split',
): StoreLogits {
  const manifest = readManifest(dir);
  checkStoreData(dir, manifest, { hash: splitIdentity(split), count: split.count, what });
  const logits = readStoreLogits(dir, manifest);
  return {
    table: { logits, count: manifest.data.count, classes: manifest.classes, key: manifest.key },
    manifest,
    teacher: storeTeacher(dir, manifest),
  };
}

/**
 * The store at `dir` as the teacher of a `distill` on `split`: refused for another command or
 * other data (reads the manifest only; the shards are read by loadStoreLogits).
 */
export function openStoreTeacher(dir: string, command: string, split: Split): Teacher {
  if (command !== 'distill')
    throw usageError(`--teacher-logits (a logit store) serves 'distill' only, not '${command}'`);
  const manifest = readManifest(dir);
  checkStoreData(dir, manifest, {
    hash: splitIdentity(split),
    count: split.count,
    what: 'the training split',
  });
  return storeTeacher(dir, manifest);
}

/** A Teacher for a store: identity and record of its teacher; rows come from the table only. */
export function storeTeacher(dir: string, manifest: StoreManifest): Teacher {
  return {
    kind: 'logit-store',
    classes: manifest.classes,
    storedRowsOnly: true,
    identity: async () => manifest.teacher.identity,
    logits: async () => {
      throw modelError(
        `the logit store ${dir} serves the rows it labelled, by index: it cannot label new inputs (use a teacher for augmented or new data)`,
      );
    },
    describe: () => ({
      ...manifest.teacher.record,
      kind: 'logit-store',
      source: dir,
      classes: manifest.classes,
      labelledBy: manifest.teacher.record,
      store: {
        key: manifest.key,
        dtype: manifest.dtype,
        topK: manifest.topK,
        shards: manifest.shards,
      },
    }),
    dispose: () => {},
  };
}
