// Distillery's public API: named exports only. The CLI (src/cli) is a thin layer over these.
export { tf } from './tf.ts';
export { DistilleryError, type ErrorKind } from './errors.ts';

// Data
export {
  dataSources,
  datasetNames,
  loadDataset,
  registerDataSource,
  resolveDataSource,
  defineDataSource,
  featuresAsFloat,
  primaryInput,
  loadMnist,
  loadFashionMnist,
  imageFolder,
  csvTable,
  readRecords,
  fitColumns,
  encodeRows,
  parseIdx,
  readIdx,
  batches,
  randomShift,
  sliceSplit,
  type Dataset,
  type DatasetRef,
  type DataSourceDefinition,
  type CommonDataOptions,
  type DataSpec,
  type InputSpec,
  type Preprocessing,
  type ImagePreprocessing,
  type TablePreprocessing,
  type TokensPreprocessing,
  type Split,
  type SplitOptions,
  type ImageDatasetOptions,
  type Batch,
  type BatchOptions,
  type ImageFolderOptions,
  type Records,
} from './data/index.ts';
export { loadTransferSet, appendExamples } from './data/transfer-set.ts';
export { jitterCopies, type JitterCopiesOptions } from './data/jitter-copies.ts';

// Models
export {
  createMlp,
  createCnn,
  buildModel,
  parseArch,
  modelFactories,
  parameterCount,
  weightBytes,
  checkCompatible,
  type MlpOptions,
  type CnnOptions,
} from './models/index.ts';

// Losses
export {
  softTargets,
  logSoftTargets,
  crossEntropy,
  klDiv,
  softCrossEntropy,
  type Reduction,
} from './losses/index.ts';

// Distillation
export { Distiller, type DistillerOptions, type DistillFitOptions } from './distill/distiller.ts';
export {
  defineMethod,
  type DistillMethod,
  type MethodDefinition,
  type StepTensors,
} from './distill/method.ts';
export * from './distill/methods/index.ts';

// Training
export { trainModel, supervisedStep, type TrainOptions } from './train/train-model.ts';
export {
  fit,
  type FitOptions,
  type FitResult,
  type EpochRecord,
  type TrainStep,
} from './train/loop.ts';
export { createOptimizer, type OptimizerOptions } from './train/optimizers.ts';

// Evaluation, files, backends, the whole job
export {
  evaluate,
  measureLatency,
  type Evaluation,
  type ModelEvaluation,
} from './eval/evaluate.ts';
export { saveModel, loadModel } from './models/io.ts';
export { selectBackend, type BackendInfo, type BackendName } from './backend/index.ts';
export { patchWasmMatMul } from './backend/wasm-patched.ts';
export { runPipeline, type PipelineOptions } from './pipeline/pipeline.ts';
export {
  VERSION,
  stageNames,
  type RunResults,
  type StageName,
  type StageResult,
  type DatasetRecord,
} from './run/record.ts';
export { readRun, readResults, findNewestRun, type RunRecord } from './run/folder.ts';
export { runSeeds, type SeedsOptions, type SeedsResults } from './pipeline/seeds.ts';
export {
  gainVerdict,
  pairedDifference,
  summarize,
  type GainVerdict,
  type PairedDifference,
} from './eval/seed-stats.ts';
export { defaultConfig, resolveConfig, type RunConfig } from './config.ts';
export { tune, type TuneOptions, type TuneResults } from './tune/tune.ts';
export { createEnsemble, combineLogits, type EnsembleOptions } from './distill/ensemble.ts';
export {
  cachedTeacherLogits,
  computeTeacherLogits,
  type TeacherLogits,
} from './distill/teacher-cache.ts';
export { exportModel, compareQuantizations } from './export/export.ts';
export { writeReport } from './report/html.ts';
export { startServer, type ServeOptions, type DemoServer } from './serve/server.ts';

// Teachers (any kind behind one contract)
export {
  layersTeacher,
  asTeacher,
  functionTeacher,
  isTeacher,
  type Teacher,
  type TeacherRecord,
  type LogitsFunction,
} from './teachers/index.ts';
export { onnxTeacher } from './teachers/onnx.ts';
export { graphModelTeacher } from './teachers/graph-model.ts';
export { loadTeacher, loadTeachers, registerTeacherKind, teacherKinds } from './teachers/load.ts';
export { createAdapter } from './teachers/adapt.ts';
export { createMobileNet } from './models/mobilenet.ts';
export { ensembleTeacher } from './distill/ensemble.ts';

// Remote teachers (KServe v2, TF Serving, OpenAI-compatible LLMs) and labelling (issue 10)
export {
  remoteTeacher,
  teacherProtocols,
  kserveV2Teacher,
  tfServingTeacher,
  openAiTeacher,
  HttpClient,
  type RemoteTeacher,
  type RemoteTeacherOptions,
  type OpenAiTeacherOptions,
  type TextTeacher,
} from './teachers/http/index.ts';
export * from './labels/index.ts';
