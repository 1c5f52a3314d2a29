// Stages 2–3 of a job: the students. `run`/`distill`: the same student architecture trained from
// scratch (the baseline) and distilled, identical but for the loss. `born-again`: generations of
// the teacher's architecture, each distilled from the one before (Furlanello et al. 2018).
import { buildModel } from '../models/index.ts';
import { supervisedStep } from '../train/train-model.ts';
import { checkTeacherStudent, Distiller } from '../distill/distiller.ts';
import type { DistillMethod } from '../distill/method.ts';
import { layersTeacher } from '../teachers/layers.ts';
import type { Teacher } from '../teachers/teacher.ts';
import { deriveSeed } from '../random.ts';
import type { StageName } from '../run/record.ts';
import type { RunContext } from './context.ts';
import { buildOptions, runStage } from './stages.ts';
import { transferLogits } from './transfer.ts';
import { autoTuneStage } from '../tune/auto.ts';
import { checkTeacherAboveStudent } from './teacher-check.ts';

/**
 * Scratch baseline, then the distilled student (same seed, init, order, optimizer, epochs).
 * Returns the method the distilled student used (automatically chosen parameters, if any).
 */
export async function studentStages(
  ctx: RunContext,
  teacher: Teacher,
  configured: DistillMethod,
): Promise<DistillMethod> {
  const { config } = ctx;
  const build = async () => {
    const student = await buildModel(
      config.student.arch,
      buildOptions(ctx, config.student, 'student'),
    );
    checkTeacherStudent(teacher, student);
    return student;
  };
  await runStage(ctx, {
    stage: 'scratch',
    settings: config.student,
    build,
    step: (m) => supervisedStep(m, { labelSmoothing: config.student.labelSmoothing }),
    seedKey: 'student',
  });
  // Is there anything to pass on? Said before the distilled stage, not only after it.
  ctx.teacherCheck = await checkTeacherAboveStudent({
    teacher,
    data: ctx.data,
    scratchHistory: ctx.metrics.scratch,
    scratchBestEpoch: ctx.stages.scratch?.bestEpoch,
    scratch: ctx.models.scratch,
  });
  if (ctx.teacherCheck) ctx.events.onInfo?.(ctx.teacherCheck.note);
  // Temperature and weights chosen on the validation split when the user set neither.
  const method = await autoTuneStage(ctx, teacher, configured);
  await runStage(ctx, {
    stage: 'distilled',
    settings: config.student,
    build,
    step: async (m) =>
      new Distiller({
        teacher,
        student: m,
        method,
        teacherLogits: await transferLogits({
          config,
          data: ctx.data,
          train: ctx.distillTrain,
          teacher,
          method,
          onInfo: ctx.events.onInfo,
        }),
        seed: deriveSeed(config.seed, 'student'),
        schedules: config.schedules,
        labelSmoothing: config.student.labelSmoothing,
      }).trainStep(),
    seedKey: 'student',
    train: ctx.distillTrain,
  });
  return method;
}

/**
 * Born-again generations: the teacher's architecture and training settings, each generation its
 * own seed, distilled from the one before (live: the teacher's augmentation forbids a cache).
 */
export async function bornAgainStages(ctx: RunContext, method: DistillMethod): Promise<void> {
  const { config } = ctx;
  for (let k = 1; k <= config.generations; k++) {
    const stage: StageName = `generation-${k}`;
    const previous = ctx.models[k === 1 ? 'teacher' : (`generation-${k - 1}` as StageName)]!;
    await runStage(ctx, {
      stage,
      settings: config.teacher,
      build: () =>
        buildModel(config.teacher.arch, buildOptions(ctx, config.teacher, 'student', stage)),
      step: (m) =>
        new Distiller({
          teacher: layersTeacher(previous),
          student: m,
          method,
          seed: deriveSeed(config.seed, stage),
          schedules: config.schedules,
          labelSmoothing: config.teacher.labelSmoothing,
        }).trainStep(),
      seedKey: stage,
    });
  }
}
