// Any async function as a teacher: `functionTeacher(async (x) => logits, { classes: 10 })`. For
// models Distillery has no loader for (a WebGPU pipeline, a custom runtime, a mock in tests). The
// function receives a [batch, ...dataShape] tensor and returns logits as a tensor, nested arrays
// or a flat Float32Array; the result is validated (shape, finiteness) before it is used.
import { tf, type Tensor } from '../tf.ts';
import { modelError } from '../errors.ts';
import type { Teacher } from './teacher.ts';

export type LogitsFunction = (
  x: Tensor,
) => Promise<Tensor | Float32Array | number[][]> | Tensor | Float32Array | number[][];

export interface FunctionTeacherOptions {
  classes: number;
  /** Identity for caches; without one, caching this teacher's logits is refused. */
  id?: string;
  dataShape?: number[];
  batchSize?: number;
  description?: string;
}

export function functionTeacher(fn: LogitsFunction, options: FunctionTeacherOptions): Teacher {
  const { classes } = options;
  if (!Number.isInteger(classes) || classes < 2)
    throw modelError(`functionTeacher: classes must be a whole number >= 2, got ${classes}`);
  return {
    kind: 'function',
    classes,
    dataShape: options.dataShape,
    batchSize: options.batchSize,
    identity: async () => {
      if (options.id === undefined)
        throw modelError(
          'functionTeacher has no id: pass { id } to cache its logits, or use --teacher-cache off',
        );
      return `function:${options.id}`;
    },
    logits: async (x: Tensor) => {
      const batch = x.shape[0];
      const out = await fn(x);
      return toLogits(out, batch, classes, 'function teacher');
    },
    describe: () => ({ kind: 'function', source: options.description ?? 'function', classes }),
    dispose: () => {},
  };
}

/** Validates a teacher's output as [batch, classes] finite logits and returns it as a tensor. */
export function toLogits(
  out: Tensor | Float32Array | number[][],
  batch: number,
  classes: number,
  who: string,
): Tensor {
  const tensor =
    out instanceof tf.Tensor
      ? out
      : out instanceof Float32Array
        ? tf.tensor2d(out, [out.length / classes, classes])
        : tf.tensor2d(out);
  if (tensor.rank !== 2 || tensor.shape[0] !== batch || tensor.shape[1] !== classes) {
    const shape = tensor.shape.join('×');
    tensor.dispose();
    throw modelError(
      `${who} returned logits of shape ${shape} for a batch of ${batch}: expected ${batch}×${classes}`,
    );
  }
  const values = tensor.dataSync();
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) {
      tensor.dispose();
      throw modelError(
        `${who} returned a non-finite logit (${values[i]}) at row ${Math.floor(i / classes)}`,
      );
    }
  }
  return tensor;
}
