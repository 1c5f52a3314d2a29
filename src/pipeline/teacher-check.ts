// Before the distilled stage: is the teacher better than the student it is to teach? The teacher's
// accuracy on the validation split against the trained scratch student's best validation
// accuracy. Distillation passes on what the teacher knows better; a teacher at or below the
// student has nothing to pass on, and on SpamAssassin at 256 tokens such a teacher made the
// distilled student lose 0.9 points beyond seed noise. Given the scratch model, the margin is
// also weighed against its paired standard error on the same examples (only the examples where
// the two disagree count): a teacher above the student by less than two of them is flagged as a
// margin within the noise of the validation split. A note, not an error: the run
// goes on (the teacher may still help as a regulariser), and the record keeps the numbers.
// Leaves out: the scratch student's seed noise (one scratch seed; --seeds measures it), teachers
// that serve only stored rows (logit stores cannot label the validation split).
import type { LayersModel } from '../tf.ts';
import type { Dataset } from '../data/index.ts';
import type { EpochRecord } from '../train/loop.ts';
import { argmaxRows, correctnessOf } from '../eval/metrics.ts';
import { pairedStandardError } from '../eval/seed-stats.ts';
import { computeTeacherLogits } from '../distill/teacher-cache.ts';
import type { Teacher } from '../teachers/teacher.ts';

export interface TeacherCheck {
  /** The teacher's accuracy on the validation split. */
  teacherValidationAccuracy: number;
  /** The scratch student's validation accuracy at its kept (best) epoch. */
  scratchValidationAccuracy: number;
  examples: number;
  /** True when the teacher is not above the scratch student on validation. */
  teacherNotAbove: boolean;
  /** Standard error of teacher − scratch on the same validation examples (given the scratch model). */
  pairedError?: number;
  /** True when the teacher is above the student by less than two paired errors. */
  marginWithinNoise?: boolean;
  /** One line for the terminal and the record. */
  note: string;
}

/** Compares teacher and scratch student on validation; undefined when it cannot be measured. */
export async function checkTeacherAboveStudent(options: {
  teacher: Teacher;
  data: Dataset;
  scratchHistory?: EpochRecord[];
  scratchBestEpoch?: number;
  /** The scratch student (its kept weights): weighs the margin against its paired error. */
  scratch?: LayersModel;
}): Promise<TeacherCheck | undefined> {
  const { teacher, data } = options;
  const validation = data.validation;
  const kept = options.scratchHistory?.find((r) => r.epoch === options.scratchBestEpoch);
  const scratch = kept?.validationAccuracy;
  if (validation.count === 0 || scratch === undefined || teacher.storedRowsOnly) return undefined;
  const { logits, classes } = await computeTeacherLogits(teacher, validation, data.inputShape);
  const predicted = argmaxRows(logits, classes); // [count]
  const rows = [...validation.y.keys()].filter((i) => validation.y[i] >= 0); // labelled rows
  if (rows.length === 0) return undefined;
  const labelled = rows.length;
  const teacherRight = Uint8Array.from(rows, (i) => Number(predicted[i] === validation.y[i]));
  const accuracy = teacherRight.reduce((a, v) => a + v, 0) / labelled;
  let pairedError: number | undefined;
  if (options.scratch) {
    const right = correctnessOf(options.scratch, validation, data.inputShape); // [count]
    pairedError = pairedStandardError(
      teacherRight,
      Uint8Array.from(rows, (i) => right[i]),
    );
  }
  const pct = (v: number) => `${(100 * v).toFixed(2)}%`;
  const points = (v: number) => (100 * v).toFixed(2);
  const teacherNotAbove = accuracy <= scratch;
  const margin = accuracy - scratch;
  const marginWithinNoise =
    pairedError === undefined ? undefined : !teacherNotAbove && margin <= 2 * pairedError;
  const error = pairedError === undefined ? '' : `, paired error ±${points(pairedError)} points`;
  const note = teacherNotAbove
    ? `note: the teacher is not above the scratch student on validation (${pct(accuracy)} vs ${pct(scratch)}, ${labelled} examples${error}): distillation can pass on only what the teacher knows better, so expect no gain, or a loss; a stronger teacher (or the scratch student itself) is the better bet`
    : marginWithinNoise
      ? `note: the teacher is above the scratch student on validation by only ${points(margin)} points (${pct(accuracy)} vs ${pct(scratch)}, ${labelled} examples), less than two paired errors (±${points(pairedError!)}): it may know nothing better, so a gain is unlikely; a stronger teacher, or --seeds 1,2,3 to measure, would tell`
      : `teacher on validation: ${pct(accuracy)} vs the scratch student's ${pct(scratch)} (${labelled} examples${error})`;
  return {
    teacherValidationAccuracy: accuracy,
    scratchValidationAccuracy: scratch,
    examples: labelled,
    teacherNotAbove,
    ...(pairedError !== undefined && { pairedError, marginWithinNoise }),
    note,
  };
}
