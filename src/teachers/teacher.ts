// The Teacher contract: what the distiller, the teacher cache, ensembles, evaluation and the run
// record need of a teacher, whatever it is (a tfjs Layers model, an ONNX file, a tfjs graph model,
// a function, a server). A teacher receives batches in the *dataset's* representation (the
// student's input spec) and owns its own preprocessing (resize, normalisation, layout), so teacher
// and student may see different inputs. Capabilities are data: only teachers that expose a tfjs
// Layers model offer layer taps; feature methods check `model`, never the kind.
// Leaves out: training a teacher (teachers are frozen here) and non-classification outputs.
import type { LayersModel, Tensor } from '../tf.ts';
import type { InputSpec } from '../data/spec.ts';

/** What the run record and model card say about a teacher. */
export interface TeacherRecord {
  /** 'layers', 'onnx', 'graph-model', 'function', 'ensemble', 'kserve-v2', … */
  kind: string;
  /** Where it came from: a folder, a file, a URL (never a secret). */
  source: string;
  classes: number;
  /** What the teacher itself is fed after its own preprocessing, if it declares it. */
  input?: InputSpec;
  /** Parameter count, when the teacher can tell. */
  parameters?: number;
  /** Bytes of weights, when the teacher can tell. */
  weightBytes?: number;
  [key: string]: unknown;
}

export interface Teacher {
  readonly kind: string;
  /** Number of classes of its logits. */
  readonly classes: number;
  /**
   * One example's shape as the teacher accepts it from the data (without batch), when fixed;
   * checked against the dataset before any training.
   */
  readonly dataShape?: number[];
  /** Preferred batch size for labelling (a fixed-batch ONNX graph, a server's limit). */
  readonly batchSize?: number;
  /**
   * True for a teacher that serves only the rows it labelled before (a logit store): it cannot
   * label new inputs, so it is not evaluated on the test split.
   */
  readonly storedRowsOnly?: boolean;
  /** A tfjs Layers model with these weights: enables layer taps and in-graph use. */
  readonly model?: LayersModel;
  /** Content identity (weights hash, file hash, URL + model version): keys caches and stores. */
  identity(): Promise<string>;
  /** [batch, ...dataShape] float32 → [batch, classes] logits (inference mode). */
  logits(x: Tensor): Promise<Tensor>;
  describe(): TeacherRecord;
  /** Frees what the teacher holds (sessions, weights). */
  dispose(): void | Promise<void>;
}

/** Type guard: a Teacher rather than a bare LayersModel. */
export function isTeacher(value: unknown): value is Teacher {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Teacher).logits === 'function' &&
    typeof (value as Teacher).identity === 'function'
  );
}
