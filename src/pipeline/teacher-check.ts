// Before the distilled stage: is the teacher better than the student it is to teach? The teacher's
// accuracy on the validation split against the trained scratch student's best validation
// accuracy. Distillation passes on what the teacher knows better; a teacher at or below the
// student has nothing to pass on, and on SpamAssassin at 256 tokens such a teacher made the
// distilled student lose 0.9 points beyond seed noise. A note, not an error: the run goes on
// (the teacher may still help as a regulariser), and the record keeps both numbers.
// Leaves out: a noise test of the difference (one validation split, one scratch seed), teachers
// that serve only stored rows (logit stores cannot label the validation split).
import type { Dataset } from '../data/index.ts';
import type { EpochRecord } from '../train/loop.ts';
import { argmaxRows } from '../eval/metrics.ts';
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
  /** One line for the terminal and the record. */
  note: string;
}

/** Compares teacher and scratch student on validation; undefined when it cannot be measured. */
export async function checkTeacherAboveStudent(options: {
  teacher: Teacher;
  data: Dataset;
  scratchHistory?: EpochRecord[];
  scratchBestEpoch?: number;
}): Promise<TeacherCheck | undefined> {
  const { teacher, data } = options;
  const validation = data.validation;
  const kept = options.scratchHistory?.find((r) => r.epoch === options.scratchBestEpoch);
  const scratch = kept?.validationAccuracy;
  if (validation.count === 0 || scratch === undefined || teacher.storedRowsOnly) return undefined;
  const { logits, classes } = await computeTeacherLogits(teacher, validation, data.inputShape);
  const predicted = argmaxRows(logits, classes); // [count]
  let correct = 0;
  let labelled = 0;
  for (let i = 0; i < validation.count; i++) {
    if (validation.y[i] < 0) continue;
    labelled++;
    if (predicted[i] === validation.y[i]) correct++;
  }
  if (labelled === 0) return undefined;
  const accuracy = correct / labelled;
  const pct = (v: number) => `${(100 * v).toFixed(2)}%`;
  const teacherNotAbove = accuracy <= scratch;
  const note = teacherNotAbove
    ? `note: the teacher is not above the scratch student on validation (${pct(accuracy)} vs ${pct(scratch)}, ${labelled} examples): distillation can pass on only what the teacher knows better, so expect no gain, or a loss; a stronger teacher (or the scratch student itself) is the better bet`
    : `teacher on validation: ${pct(accuracy)} vs the scratch student's ${pct(scratch)} (${labelled} examples)`;
  return {
    teacherValidationAccuracy: accuracy,
    scratchValidationAccuracy: scratch,
    examples: labelled,
    teacherNotAbove,
    note,
  };
}
