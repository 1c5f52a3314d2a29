// Stage 1 of a job: the teacher — trained in this run, or loaded from saved folders (several
// form an ensemble). Whatever its origin, the stages after it see one frozen Teacher.
import { resolve } from 'node:path';
import type { LayersModel } from '../tf.ts';
import { buildModel } from '../models/index.ts';
import { supervisedStep } from '../train/train-model.ts';
import { loadTeachers, resolveTeacherSpec, teacherOptionsFromConfig } from '../teachers/load.ts';
import { layersTeacher } from '../teachers/layers.ts';
import type { Teacher } from '../teachers/teacher.ts';
import type { RunContext } from './context.ts';
import { buildOptions, runStage } from './stages.ts';
import { openStoreTeacher } from '../labels/teacher-logits.ts';
import { usageError } from '../errors.ts';

export interface TeacherStage {
  teacher: Teacher;
  /** Ensemble members, evaluated as rows of their own. */
  members: (LayersModel | Teacher)[];
}

export async function teacherStage(ctx: RunContext, teacherDirs: string[]): Promise<TeacherStage> {
  const { config, events } = ctx;
  const members: LayersModel[] = [];
  // A logit store (distill --teacher-logits) stands for the teacher that labelled it.
  const store = config.teacherLogits
    ? openStoreTeacher(resolve(config.teacherLogits), ctx.command, ctx.data.train)
    : undefined;
  if (store && teacherDirs.length === 0) {
    ctx.stages.teacher = {
      source: 'loaded',
      epochs: 0,
      seconds: 0,
      modelDir: store.describe().source,
    };
    events.onInfo?.(`teacher: the logit store ${config.teacherLogits}`);
    return { teacher: store, members };
  }
  let model: LayersModel;
  if (teacherDirs.length > 0) {
    // Any kind (Layers, ONNX, graph model), detected from the path; see src/teachers/load.ts.
    const loaded = await loadTeachers(teacherDirs, {
      ...teacherOptionsFromConfig(config.teacherOptions),
      data: ctx.data.spec,
      ensemble: config.ensemble,
    });
    // --teacher with --teacher-logits: the store must be this teacher's (it serves the logits,
    // the teacher its evaluation row).
    if (store && (await loaded.teacher.identity()) !== (await store.identity())) {
      await loaded.teacher.dispose();
      throw usageError(
        `${config.teacherLogits} was labelled by another teacher than ${teacherDirs.join(', ')}: label with this teacher, or drop one of --teacher / --teacher-logits`,
      );
    }
    ctx.stages.teacher = {
      source: 'loaded',
      epochs: 0,
      seconds: 0,
      modelDir: teacherDirs.map(resolveTeacherSpec).join(', '),
    };
    events.onInfo?.(`teacher: ${loaded.description}`);
    // A teacher that reads texts (an LLM) cannot label the students' token batches: its logits
    // over the training texts (and a text transfer set's) are labelled into a store in the run
    // folder, which then serves them.
    if (
      [loaded.teacher, ...loaded.members].some((t) => (t as { reads?: string }).reads === 'text')
    ) {
      if (teacherDirs.length > 1 || store)
        throw usageError(
          `${teacherDirs.join(', ')}: an LLM teacher distils alone (no ensemble, no --teacher-logits): label each with 'distillery label' and pass one store`,
        );
      const { labelIntoRun } = await import('../labels/run-store.ts');
      const teacher = await labelIntoRun({
        teacher: loaded.teacher,
        split: ctx.data.train,
        transfer: ctx.transfer,
        data: ctx.data,
        runDir: ctx.runDir,
        onInfo: events.onInfo,
      });
      return { teacher, members };
    }
    if (loaded.model) ctx.models.teacher = loaded.model;
    return { teacher: loaded.teacher, members: loaded.members };
  } else {
    model = await runStage(ctx, {
      stage: 'teacher',
      settings: config.teacher,
      build: () => buildModel(config.teacher.arch, buildOptions(ctx, config.teacher, 'teacher')),
      step: (m) => supervisedStep(m, { labelSmoothing: config.teacher.labelSmoothing }),
      seedKey: 'teacher',
    });
  }
  ctx.models.teacher = model;
  const source = ctx.stages.teacher?.modelDir ?? 'trained in this run';
  return {
    teacher: layersTeacher(model, {
      source,
      kind: teacherDirs.length > 1 ? 'ensemble' : 'layers',
    }),
    members,
  };
}
