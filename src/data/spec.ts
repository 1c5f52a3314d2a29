// The input spec: what a model's input is, declared as data — named inputs, each with its shape,
// dtype and preprocessing — plus the class names. Datasets declare the spec of the examples they
// yield; teachers and students declare what they expect; the run folder, model card, export and
// demo read it. Several named inputs are allowed (an image and a text field) so that multimodal
// students are expressible later; today's trainers use the first input.
// Leaves out: executing preprocessing (each source kind does its own; teachers adapt in
// src/teachers/), and sequence/ragged inputs beyond a fixed length.

/** Raw pixels → float: decode, resize, channels, scale, optional normalisation and layout. */
export interface ImagePreprocessing {
  kind: 'image';
  /** [height, width] after resizing. */
  size: [number, number];
  channels: 1 | 3;
  /** How images of another aspect ratio are fitted (sharp's `fit`). */
  fit?: 'cover' | 'contain' | 'fill' | 'inside' | 'outside';
  /** Multiplier applied to the uint8 pixel (1/255 → [0, 1]). */
  scale: number;
  /** Per-channel mean and std subtracted / divided after scaling (e.g. ImageNet's). */
  mean?: number[];
  std?: number[];
  /** Memory layout of one example: 'hwc' (tfjs, default) or 'chw' (PyTorch). */
  layout?: 'hwc' | 'chw';
}

/** A numeric column standardised with training-split statistics. */
export interface NumericColumn {
  name: string;
  type: 'numeric';
  mean: number;
  std: number;
}

/** A categorical column one-hot encoded with a training-split vocabulary (unknown → all zeros). */
export interface CategoricalColumn {
  name: string;
  type: 'categorical';
  vocabulary: string[];
}

/** Table rows → a flat float vector, in column order. */
export interface TablePreprocessing {
  kind: 'table';
  columns: (NumericColumn | CategoricalColumn)[];
}

/** Text → token ids through a tokenizer saved with the model (see src/text/). */
export interface TokensPreprocessing {
  kind: 'tokens';
  /** The tokenizer's own serialisable description (type, vocabulary or hashing parameters). */
  tokenizer: { type: string; [key: string]: unknown };
  /** Fixed sequence length (padded / truncated). */
  length: number;
}

/** Anything else a source kind declares (must be JSON-serialisable). */
export interface OtherPreprocessing {
  kind: string;
  [key: string]: unknown;
}

export type Preprocessing =
  ImagePreprocessing | TablePreprocessing | TokensPreprocessing | OtherPreprocessing;

export interface InputSpec {
  /** Input name ('image', 'features', 'tokens', or a user's field name). */
  name: string;
  /** One example's shape, without the batch dimension. */
  shape: number[];
  dtype: 'float32' | 'int32';
  preprocessing: Preprocessing;
  /** One human-readable line, e.g. 'uint8 pixels / 255 → float32 in [0, 1], shape [28, 28, 1]'. */
  description?: string;
}

export interface DataSpec {
  inputs: InputSpec[];
  /** Class index → name. Index order is the source's convention (sorted folder names, …). */
  classNames: string[];
}

/** The input the trainers feed (the first); throws if a spec has none. */
export function primaryInput(spec: DataSpec): InputSpec {
  const input = spec.inputs[0];
  if (!input) throw new Error('data spec declares no inputs');
  return input;
}

export const isImagePreprocessing = (p: Preprocessing): p is ImagePreprocessing =>
  p.kind === 'image';
