// A tfjs LayersModel as a Teacher: logits by predict (inference mode), identity = hash of
// topology and weights, taps through `model`. The teachers Distillery trains itself are these.
import { createHash } from 'node:crypto';
import { tf, type LayersModel, type Tensor } from '../tf.ts';
import { inputShapeOf, outputSize, parameterCount, weightBytes } from '../models/index.ts';
import type { Teacher, TeacherRecord } from './teacher.ts';

/** Hash of a model's topology and weight values. */
export function modelHash(model: LayersModel): string {
  const hash = createHash('sha256');
  hash.update(JSON.stringify(model.toJSON(null, false)));
  for (const w of model.getWeights()) {
    const data = w.dataSync();
    hash.update(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  }
  return hash.digest('hex');
}

export interface LayersTeacherOptions {
  /** Where the model came from, for the run record (default: its name). */
  source?: string;
  kind?: string;
}

/** Wraps a LayersModel (single [batch, classes] output) as a frozen Teacher. */
export function layersTeacher(model: LayersModel, options: LayersTeacherOptions = {}): Teacher {
  const classes = outputSize(model, 'teacher');
  let identity: string | undefined;
  return {
    kind: options.kind ?? 'layers',
    classes,
    dataShape: inputShapeOf(model),
    model,
    identity: async () => (identity ??= modelHash(model)),
    logits: async (x: Tensor) => tf.tidy(() => model.predict(x) as Tensor), // [batch, classes]
    describe: (): TeacherRecord => ({
      kind: options.kind ?? 'layers',
      source: options.source ?? model.name,
      classes,
      parameters: parameterCount(model),
      weightBytes: weightBytes(model),
    }),
    dispose: () => {
      model.dispose();
    },
  };
}

/** A Teacher as is, or a LayersModel wrapped as one. */
export function asTeacher(teacher: Teacher | LayersModel): Teacher {
  return 'logits' in teacher && typeof teacher.logits === 'function'
    ? (teacher as Teacher)
    : layersTeacher(teacher as LayersModel);
}
