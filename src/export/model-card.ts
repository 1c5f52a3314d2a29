// The model card written beside an exported model (metadata.json): what the model predicts, from
// which inputs and preprocessing, how it was trained (teacher, method, hyper-parameters), how well
// it does and how big it is. Facts come from the run's results.json when the model sits in
// runs/<ts>/models/<name>; anything not known is written as 'unknown', never guessed.
import { resolve } from 'node:path';
import { tf } from '../tf.ts';
import type { Dataset } from '../data/dataset.ts';
import { primaryInput, type InputSpec } from '../data/spec.ts';
import { VERSION, type RunResults, type StageName } from '../run/record.ts';
import type { RunConfig } from '../config.ts';
import type { RunInfo } from '../run/folder.ts';
import type { Quantization } from './quantize.ts';

export type Unknown = 'unknown';

export interface ModelCard {
  schema: 'distillery.model-card/1';
  name: string;
  createdAt: string;
  createdBy: { distillery: string; tfjs: string };
  format: {
    kind: 'tfjs layers-model';
    /** Load with tf.loadLayersModel(url of model.json); weights dequantize on load. */
    entry: 'model.json';
    files: { name: string; bytes: number }[];
    quantization: Quantization;
    quantizationRule: string;
  };
  size: { parameters: number; bytes: number; weightBytes: number; float32WeightBytes: number };
  input: {
    shape: number[];
    dtype: 'float32' | 'int32';
    preprocessing: string | Unknown;
    spec?: InputSpec;
    /** Text models: the tokenizer file shipped beside model.json (same ids in Node and browser). */
    tokenizer?: string;
  };
  output: { kind: 'logits'; classes: number; classNames: string[] | Unknown };
  dataset:
    | {
        name: string;
        source: string | Unknown;
        train: number | Unknown;
        validation: number | Unknown;
        test: number | Unknown;
      }
    | Unknown;
  /** 'none' for a teacher or a student trained from labels only. */
  teacher:
    | {
        /** 'layers' (tfjs), 'onnx', 'graph-model', 'ensemble', a remote kind, … */
        kind: string | Unknown;
        /** The teacher's file, folder or URL as given (never a secret). */
        source: string | Unknown;
        arch: string | Unknown;
        modelDir: string | Unknown;
        parameters: number | Unknown;
        testAccuracy: number | Unknown;
        /** What the teacher itself was fed (its own preprocessing), when it declared it. */
        input?: string;
        /** How the student's data was adapted to the teacher's input (resize, layout, mean/std). */
        adaptation?: string;
      }
    | 'none'
    | Unknown;
  training: {
    method: { name: string; paper?: string; params: Record<string, unknown> } | Unknown;
    hyperParameters: Record<string, unknown> | Unknown;
  };
  metrics: {
    /** Test accuracy of this exported file, measured after export (on `testExamples`). */
    testAccuracy: number | Unknown;
    testExamples: number | Unknown;
    /** The float32 model's test accuracy on the same examples. */
    float32TestAccuracy: number | Unknown;
    /** Largest |logit − float32 logit| over the test examples. */
    maxAbsLogitDiff: number | Unknown;
    /** Test accuracy recorded by the training run (its own test split). */
    runTestAccuracy: number | Unknown;
  };
  source: { modelDir: string; runDir: string | Unknown };
  notes: string[];
}

export const QUANTIZATION_RULES: Record<Quantization, string> = {
  none: 'float32 weights, unchanged',
  float16:
    'float32 weights rounded to IEEE float16 (round to nearest even); tfjs widens them back on load',
  uint16:
    'per-tensor affine: scale=(max-min)/65535, range nudged so 0 is exact, q=round((clip(x)-min)/scale); tfjs dequantizes q*scale+min',
  uint8:
    'per-tensor affine: scale=(max-min)/255, range nudged so 0 is exact, q=round((clip(x)-min)/scale); tfjs dequantizes q*scale+min',
};

export interface ModelCardInput {
  name: string;
  modelDir: string;
  quantization: Quantization;
  files: { name: string; bytes: number }[];
  parameters: number;
  float32WeightBytes: number;
  inputShape: number[];
  classes: number;
  run?: RunInfo;
  /** The dataset the export was evaluated on (gives class names and preprocessing). */
  dataset?: Dataset;
  /** The file name of a tokenizer shipped beside model.json (text models). */
  tokenizer?: string;
  evaluation?: {
    accuracy: number;
    examples: number;
    float32Accuracy: number;
    maxAbsLogitDiff: number;
  };
  createdAt?: string;
}

/** Assembles the card from what is known; pure (no I/O), so it is easy to test. */
export function buildModelCard(input: ModelCardInput): ModelCard {
  const { run, dataset } = input;
  const results = run?.results;
  const config = run?.config;
  const notes = [...(run?.notes ?? [])];
  const stage = run?.stage as StageName | undefined;
  const runDataset = results?.dataset;
  const datasetName = runDataset?.name ?? config?.dataset ?? dataset?.name;
  // Class names and preprocessing from the evaluation data only if it is the run's dataset.
  const sameData = dataset && (!datasetName || datasetName === dataset.name);
  if (dataset && !run) {
    notes.push(
      `not a run folder: training facts unknown; dataset, class names and preprocessing are those of the evaluation data (${dataset.name})`,
    );
  }
  if (dataset && !sameData) {
    notes.push(
      `evaluated on ${dataset.name} but the model was trained on ${datasetName}: metrics are on ${dataset.name}`,
    );
  }
  const bytes = input.files.reduce((a, f) => a + f.bytes, 0);
  const weightBytes = input.files
    .filter((f) => f.name.endsWith('.bin'))
    .reduce((a, f) => a + f.bytes, 0);

  const settings = stage === 'teacher' ? config?.teacher : config?.student;
  const isStage = stage === 'teacher' || stage === 'scratch' || stage === 'distilled';
  const row = (name: string) => results?.evaluation.rows.find((r) => r.name === name);

  let teacher: ModelCard['teacher'] = 'unknown';
  if (stage === 'teacher' || stage === 'scratch') teacher = 'none';
  else if (stage === 'distilled' && config)
    teacher = describeTeacher(results, config, row('teacher'));

  let method: ModelCard['training']['method'] = 'unknown';
  if (stage === 'distilled' && results) method = results.method;
  else if (stage === 'distilled' && config) {
    const { name, ...params } = config.method;
    method = { name, params };
  } else if ((stage === 'teacher' || stage === 'scratch') && config) {
    method = { name: 'supervised', params: { loss: 'cross-entropy with the true labels' } };
  }

  const hyperParameters: ModelCard['training']['hyperParameters'] =
    isStage && config && settings
      ? {
          ...settings,
          batchSize: config.batchSize,
          seed: config.seed,
          trainLimit: config.trainLimit ?? 'all',
          validationSize: config.validationSize,
          bestEpoch: results?.stages[stage!]?.bestEpoch ?? 'unknown',
        }
      : 'unknown';

  const ev = input.evaluation;
  const inputSpec =
    sameData && dataset!.spec
      ? primaryInput(dataset!.spec)
      : runDataset?.spec
        ? primaryInput(runDataset.spec)
        : undefined;
  return {
    schema: 'distillery.model-card/1',
    name: input.name,
    createdAt: input.createdAt ?? new Date().toISOString(),
    createdBy: { distillery: VERSION, tfjs: tf.version.tfjs },
    format: {
      kind: 'tfjs layers-model',
      entry: 'model.json',
      files: input.files,
      quantization: input.quantization,
      quantizationRule: QUANTIZATION_RULES[input.quantization],
    },
    size: {
      parameters: input.parameters,
      bytes,
      weightBytes,
      float32WeightBytes: input.float32WeightBytes,
    },
    input: {
      shape: input.inputShape,
      dtype: inputSpec?.dtype ?? 'float32',
      preprocessing: runDataset?.preprocessing ?? (sameData ? dataset!.preprocessing : 'unknown'),
      // Machine-readable preprocessing (image size / channels / scale, a table's training-split
      // mean/std and vocabularies) so that whoever ships the model applies the same.
      ...(inputSpec
        ? { spec: input.tokenizer ? withoutVocabulary(inputSpec, input.tokenizer) : inputSpec }
        : {}),
      ...(input.tokenizer ? { tokenizer: input.tokenizer } : {}),
    },
    output: {
      kind: 'logits',
      classes: input.classes,
      classNames:
        runDataset?.classNames?.length === input.classes
          ? runDataset.classNames
          : sameData && dataset!.classNames.length === input.classes
            ? dataset!.classNames
            : 'unknown',
    },
    dataset: runDataset
      ? {
          name: runDataset.name,
          source: runDataset.source,
          train: runDataset.train,
          validation: runDataset.validation,
          test: runDataset.test,
        }
      : datasetName
        ? {
            name: datasetName,
            source: sameData ? dataset!.source : 'unknown',
            train: 'unknown',
            validation: 'unknown',
            test: 'unknown',
          }
        : 'unknown',
    teacher,
    training: { method, hyperParameters },
    metrics: {
      testAccuracy: ev?.accuracy ?? 'unknown',
      testExamples: ev?.examples ?? 'unknown',
      float32TestAccuracy: ev?.float32Accuracy ?? 'unknown',
      maxAbsLogitDiff: ev?.maxAbsLogitDiff ?? 'unknown',
      runTestAccuracy: (stage && row(stage)?.accuracy) ?? 'unknown',
    },
    source: { modelDir: resolve(input.modelDir), runDir: run?.runDir ?? 'unknown' },
    notes,
  };
}

/**
 * The teacher of a distilled model, from the run record: its kind and source (results.teacher,
 * written for any teacher kind), else a tfjs Layers teacher trained or loaded in the run.
 */
function describeTeacher(
  results: RunResults | undefined,
  config: RunConfig,
  row: { parameters?: number } | undefined,
): Exclude<ModelCard['teacher'], 'none' | Unknown> {
  const stage = results?.stages.teacher;
  const record = results?.teacher;
  const loaded = stage?.source === 'loaded';
  return {
    kind: record?.kind ?? (results ? 'layers' : 'unknown'),
    source: record?.source ?? stage?.modelDir ?? 'unknown',
    // A teacher loaded with --teacher is not described by config.teacher.
    arch: loaded ? 'unknown' : (config.teacher?.arch ?? 'unknown'),
    modelDir: stage?.modelDir ?? 'unknown',
    parameters: row?.parameters ?? record?.parameters ?? 'unknown',
    testAccuracy: results?.summary.teacherAccuracy ?? 'unknown',
    ...(record?.input?.description ? { input: record.input.description } : {}),
    ...(typeof record?.adaptation === 'string' ? { adaptation: record.adaptation } : {}),
  };
}

/** A token input's spec with the tokenizer's vocabulary replaced by the file that carries it. */
function withoutVocabulary(spec: InputSpec, file: string): InputSpec {
  const p = spec.preprocessing as { tokenizer?: { type?: string; vocabulary?: unknown[] } };
  if (!Array.isArray(p.tokenizer?.vocabulary)) return spec;
  const { vocabulary, ...rest } = p.tokenizer;
  return {
    ...spec,
    preprocessing: {
      ...spec.preprocessing,
      tokenizer: { ...rest, type: String(rest.type ?? 'words'), words: vocabulary.length, file },
    },
  };
}
