// The run's models as the report reopens them, each through the Teacher contract, whatever it is:
// a saved Layers folder per stage, or the teacher the run was given (ONNX, graph model, Layers,
// an ensemble of any of these, a logit store) reloaded the way the teacher stage loaded it.
// Teachers that cannot label the test split (a logit store serves only the rows it labelled) are
// returned as `unmeasured`, with the sentence that says why, never as a row of NaN.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { RunRecord } from '../run/folder.ts';
import type { DataSpec } from '../data/spec.ts';
import type { Teacher } from '../teachers/teacher.ts';

export interface OpenedModel {
  name: string;
  teacher: Teacher;
}

export interface UnmeasuredModel {
  name: string;
  /** What it is, e.g. 'logit store /runs/logits (labelled by the layers teacher /t)'. */
  what: string;
  /** Why the report has no test predictions of it. */
  reason: string;
}

export interface RunModels {
  /** Models to analyse, in stage order (ensemble members after their ensemble). */
  opened: OpenedModel[];
  unmeasured: UnmeasuredModel[];
  /** Things the reader should know (a model missing, a teacher that failed to load now). */
  notes: string[];
  /** Frees every opened model (an ensemble frees its members). */
  dispose(): Promise<void>;
}

const STAGE_ORDER = ['teacher', 'scratch', 'distilled'];
const hasModel = (dir: string) => existsSync(join(dir, 'model.json'));

/** Reopens the models of a finished run for predictions on `data`. */
export async function openRunModels(run: RunRecord, data: DataSpec): Promise<RunModels> {
  const [{ loadModel }, { layersTeacher, asTeacher }, teachersModule] = await Promise.all([
    import('../models/io.ts'),
    import('../teachers/layers.ts'),
    import('../teachers/load.ts'),
  ]);
  const { results } = run;
  const config = results.config;
  const opened: OpenedModel[] = [];
  const owned: Teacher[] = []; // what dispose() frees
  const unmeasured: UnmeasuredModel[] = [];
  const notes: string[] = [];
  const rank = (s: string) => (STAGE_ORDER.includes(s) ? STAGE_ORDER.indexOf(s) : 9);
  const stages = Object.keys(results.stages).sort((a, b) => rank(a) - rank(b));
  for (const stage of stages) {
    const saved = join(run.runDir, 'models', stage);
    if (hasModel(saved)) {
      const teacher = layersTeacher(await loadModel(saved), { source: saved });
      opened.push({ name: stage, teacher });
      owned.push(teacher);
      continue;
    }
    if (stage !== 'teacher') {
      notes.push(`No saved ${stage} model found (models/${stage}): it is left out below.`);
      continue;
    }
    // The teacher the run was given: reopened as the teacher stage opened it.
    const teacherDirs = run.started.teacherDirs;
    const { isRemoteTeacherSpec } = await import('../teachers/http/index.ts');
    const remote = teacherDirs.filter(isRemoteTeacherSpec);
    if (remote.length > 0) {
      // A server (maybe a paid LLM) is not queried again behind the user's back.
      notes.push(
        `The teacher is served remotely (${remote.join(', ')}): the report does not query it again, so its row comes from results.json and its confusion matrix and calibration are left out.`,
      );
      continue;
    }
    try {
      if (teacherDirs.length > 0) {
        const loaded = await teachersModule.loadTeachers(teacherDirs, {
          ...teachersModule.teacherOptionsFromConfig(config.teacherOptions),
          data,
          ensemble: config.ensemble,
        });
        opened.push({ name: 'teacher', teacher: loaded.teacher });
        owned.push(loaded.teacher);
        loaded.members.forEach((m, i) =>
          opened.push({ name: `teacher ${i + 1}`, teacher: asTeacher(m) }),
        );
      } else if (config.teacherLogits) {
        const { readManifest } = await import('../labels/store.ts');
        const { storeTeacher } = await import('../labels/teacher-logits.ts');
        const dir = resolve(config.teacherLogits);
        const manifest = readManifest(dir);
        const teacher = storeTeacher(dir, manifest);
        const labelledBy = manifest.teacher.record;
        const what = `logit store ${dir} (labelled by the ${labelledBy.kind} teacher ${labelledBy.source} on ${manifest.data.count.toLocaleString('en-US')} rows of ${manifest.data.name} ${manifest.data.split})`;
        if (teacher.storedRowsOnly) {
          unmeasured.push({
            name: 'teacher',
            what,
            reason:
              'it serves only the rows it labelled, so it has no predictions on the test split: no accuracy, agreement or calibration',
          });
        } else {
          opened.push({ name: 'teacher', teacher });
          owned.push(teacher);
        }
      } else {
        notes.push('No saved teacher model found (models/teacher): it is left out below.');
      }
    } catch (e) {
      const message = (e as Error).message.split('\n')[0];
      notes.push(
        `The teacher (${teacherDirs.join(', ') || config.teacherLogits}) could not be reopened now (${message}): its row comes from results.json; its confusion matrix and calibration are left out.`,
      );
    }
  }
  return {
    opened,
    unmeasured,
    notes,
    dispose: async () => {
      for (const t of owned) await t.dispose();
    },
  };
}
