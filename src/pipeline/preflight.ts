// Everything about a run that can be checked before its first training step, so a bad setting
// fails in a second with one line instead of after the teacher trained: schedules over the whole
// epoch budget, the method's loss on a random batch (finite, not identically zero), empty splits,
// and class counts and input shapes of saved students and teachers against the data.
import { resolve } from 'node:path';
import { tf, type LayersModel } from '../tf.ts';
import type { RunConfig } from '../config.ts';
import type { RunCommand } from '../run/record.ts';
import type { Dataset } from '../data/dataset.ts';
import { methods, type MethodName } from '../distill/methods/index.ts';
import type { DistillMethod } from '../distill/method.ts';
import { scheduleValue } from '../distill/schedule.ts';
import { isModelDir, loadModel } from '../models/io.ts';
import { resolveTeacherKind, teacherOptionsFromConfig } from '../teachers/load.ts';
import { inputShapeOf, outputSize } from '../models/index.ts';
import { dataError, modelError, usageError } from '../errors.ts';
import { openStoreTeacher, storeExpectations } from '../labels/teacher-logits.ts';
import { checkTokenizerMatchesData } from '../text/tokenizer-file.ts';

type Command = Exclude<RunCommand, 'tune'>;

const distills = (command: Command) => command !== 'train-teacher';

/** Epochs of the stages the method trains (born-again generations train like the teacher). */
function methodEpochs(config: RunConfig, command: Command): number {
  return command === 'born-again' ? config.teacher.epochs : config.student.epochs;
}

function boundMethod(config: RunConfig): DistillMethod {
  const { name, ...params } = config.method;
  return methods[name as MethodName](params as never);
}

/** The method with its scheduled parameters at each epoch; a value out of range is a usage error. */
export function scheduledMethods(config: RunConfig, command: Command): DistillMethod[] {
  const method = boundMethod(config);
  const epochs = methodEpochs(config, command);
  const keys = Object.keys(config.schedules);
  if (keys.length === 0) return [method];
  return Array.from({ length: epochs }, (_, i) => {
    const values = Object.fromEntries(
      keys.map((k) => [k, scheduleValue(config.schedules[k], i + 1, epochs)]),
    );
    try {
      return method.withParams(values);
    } catch (e) {
      const shown = keys
        .map((k) => {
          const s = config.schedules[k];
          return `${k}=${s.shape}:${s.from}:${s.to} gives ${values[k]}`;
        })
        .join(', ');
      throw usageError(
        `schedule out of range at epoch ${i + 1} of ${epochs}: ${shown}, but ${(e as Error).message}; keep the schedule inside the parameter's range`,
      );
    }
  });
}

/** Checks that need no data and no tensors: run before the run folder is created. */
export function checkBeforeStart(options: { config: RunConfig; command: Command }): void {
  if (distills(options.command)) scheduledMethods(options.config, options.command);
}

/**
 * A method's loss on a random batch with its parameters at every epoch: a non-finite term (e.g.
 * temperature 1e308) or all terms exactly zero (every weight 0) would waste the whole run.
 * Feature methods and methods with their own variables are left to training.
 */
export function checkMethodLoss(config: RunConfig, command: Command, classes: number): void {
  for (const method of scheduledMethods(config, command)) {
    if (method.taps || method.createVariables) return;
    const terms = tf.tidy(() => {
      const random = (seed: number) => tf.randomNormal([8, classes], 0, 3, 'float32', seed);
      const labels = tf.tensor1d(
        Array.from({ length: 8 }, (_, i) => i % classes),
        'int32',
      );
      const out = method.losses({
        studentLogits: random(1),
        teacherLogits: random(2),
        labels,
        studentFeatures: [],
        teacherFeatures: [],
        variables: {},
        context: { epoch: 1, epochs: 1, batch: 0, batches: 1, progress: 0 },
      });
      return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, v.dataSync()[0]]));
    });
    const params = Object.entries(method.params)
      .filter(([, v]) => typeof v === 'number')
      .map(([k, v]) => `${k} ${v}`)
      .join(', ');
    const bad = Object.entries(terms).find(([, v]) => !Number.isFinite(v));
    if (bad) {
      throw usageError(
        `method ${method.name} gives a ${bad[1]} '${bad[0]}' loss on a random batch with ${params}: a parameter is out of its useful range (e.g. --temperature); change it`,
      );
    }
    if (Object.values(terms).every((v) => v === 0)) {
      throw usageError(
        `every loss term of method ${method.name} is zero with ${params}: nothing would be learned; give at least one loss weight (e.g. --hard-weight, --soft-weight) a positive value`,
      );
    }
  }
}

/** Whether the model's last layer applies a softmax (its outputs are probabilities, not logits). */
export function endsInSoftmax(model: LayersModel): boolean {
  const last = model.layers.at(-1);
  if (!last) return false;
  const config = last.getConfig() as { activation?: string };
  return config.activation === 'softmax' || last.getClassName() === 'Softmax';
}

/** The model predicts the data's classes from its input shape; `role` and `where` name it. */
export function checkModelFitsData(
  model: LayersModel,
  role: string,
  where: string,
  data: Pick<Dataset, 'name' | 'classes' | 'inputShape'>,
) {
  const classes = outputSize(model, role);
  if (classes !== data.classes) {
    throw modelError(
      `${role} ${where} outputs ${classes} classes but ${data.name} has ${data.classes}: use a model trained on ${data.name}`,
    );
  }
  const got = inputShapeOf(model).join('×');
  const want = data.inputShape.join('×');
  if (got !== want) {
    throw modelError(`${role} ${where} takes inputs of ${got} but ${data.name} has ${want}`);
  }
}

/**
 * Checks with the data loaded, before the first stage trains: non-empty splits, saved models
 * (student or teacher architecture folders, --teacher folders) against the data's classes and
 * input shape, and the method's loss. Returns warnings to show (e.g. a teacher ending in softmax).
 */
export async function checkModels(options: {
  config: RunConfig;
  command: Command;
  data: Dataset;
  teacherDirs?: string[];
}): Promise<string[]> {
  const { config, command, data } = options;
  for (const split of ['train', 'test'] as const) {
    if (data[split].count === 0) {
      throw dataError(
        `the ${split} split of ${data.name} is empty: nothing to ${split === 'test' ? 'evaluate' : 'train on'}; use at least one example`,
      );
    }
  }
  const warnings: string[] = [];
  const check = async (dir: string, role: string, teacher: boolean) => {
    const model = await loadModel(dir);
    try {
      checkModelFitsData(model, role, dir, data);
      checkTokenizerMatchesData(dir, role, data.spec);
      if (teacher && endsInSoftmax(model)) {
        warnings.push(
          `warning: ${role} ${dir} ends in a softmax: its outputs are probabilities, which distillation reads as logits (soft targets get flatter); export the model without its final softmax`,
        );
      }
    } finally {
      model.dispose();
    }
  };
  const trainsTeacher = !options.teacherDirs?.length && command !== 'distill';
  if (trainsTeacher && isModelDir(config.teacher.arch))
    await check(config.teacher.arch, 'teacher architecture', false);
  // Layers teachers are checked here; other kinds (ONNX, graph model) check classes and input
  // shapes against the data when they load (src/teachers/load.ts), also before any training.
  for (const dir of options.teacherDirs ?? [])
    if (
      (await resolveTeacherKind(dir, teacherOptionsFromConfig(config.teacherOptions).kind)).name ===
      'layers'
    )
      await check(dir, 'teacher', true);
  if ((command === 'run' || command === 'distill') && isModelDir(config.student.arch))
    await check(config.student.arch, 'student architecture', false);
  if (distills(command)) checkMethodLoss(config, command, data.classes);
  if (config.teacherLogits)
    openStoreTeacher(resolve(config.teacherLogits), command, data.train, storeExpectations(data));
  return warnings;
}
