// What to label, as JSON that travels in queue jobs: the teacher spec (a model folder, or a
// remote teacher's URL and settings — the name of the API key variable, never the key) and the
// rows (a dataset reference and split, or a JSONL file of texts). The coordinator and every
// worker open the same target and check that it yields the store's manifest key.
// A model folder is the only local kind here; ONNX / graph-model teachers come from
// src/teachers/load.ts (issue 8) once it lands.
import { resolve } from 'node:path';
import { loadDataset, type DatasetRef, type SplitName } from '../data/index.ts';
import { isModelDir, loadModel } from '../models/io.ts';
import { usageError } from '../errors.ts';
import { layersTeacher } from '../teachers/layers.ts';
import type { Teacher } from '../teachers/teacher.ts';
import {
  isRemoteTeacherSpec,
  remoteTeacher,
  type RemoteTeacherSettings,
} from '../teachers/http/index.ts';
import { splitRows, textRows, type LabelRows } from './job.ts';
import { readTextRecords } from './records.ts';

export interface TeacherSpec {
  /** A model folder, `http(s)://…` or `<protocol>:http(s)://…`. */
  spec: string;
  protocol?: string;
  settings?: RemoteTeacherSettings;
}

export type RowsSpec =
  | { kind: 'dataset'; ref: DatasetRef; split: SplitName }
  | {
      kind: 'records';
      path: string;
      textField?: string;
      labelField?: string;
      classNames?: string[];
    };

export interface LabelTarget {
  teacher: TeacherSpec;
  rows: RowsSpec;
}

/** Opens the rows of a target (texts for JSONL files read by an LLM teacher). */
export async function openRows(spec: RowsSpec): Promise<LabelRows & { classNames: string[] }> {
  if (spec.kind === 'records') {
    const records = readTextRecords(spec.path, spec);
    return { ...textRows(records), classNames: records.classNames };
  }
  const data = await loadDataset({ ...spec.ref, splits: [spec.split] });
  return {
    ...splitRows(data[spec.split], data.inputShape, {
      name: data.name,
      split: spec.split,
      preprocessing: data.preprocessing,
    }),
    classNames: data.classNames,
  };
}

/** Opens the teacher of a target; an LLM teacher's labels default to the data's class names. */
export async function openTeacher(spec: TeacherSpec, classNames: string[] = []): Promise<Teacher> {
  if (isRemoteTeacherSpec(spec.spec)) {
    const settings = { ...spec.settings };
    if (!settings.labels && classNames.length > 0) settings.labels = classNames;
    return remoteTeacher(spec.spec, { ...settings, protocol: spec.protocol });
  }
  if (isModelDir(spec.spec))
    return layersTeacher(await loadModel(spec.spec), { source: resolve(spec.spec) });
  throw usageError(
    `--teacher ${spec.spec}: not a model folder (model.json) nor a teacher URL (http://…/v2/models/<m>, http://…/v1/models/<m>, openai:http://…/v1)`,
  );
}

/** Opens both halves of a target. */
export async function openTarget(
  target: LabelTarget,
): Promise<{ teacher: Teacher; rows: LabelRows }> {
  const rows = await openRows(target.rows);
  const teacher = await openTeacher(target.teacher, rows.classNames);
  return { teacher, rows };
}
