// Stage 4 of a job: every model side by side on the test split, and the run record that says
// what was done (results.json). The record is computed here once; report, export and serve read it.
import type { LayersModel } from '../tf.ts';
import type { Dataset } from '../data/index.ts';
import type { DistillMethod } from '../distill/method.ts';
import { createEnsemble } from '../distill/ensemble.ts';
import { evaluate } from '../eval/evaluate.ts';
import { gainVerdict, type GainVerdict } from '../eval/seed-stats.ts';
import { describeEnvironment } from '../eval/environment.ts';
import type { Teacher } from '../teachers/teacher.ts';
import { VERSION, type DatasetRecord, type RunResults, type StageName } from '../run/record.ts';
import { writeResults } from '../run/folder.ts';
import type { RunContext } from './context.ts';

export async function evaluateStage(
  ctx: RunContext,
  options: { teacher: Teacher; members: (LayersModel | Teacher)[]; method: DistillMethod },
): Promise<RunResults> {
  const { config, models, events } = ctx;
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
      // A loaded non-Layers teacher, unless it can only serve rows it labelled before.
      ...(models.teacher || options.teacher.storedRowsOnly ? {} : { teacher: options.teacher }),
      ...(models as Record<string, LayersModel>),
      ...Object.fromEntries(options.members.map((m, i) => [`teacher ${i + 1}`, m])),
      ...(generationEnsemble ? { 'ensemble of generations': generationEnsemble } : {}),
    },
    data: ctx.data.test,
    inputShape: ctx.data.inputShape,
    reference: 'teacher',
    classNames: ctx.data.classNames,
  });
  const acc = (name: string) => evaluation.rows.find((r) => r.name === name)?.accuracy;
  const params = (name: string) => evaluation.rows.find((r) => r.name === name)?.parameters;
  const { method } = options;
  const results: RunResults = {
    distillery: VERSION,
    createdAt: new Date().toISOString(),
    runDir: ctx.runDir,
    command: ctx.command,
    config,
    backend: ctx.backend,
    environment: await describeEnvironment(),
    dataset: { ...describeDataset(ctx.data), transferSet: ctx.transfer?.count },
    teacher: options.teacher.describe(),
    method: { name: method.name, paper: method.paper, params: { ...method.params } },
    stages: ctx.stages,
    autoTune: ctx.autoTune,
    teacherCheck: ctx.teacherCheck,
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
      verdict: gainArms(generationNames.at(-1), acc),
      compression:
        params('teacher') && params('distilled')
          ? params('teacher')! / params('distilled')!
          : undefined,
    },
    seconds: (performance.now() - ctx.started) / 1000,
  };
  writeResults(ctx.runDir, results);
  return results;
}

/** The one-seed verdict of the gain: distilled vs scratch, or last generation vs teacher. */
function gainArms(
  lastGeneration: string | undefined,
  acc: (name: string) => number | undefined,
): GainVerdict | undefined {
  const [baseline, candidate] = lastGeneration
    ? [acc('teacher'), acc(lastGeneration)]
    : [acc('scratch'), acc('distilled')];
  return baseline !== undefined && candidate !== undefined
    ? gainVerdict([baseline], [candidate])
    : undefined;
}

export function describeDataset(data: Dataset): DatasetRecord {
  return {
    name: data.name,
    source: data.source,
    preprocessing: data.preprocessing,
    train: data.train.count,
    validation: data.validation.count,
    test: data.test.count,
    classes: data.classes,
    classNames: data.classNames,
    spec: data.spec,
  };
}
