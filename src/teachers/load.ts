// Teacher kinds declared as data, like data sources: each has a name, a detect() that recognises a
// path or URL (`--teacher ./t.onnx`, `./graph/model.json`, a folder, a model server's URL), and a
// loader. A server URL is the `remote` kind: its protocol comes from the URL's shape
// (…/v2/models/<m>, …/v1/models/<m>, `openai:http://…`) or from --teacher-protocol.
// loadTeacher picks the kind (or takes --teacher-kind), merges the teacher's sidecar JSON
// (`t.onnx.json` beside a file, `teacher.json` in a folder) under the explicit options, and checks
// the teacher's classes against the data. Adding a kind = one entry here; nothing else knows names.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { z } from 'zod';
import type { LayersModel } from '../tf.ts';
import { modelError, usageError } from '../errors.ts';
import type { DataSpec } from '../data/spec.ts';
import { loadModel, oneLine } from '../models/io.ts';
import { createEnsemble, ensembleTeacher, type EnsembleOptions } from '../distill/ensemble.ts';
import type { TeacherInputOptions } from './adapt.ts';
import type { RemoteTeacherConfig } from './remote-config.ts';
import {
  isRemoteTeacherSpec,
  remoteTeacher,
  resolveProtocol,
  type RemoteTeacherSettings,
} from './http/index.ts';
import { layersTeacher } from './layers.ts';
import { runFolderHint } from '../run/run-dir.ts';
import type { Teacher } from './teacher.ts';

export interface LoadTeacherOptions {
  /** The data's spec: batches arrive in its representation; classes are checked against it. */
  data?: DataSpec;
  /** A registered kind, instead of detecting it from the path. */
  kind?: string;
  /** The teacher's own input (overrides the sidecar's). */
  input?: TeacherInputOptions;
  /** Output to read when the model has several (overrides the sidecar's). */
  outputName?: string;
  /** Threads of a runtime that has its own (onnxruntime). */
  threads?: number;
  /**
   * What the caller calls the model and the data in messages (evaluate: 'the model', 'mnist');
   * default: a teacher and 'the data'.
   */
  role?: { model: string; data: string };
  /** A model server's settings (remote kind): protocol, client limits, the API key's variable. */
  remote?: RemoteTeacherSettings & { protocol?: string };
}

export interface TeacherKind {
  readonly name: string;
  readonly description: string;
  /** Does this kind recognise the path or URL? */
  detect(source: string): boolean | Promise<boolean>;
  load(source: string, options: LoadTeacherOptions): Promise<Teacher>;
  /** What its teachers read, when not tensors in the data's representation ('text': LLMs). */
  reads?(source: string, options: LoadTeacherOptions): 'text' | undefined;
}

const isUrl = (s: string) => /^https?:\/\//i.test(s);
const isDir = (p: string) => {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
};

/** The model.json a folder, file or URL names. */
const modelJsonOf = (source: string) =>
  isUrl(source)
    ? /\.json($|\?)/.test(source)
      ? source
      : source.replace(/\/?$/, '/model.json')
    : isDir(source)
      ? join(source, 'model.json')
      : source;

const formats = new Map<string, Promise<string | undefined>>();
/** model.json's `format` ('layers-model', 'graph-model'), or undefined when unreadable. */
function modelFormat(source: string): Promise<string | undefined> {
  const path = modelJsonOf(source);
  if (!path.endsWith('.json') && !isUrl(path)) return Promise.resolve(undefined);
  let found = formats.get(path);
  if (!found) {
    found = (async () => {
      try {
        const text = isUrl(path) ? await (await fetch(path)).text() : readFileSync(path, 'utf8');
        const json = JSON.parse(text);
        // Older Layers exports carry no format: a Keras topology says what they are.
        return json.format ?? (json.modelTopology?.class_name ? 'layers-model' : undefined);
      } catch {
        return undefined;
      }
    })();
    formats.set(path, found);
  }
  return found;
}

export const teacherKinds: Record<string, TeacherKind> = Object.assign(
  Object.create(null) as Record<string, TeacherKind>,
  {
    remote: {
      name: 'remote',
      description:
        'a model server: …/v2/models/<m> (KServe v2, Triton), …/v1/models/<m> (TF Serving), openai:http://…/v1 (an LLM); else --teacher-protocol',
      // Only URLs whose protocol is known: other http(s) URLs may be graph models.
      detect: (source: string) => {
        if (!isRemoteTeacherSpec(source)) return false;
        try {
          resolveProtocol(source);
          return true;
        } catch {
          return false;
        }
      },
      load: async (source: string, o: LoadTeacherOptions) => {
        const settings = { ...o.remote };
        // An LLM's label set defaults to the data's class names, in class order.
        if (!settings.labels && o.data) settings.labels = o.data.classNames;
        const teacher = await remoteTeacher(source, {
          inputName: o.input?.name,
          outputName: o.outputName,
          ...settings,
        });
        checkClasses(teacher, o, source);
        return teacher;
      },
      reads: (source: string, o: LoadTeacherOptions) =>
        resolveProtocol(source, o.remote?.protocol).protocol.reads,
    },
    onnx: {
      name: 'onnx',
      description: 'an .onnx file (PyTorch, Hugging Face, … via onnxruntime-node)',
      detect: (source: string) => !isUrl(source) && /\.onnx$/i.test(source),
      load: async (source: string, o: LoadTeacherOptions) => {
        const { onnxTeacher } = await import('./onnx.ts');
        return onnxTeacher(source, {
          input: o.input,
          outputName: o.outputName,
          data: o.data,
          threads: o.threads,
        });
      },
    },
    'graph-model': {
      name: 'graph-model',
      description: 'a tfjs graph model (tfjs-converter): folder, model.json or http(s) URL',
      detect: async (source: string) => (await modelFormat(source)) === 'graph-model',
      load: async (source: string, o: LoadTeacherOptions) => {
        const { graphModelTeacher } = await import('./graph-model.ts');
        return graphModelTeacher(source, {
          input: o.input,
          outputName: o.outputName,
          data: o.data,
        });
      },
    },
    layers: {
      name: 'layers',
      description: 'a tfjs Layers model (saved by Distillery, Keras/tfjs): folder or model.json',
      detect: async (source: string) =>
        !isUrl(source) && (await modelFormat(source)) === 'layers-model',
      load: async (source: string, o: LoadTeacherOptions) => {
        const dir = isDir(source) ? source : dirname(source);
        const model: LayersModel = await loadModel(dir);
        const teacher = layersTeacher(model, { source: dir });
        checkClasses(teacher, o, source);
        return teacher;
      },
    },
  } satisfies Record<string, TeacherKind>,
);

/** Registers a teacher kind (library users can add their own). */
export function registerTeacherKind(kind: TeacherKind): void {
  teacherKinds[kind.name] = kind;
}

function checkClasses(teacher: Teacher, o: LoadTeacherOptions, source: string): void {
  const data = o.data;
  if (data && data.classNames.length !== teacher.classes)
    throw modelError(
      o.role
        ? `${o.role.model} ${source} outputs ${teacher.classes} classes but ${o.role.data} has ${data.classNames.length}`
        : `teacher ${source} outputs ${teacher.classes} classes but the data has ${data.classNames.length}: use a teacher trained on these classes`,
    );
}

const sidecarSchema = z
  .object({
    input: z
      .object({
        name: z.string().optional(),
        size: z.tuple([z.number().int().positive(), z.number().int().positive()]).optional(),
        channels: z.union([z.literal(1), z.literal(3)]).optional(),
        scale: z.number().positive().optional(),
        mean: z.array(z.number()).optional(),
        std: z.array(z.number().positive()).optional(),
        layout: z.enum(['hwc', 'chw']).optional(),
      })
      .strict()
      .optional(),
    outputName: z.string().optional(),
    classNames: z.array(z.string()).optional(),
  })
  .strict();

export type TeacherSidecar = z.infer<typeof sidecarSchema>;

/** The sidecar beside a teacher file (`t.onnx.json`) or in its folder (`teacher.json`), if any. */
export function readSidecar(source: string): { path: string; sidecar: TeacherSidecar } | undefined {
  if (isUrl(source) || isRemoteTeacherSpec(source)) return undefined;
  const candidates = isDir(source)
    ? [join(source, 'teacher.json')]
    : [`${source}.json`, join(dirname(source), 'teacher.json')].filter(
        (p) => basename(p) !== basename(source),
      );
  const path = candidates.find((p) => existsSync(p));
  if (!path) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw usageError(
      `teacher sidecar ${path} is not valid JSON (${oneLine((e as Error).message)})`,
    );
  }
  const parsed = sidecarSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw usageError(
      `teacher sidecar ${path}: ${issue.path.join('.') || '(root)'}: ${issue.message} (keys: input {name, size, channels, scale, mean, std, layout}, outputName, classNames)`,
    );
  }
  return { path, sidecar: parsed.data };
}

/** The kind that recognises `source`, or a usage error listing the kinds. */
export async function resolveTeacherKind(
  source: string,
  kind?: string,
  /** How messages name it: '--teacher' (distill), or e.g. 'the model' (evaluate). */
  what = '--teacher',
): Promise<TeacherKind> {
  const names = Object.keys(teacherKinds);
  if (kind !== undefined) {
    if (!Object.hasOwn(teacherKinds, kind))
      throw usageError(`--teacher-kind ${kind} is not a teacher kind (kinds: ${names.join(', ')})`);
    return teacherKinds[kind];
  }
  if (!isRemoteTeacherSpec(source) && !existsSync(source))
    throw modelError(`${what} ${source}: no such file or folder`);
  for (const name of names) if (await teacherKinds[name].detect(source)) return teacherKinds[name];
  const runFolder = runFolderHint(source);
  if (runFolder) throw modelError(runFolder);
  throw modelError(
    `${what} ${source}: not a recognised ${what === '--teacher' ? 'teacher' : 'model'} (${names.map((n) => teacherKinds[n].description).join('; ')}); pass --teacher-kind <${names.join('|')}>`,
  );
}

/** What the teacher at `source` reads: tensors of the data, or its texts (an LLM). */
export async function teacherReads(
  source: string,
  options: LoadTeacherOptions = {},
): Promise<'tensor' | 'text'> {
  const kind = await resolveTeacherKind(source, options.kind);
  return kind.reads?.(source, options) ?? 'tensor';
}

/** A teacher spec as given (a URL), or its path made absolute (runs record absolute paths). */
export const resolveTeacherSpec = (spec: string): string =>
  isRemoteTeacherSpec(spec) ? spec : resolve(spec);

/** Loads one teacher of any kind from a path or URL. */
export async function loadTeacher(
  source: string,
  options: LoadTeacherOptions = {},
): Promise<Teacher> {
  const kind = await resolveTeacherKind(source, options.kind, options.role?.model);
  const found = readSidecar(source);
  const sidecar = found?.sidecar ?? {};
  const input = { ...sidecar.input, ...definedOnly(options.input ?? {}) };
  if (
    sidecar.classNames &&
    options.data &&
    sidecar.classNames.length !== options.data.classNames.length
  )
    throw modelError(
      `teacher ${source}: its sidecar ${found!.path} lists ${sidecar.classNames.length} classes but the data has ${options.data.classNames.length}`,
    );
  return kind.load(source, {
    ...options,
    input: Object.keys(input).length > 0 ? input : undefined,
    outputName: options.outputName ?? sidecar.outputName,
  });
}

const definedOnly = <T extends object>(o: T): Partial<T> =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;

export interface LoadedTeachers {
  /** The teacher the distiller, cache and evaluation use (one, or the ensemble). */
  teacher: Teacher;
  /** Its tfjs Layers model, when every teacher is a Layers model (taps, in-graph ensembles). */
  model?: LayersModel;
  /** The ensemble's members, for per-member evaluation (empty for one teacher). */
  members: (Teacher | LayersModel)[];
  /** One line for the log: 'onnx teacher t.onnx', 'ensemble (mean-probs) of …'. */
  description: string;
}

/** One teacher, or several as an ensemble (one Layers model when all are Layers models). */
export async function loadTeachers(
  sources: string[],
  options: LoadTeacherOptions & { ensemble?: EnsembleOptions } = {},
): Promise<LoadedTeachers> {
  if (sources.length === 0) throw usageError('no teacher given');
  const teachers: Teacher[] = [];
  for (const source of sources) teachers.push(await loadTeacher(source, options));
  if (teachers.length === 1) {
    const [teacher] = teachers;
    return {
      teacher,
      model: teacher.model,
      members: [],
      description: `${teacher.kind} teacher loaded from ${sources[0]}`,
    };
  }
  const description = `ensemble (${options.ensemble?.combine ?? 'mean-logits'}) of ${sources.join(', ')}`;
  if (teachers.every((t) => t.model)) {
    const members = teachers.map((t) => t.model!);
    const model = createEnsemble(members, options.ensemble);
    return { teacher: layersTeacher(model), model, members, description };
  }
  return {
    teacher: ensembleTeacher(teachers, options.ensemble),
    members: teachers,
    description,
  };
}

/** The config's remote settings as client settings (the prompt file read here). */
export function remoteSettingsFromConfig(
  remote: RemoteTeacherConfig,
): RemoteTeacherSettings & { protocol?: string } {
  let prompt: string | undefined;
  if (remote.prompt !== undefined) {
    try {
      prompt = readFileSync(remote.prompt, 'utf8');
    } catch {
      throw usageError(`--prompt ${remote.prompt}: cannot read the file`);
    }
  }
  return definedOnly({ ...remote, prompt }) as RemoteTeacherSettings & { protocol?: string };
}

/** The config's `teacherOptions` (CLI flags) as loader options. */
export function teacherOptionsFromConfig(
  o: {
    kind?: string;
    inputName?: string;
    outputName?: string;
    layout?: 'nchw' | 'nhwc';
    size?: [number, number];
    mean?: number[];
    std?: number[];
    remote?: RemoteTeacherConfig;
  } = {},
): LoadTeacherOptions {
  const input = definedOnly({
    name: o.inputName,
    layout: o.layout === undefined ? undefined : o.layout === 'nchw' ? 'chw' : 'hwc',
    size: o.size,
    mean: o.mean,
    std: o.std,
  }) as TeacherInputOptions;
  const remote = o.remote ? remoteSettingsFromConfig(o.remote) : undefined;
  return {
    // A protocol names the kind: `--teacher http://host/v1 --teacher-protocol openai`.
    kind: o.kind ?? (remote?.protocol !== undefined ? 'remote' : undefined),
    outputName: o.outputName,
    input,
    remote,
  };
}
