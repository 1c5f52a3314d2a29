// The whole job of Hinton et al. 2015 on one dataset: train (or load) a teacher, train the
// student from scratch as the baseline, distil the same student architecture with the same seed,
// optimizer, epochs and batch size (only the loss differs), evaluate the three side by side, and
// write a run folder. Each stage checkpoints per epoch and a run can be resumed after a kill.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { LayersModel } from '../tf.ts';
import type { RunConfig, TrainingConfig } from '../config.ts';
import { validateConfig } from '../config.ts';
import { datasetRefOf, loadDataset, type Dataset } from '../data/index.ts';
import { buildModel } from '../models/index.ts';
import { isModelDir, loadModel, saveModel, writeAtomic } from '../export/model-io.ts';
import { fit, type BatchInfo, type EpochRecord, type TrainStep } from '../train/loop.ts';
import { createOptimizer } from '../train/optimizers.ts';
import { supervisedStep } from '../train/train-model.ts';
import { Distiller } from '../distill/distiller.ts';
import { methods } from '../distill/methods/index.ts';
import { evaluate, type ModelEvaluation } from '../eval/evaluate.ts';
import { selectBackend, type BackendInfo } from '../backend/index.ts';
import { deriveSeed } from '../random.ts';
import { ioError, usageError } from '../errors.ts';
import { StageCheckpoints } from './checkpoint.ts';
import { cachedTeacherLogits, checkCacheAllowed } from '../distill/teacher-cache.ts';
import { createEnsemble } from '../distill/ensemble.ts';
import { checkTeacherStudent } from '../distill/distiller.ts';
import { asTeacher } from '../teachers/layers.ts';
import { loadTeachers, teacherOptionsFromConfig } from '../teachers/load.ts';
import type { Teacher, TeacherRecord } from '../teachers/teacher.ts';

export const stageNames = ['teacher', 'scratch', 'distilled'] as const;
/** 'teacher' | 'scratch' | 'distilled', or 'generation-<k>' in born-again runs. */
export type StageName = (typeof stageNames)[number] | `generation-${number}`;

export interface PipelineEvents {
  onInfo?(message: string): void;
  onStageStart?(
    stage: StageName,
    info: { epochs: number; startEpoch: number; batches: number },
  ): void;
  onBatchEnd?(stage: StageName, info: BatchInfo): void;
  onEpochEnd?(stage: StageName, record: EpochRecord): void;
  onStageEnd?(stage: StageName, info: StageResult): void;
}

export interface StageResult {
  /** 'trained' in this run, 'resumed' from a checkpoint, 'loaded' from a saved model. */
  source: 'trained' | 'resumed' | 'loaded';
  epochs: number;
  bestEpoch?: number;
  seconds: number;
  history: EpochRecord[];
  modelDir: string;
}

export interface RunResults {
  distillery: string;
  createdAt: string;
  runDir: string;
  command: string;
  config: RunConfig;
  backend: BackendInfo;
  dataset: {
    name: string;
    source: string;
    preprocessing: string;
    train: number;
    validation: number;
    test: number;
    classes: number;
  };
  method: { name: string; paper?: string; params: Record<string, unknown> };
  /** A loaded teacher's record (kind, source, its own input and the adaptation to it). */
  teacher?: TeacherRecord;
  stages: Partial<Record<StageName, Omit<StageResult, 'history'>>>;
  evaluation: { split: 'test'; reference?: string; rows: ModelEvaluation[] };
  summary: {
    teacherAccuracy?: number;
    scratchAccuracy?: number;
    distilledAccuracy?: number;
    /** Born-again runs: test accuracy of generations 1…n. */
    generationAccuracies?: number[];
    /**
     * distilled − scratch test accuracy (positive = distillation helped); in born-again runs,
     * last generation − teacher (the same architecture trained without distillation).
     */
    distillationGain?: number;
    /** teacher parameters / student parameters. */
    compression?: number;
  };
  seconds: number;
}

export interface PipelineOptions {
  config: RunConfig;
  /**
   * Which stages to run: 'run' = all three, 'train-teacher' = teacher only, 'distill' = students
   * with a given teacher, 'born-again' = teacher then `generations` students of the teacher's
   * architecture, each distilled from the one before (Furlanello et al. 2018).
   */
  command: 'run' | 'train-teacher' | 'distill' | 'born-again';
  /** Saved teacher(s) to reuse (skips the teacher stage); several form an ensemble. */
  teacherDirs?: string[];
  /** Existing run folder to continue. */
  resumeDir?: string;
  events?: PipelineEvents;
}

export const VERSION: string = JSON.parse(
  readFileSync(new URL('../../package.json', import.meta.url), 'utf8'),
).version;

/** Creates runs/<timestamp>/ (never reusing an existing folder). */
export function createRunDir(outDir: string, prefix = ''): string {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-').replace('T', '_').slice(0, 19);
  for (let i = 0; ; i++) {
    const dir = resolve(outDir, prefix + (i === 0 ? stamp : `${stamp}-${i}`));
    if (!existsSync(dir)) {
      mkdirSync(dir, { recursive: true });
      return dir;
    }
  }
}

/** Reads the config a run folder was started with (for --resume). */
export function readRunConfig(runDir: string): {
  config: RunConfig;
  command: PipelineOptions['command'];
  teacherDirs?: string[];
} {
  const path = join(runDir, 'config.json');
  if (!existsSync(path))
    throw usageError(`--resume ${runDir}: no config.json there (is it a Distillery run folder?)`);
  const saved = JSON.parse(readFileSync(path, 'utf8'));
  return {
    config: validateConfig(saved.config),
    command: saved.command,
    teacherDirs: saved.teacherDirs,
  };
}

export async function runPipeline(options: PipelineOptions): Promise<RunResults> {
  const started = performance.now();
  const { config, command, events = {} } = options;
  const backend = await selectBackend(config.backend, { threads: config.threads });
  events.onInfo?.(`backend: ${backend.description}, ${backend.threads} thread(s)`);

  const runDir = options.resumeDir ? resolve(options.resumeDir) : createRunDir(config.outDir);
  if (options.resumeDir && existsSync(join(runDir, 'results.json'))) {
    throw usageError(
      `${runDir} already finished (results.json exists): start a new run instead of --resume`,
    );
  }
  if (!options.resumeDir) {
    writeAtomic(
      join(runDir, 'config.json'),
      JSON.stringify(
        { command, teacherDirs: options.teacherDirs?.map((d) => resolve(d)), config },
        null,
        2,
      ),
    );
  }
  events.onInfo?.(`run folder: ${runDir}`);

  const data = await loadDataset(datasetRefOf(config));
  events.onInfo?.(
    `${data.name}: ${data.train.count} train / ${data.validation.count} validation / ${data.test.count} test`,
  );

  const stages: RunResults['stages'] = {};
  let teacherRecord: TeacherRecord | undefined;
  const models: Partial<Record<StageName, LayersModel>> = {};
  const metrics: Partial<Record<StageName, EpochRecord[]>> = {};
  const writeMetrics = () =>
    writeAtomic(join(runDir, 'metrics.json'), JSON.stringify(metrics, null, 1));
  const runStage = async (
    stage: StageName,
    train: (model: LayersModel) => Promise<StageResult>,
    build: () => Promise<LayersModel>,
  ) => {
    const modelDir = join(runDir, 'models', stage);
    const model = isModelDir(modelDir) ? await loadModel(modelDir) : await build();
    const result = isModelDir(modelDir)
      ? { ...(readStageRecord(runDir, stage) ?? emptyStage(modelDir)), source: 'loaded' as const }
      : await train(model);
    models[stage] = model;
    metrics[stage] = result.history;
    const { history: _history, ...rest } = result;
    stages[stage] = rest;
    writeMetrics();
    writeAtomic(join(runDir, 'stages', `${stage}.json`), JSON.stringify(result, null, 1));
    events.onStageEnd?.(stage, result);
  };

  const trainStage =
    (
      stage: StageName,
      settings: TrainingConfig,
      makeStep: (model: LayersModel) => TrainStep | Promise<TrainStep>,
      seedKey: string = stage === 'teacher' ? 'teacher' : 'student',
    ) =>
    async (model: LayersModel): Promise<StageResult> => {
      const modelDir = join(runDir, 'models', stage);
      const checkpoints = new StageCheckpoints(join(runDir, 'checkpoints', stage));
      const optimizer = createOptimizer({
        name: settings.optimizer,
        learningRate: settings.learningRate,
      });
      const restored = await checkpoints.restore(model, optimizer);
      const startEpoch = restored?.state.epoch ?? 0;
      if (restored)
        events.onInfo?.(`${stage}: resuming after epoch ${startEpoch} from ${checkpoints.dir}`);
      events.onStageStart?.(stage, {
        epochs: settings.epochs,
        startEpoch,
        batches: Math.ceil(data.train.count / config.batchSize),
      });
      const t0 = performance.now();
      const result = await fit({
        model,
        step: await makeStep(model),
        optimizer,
        train: data.train,
        validation: data.validation,
        inputShape: data.inputShape,
        epochs: settings.epochs,
        batchSize: config.batchSize,
        // Scratch and distilled students share this seed: same init, order and dropout.
        seed: deriveSeed(config.seed, seedKey),
        shiftPixels: settings.shiftPixels,
        startEpoch,
        history: restored?.state.history,
        bestWeights: restored?.bestWeights,
        onBatchEnd: (info) => events.onBatchEnd?.(stage, info),
        onEpochEnd: async (record, state) => {
          metrics[stage] = state.history;
          writeMetrics();
          await checkpoints.write(model, optimizer, state.history, state.improved);
          events.onEpochEnd?.(stage, record);
        },
      });
      optimizer.dispose();
      await saveModel(model, modelDir);
      checkpoints.clear();
      return {
        source: restored ? 'resumed' : 'trained',
        epochs: settings.epochs,
        bestEpoch: result.bestEpoch,
        seconds: (performance.now() - t0) / 1000,
        history: result.history,
        modelDir,
      };
    };

  const buildOptions = (settings: TrainingConfig, role: string, seedKey = role) => ({
    inputShape: data.inputShape,
    classes: data.classes,
    dropout: settings.dropout,
    inputDropout: settings.inputDropout,
    seed: deriveSeed(config.seed, seedKey, 'init'),
    name: role,
  });

  // 1. Teacher: trained here, or loaded from --teacher (any kind: Layers, ONNX, graph model).
  const teacherDirs = options.teacherDirs ?? [];
  const members: (LayersModel | Teacher)[] = [];
  let loadedTeacher: Teacher | undefined;
  if (teacherDirs.length > 0) {
    const loaded = await loadTeachers(teacherDirs, {
      ...teacherOptionsFromConfig(config.teacherOptions),
      data: data.spec,
      ensemble: config.ensemble,
    });
    if (loaded.model) models.teacher = loaded.model;
    else loadedTeacher = loaded.teacher;
    members.push(...loaded.members);
    teacherRecord = loaded.teacher.describe();
    stages.teacher = {
      source: 'loaded',
      epochs: 0,
      seconds: 0,
      modelDir: teacherDirs.map((d) => (/^https?:/.test(d) ? d : resolve(d))).join(', '),
    };
    events.onInfo?.(`teacher: ${loaded.description}`);
  } else {
    await runStage(
      'teacher',
      trainStage('teacher', config.teacher, (m) => supervisedStep(m)),
      () => buildModel(config.teacher.arch, buildOptions(config.teacher, 'teacher')),
    );
  }
  const teacher: LayersModel | Teacher = models.teacher ?? loadedTeacher!;

  // 2 + 3. Students: the baseline and the distilled one, identical but for the loss.
  const { name: methodName, ...methodParams } = config.method;
  const method = methods[methodName as keyof typeof methods](methodParams);
  if (command === 'born-again') {
    // Each generation: the teacher's architecture and training settings, its own seed, distilled
    // from the generation before (live teacher: the teacher's augmentation forbids a cache).
    for (let k = 1; k <= config.generations; k++) {
      const stage: StageName = `generation-${k}`;
      const previous = models[k === 1 ? 'teacher' : (`generation-${k - 1}` as StageName)]!;
      await runStage(
        stage,
        trainStage(
          stage,
          config.teacher,
          (m) =>
            new Distiller({
              teacher: previous,
              student: m,
              method,
              seed: deriveSeed(config.seed, stage),
              schedules: config.schedules,
            }).trainStep(),
          stage,
        ),
        () => buildModel(config.teacher.arch, buildOptions(config.teacher, 'student', stage)),
      );
    }
  } else if (command !== 'train-teacher') {
    const buildStudent = async () => {
      const student = await buildModel(
        config.student.arch,
        buildOptions(config.student, 'student'),
      );
      checkTeacherStudent(asTeacher(teacher), student);
      return student;
    };
    await runStage(
      'scratch',
      trainStage('scratch', config.student, (m) => supervisedStep(m)),
      buildStudent,
    );
    // Teacher logits once per fixed transfer set (no augmentation, no teacher layer taps).
    const teacherLogits = async () => {
      const fixed = config.student.shiftPixels === 0 && !method.taps?.teacher.length;
      if (config.teacherCache === 'off' || (config.teacherCache === 'auto' && !fixed))
        return undefined;
      checkCacheAllowed(config.student.shiftPixels);
      const t0 = performance.now();
      const cached = await cachedTeacherLogits(teacher, data.train, {
        dir: resolve(config.outDir, '.cache'),
        preprocessing: `${data.name}: ${data.preprocessing}`,
      });
      const seconds = ((performance.now() - t0) / 1000).toFixed(1);
      events.onInfo?.(
        `teacher logits ${cached.hit ? 'read from the cache' : 'computed and cached'}: ${cached.count} examples, ${seconds} s`,
      );
      return cached;
    };
    await runStage(
      'distilled',
      trainStage('distilled', config.student, async (m) =>
        new Distiller({
          teacher,
          student: m,
          method,
          teacherLogits: await teacherLogits(),
          seed: deriveSeed(config.seed, 'student'),
          schedules: config.schedules,
        }).trainStep(),
      ),
      buildStudent,
    );
  }

  // 4. Evaluate side by side on the test split.
  events.onInfo?.('evaluating on the test split');
  const generationNames = Object.keys(models).filter((n) => n.startsWith('generation-'));
  // Born-again ensemble (BAN-E): all generations, teacher included, averaged.
  const generationEnsemble =
    generationNames.length > 0
      ? createEnsemble(
          ['teacher', ...generationNames].map((n) => models[n as StageName]!),
          { combine: 'mean-probs' },
        )
      : undefined;
  const evaluation = await evaluate({
    models: {
      ...(loadedTeacher ? { teacher: loadedTeacher } : {}),
      ...(models as Record<string, LayersModel>),
      ...Object.fromEntries(members.map((m, i) => [`teacher ${i + 1}`, m])),
      ...(generationEnsemble ? { 'ensemble of generations': generationEnsemble } : {}),
    },
    data: data.test,
    reference: 'teacher',
  });
  const acc = (name: string) => evaluation.rows.find((r) => r.name === name)?.accuracy;
  const params = (name: string) => evaluation.rows.find((r) => r.name === name)?.parameters;
  const results: RunResults = {
    distillery: VERSION,
    createdAt: new Date().toISOString(),
    runDir,
    command,
    config,
    backend,
    dataset: describeDataset(data),
    ...(teacherRecord ? { teacher: teacherRecord } : {}),
    method: { name: method.name, paper: method.paper, params: { ...method.params } },
    stages,
    evaluation: { split: 'test', reference: evaluation.reference, rows: evaluation.rows },
    summary: {
      teacherAccuracy: acc('teacher'),
      scratchAccuracy: acc('scratch'),
      distilledAccuracy: acc(generationNames.at(-1) ?? 'distilled'),
      generationAccuracies: generationNames.length
        ? generationNames.map((n) => acc(n)!)
        : undefined,
      distillationGain:
        generationNames.length > 0
          ? acc(generationNames.at(-1)!)! - acc('teacher')!
          : acc('distilled') !== undefined && acc('scratch') !== undefined
            ? acc('distilled')! - acc('scratch')!
            : undefined,
      compression:
        params('teacher') && params('distilled')
          ? params('teacher')! / params('distilled')!
          : undefined,
    },
    seconds: (performance.now() - started) / 1000,
  };
  writeAtomic(join(runDir, 'results.json'), JSON.stringify(results, null, 2));
  // An ensemble disposes its member teachers with it.
  for (const m of Object.values(models)) m?.dispose();
  await loadedTeacher?.dispose();
  // The report is a view of the finished run: failing to draw it never fails the run.
  try {
    const { writeReport } = await import('../report/html.ts');
    const reportPath = await writeReport(runDir);
    events.onInfo?.(`report: ${reportPath}`);
  } catch (e) {
    events.onInfo?.(
      `report.html not written (${(e as Error).message}); retry with 'distillery report ${runDir}'`,
    );
  }
  return results;
}

function describeDataset(data: Dataset): RunResults['dataset'] {
  return {
    name: data.name,
    source: data.source,
    preprocessing: data.preprocessing,
    train: data.train.count,
    validation: data.validation.count,
    test: data.test.count,
    classes: data.classes,
  };
}

function readStageRecord(runDir: string, stage: StageName): StageResult | undefined {
  const path = join(runDir, 'stages', `${stage}.json`);
  if (!existsSync(path)) return undefined;
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as StageResult;
  } catch {
    throw ioError(
      `${path} is unreadable: delete models/${stage} in the run folder to retrain that stage`,
    );
  }
}

function emptyStage(modelDir: string): StageResult {
  return { source: 'loaded', epochs: 0, seconds: 0, history: [], modelDir };
}
