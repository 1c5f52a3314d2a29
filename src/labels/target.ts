// What to label, as JSON that travels in queue jobs: the teacher spec (any kind loadTeacher knows —
// a Layers or graph model folder, an .onnx file, a server URL with its settings: the name of the
// API key variable, never the key) and the rows (a dataset split, or every record of a JSONL file
// for an LLM teacher). The coordinator and every worker open the same target and check that it
// yields the store's manifest key.
import { loadDataset, type DatasetRef, type SplitName } from '../data/index.ts';
import type { DataSpec } from '../data/spec.ts';
import { usageError } from '../errors.ts';
import {
  loadTeacher,
  teacherOptionsFromConfig,
  teacherReads,
  type LoadTeacherOptions,
} from '../teachers/load.ts';
import type { Teacher } from '../teachers/teacher.ts';
import type { RemoteTeacherSettings } from '../teachers/http/index.ts';
import { splitRows, splitTextRows, textRows, type LabelRows } from './job.ts';
import { readTextRecords } from './records.ts';

export interface TeacherSpec {
  /** A model folder or file (absolute: workers may run elsewhere), `http(s)://…`, `<protocol>:http(s)://…`. */
  spec: string;
  protocol?: string;
  /** A server teacher's settings (the prompt as text, so workers need not read the file). */
  settings?: RemoteTeacherSettings;
  /** How the teacher is read where its files do not say (kind, its own input), as in a run config. */
  options?: Omit<NonNullable<Parameters<typeof teacherOptionsFromConfig>[0]>, 'remote'>;
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

/** The loader options of a teacher spec. */
function loaderOptions(spec: TeacherSpec): LoadTeacherOptions {
  const base = teacherOptionsFromConfig(spec.options);
  const remote = { ...spec.settings, protocol: spec.protocol };
  return { ...base, kind: base.kind ?? (spec.protocol ? 'remote' : undefined), remote };
}

/** What the target's teacher reads (decides which rows to open). */
export const targetReads = (spec: TeacherSpec) => teacherReads(spec.spec, loaderOptions(spec));

/**
 * Opens the rows of a target for a teacher that reads `reads`: a dataset split's features, or its
 * texts (text datasets), or every text of a JSONL file.
 */
export async function openRows(
  spec: RowsSpec,
  reads: 'tensor' | 'text' = spec.kind === 'records' ? 'text' : 'tensor',
): Promise<LabelRows & { classNames: string[]; spec?: DataSpec }> {
  if (spec.kind === 'records') {
    const records = readTextRecords(spec.path, spec);
    return { ...textRows(records), classNames: records.classNames };
  }
  const data = await loadDataset({ ...spec.ref, splits: [spec.split] });
  const info = { name: data.name, split: spec.split, classNames: data.classNames };
  const rows =
    reads === 'text'
      ? splitTextRows(data[spec.split], info)
      : splitRows(data[spec.split], data.inputShape, {
          ...info,
          preprocessing: data.preprocessing,
        });
  if (!rows)
    throw usageError(
      `the teacher reads texts, but ${data.name} has none: label text data (--dataset spam-assassin, --data <file> --data-kind text), or a .jsonl file as it is (--data <file.jsonl>)`,
    );
  return { ...rows, classNames: data.classNames, spec: data.spec };
}

/**
 * Opens the teacher of a target through loadTeacher (any kind); classes are checked against the
 * data, and an LLM teacher's labels default to the data's class names.
 */
export async function openTeacher(
  spec: TeacherSpec,
  data: { classNames: string[]; spec?: DataSpec } = { classNames: [] },
): Promise<Teacher> {
  const options = loaderOptions(spec);
  if (!options.remote?.labels && data.classNames.length > 0)
    options.remote = { ...options.remote, labels: data.classNames };
  return loadTeacher(spec.spec, { ...options, data: data.spec });
}

/** Opens both halves of a target. */
export async function openTarget(
  target: LabelTarget,
): Promise<{ teacher: Teacher; rows: LabelRows }> {
  const rows = await openRows(target.rows, await targetReads(target.teacher));
  const teacher = await openTeacher(target.teacher, rows);
  return { teacher, rows };
}
