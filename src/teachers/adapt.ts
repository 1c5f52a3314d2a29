// Teacher and student may see different preprocessing: the data (and the student) are float
// pixels at the data's size in NHWC, per the dataset's InputSpec; a teacher exported from PyTorch
// may expect 224×224 RGB with ImageNet mean/std in NCHW. This file resolves what an image teacher
// expects (from its declared input shape plus options) and maps a data batch to it: undo the
// data's normalisation → resize (bilinear, half-pixel centres: what PyTorch's
// `interpolate(align_corners=False)` and TF2 compute) → gray→RGB (repeat) or RGB→gray (BT.601)
// → the teacher's scale, mean/std → NCHW if asked. The steps are recorded in the TeacherRecord.
// Leaves out: cropping (centre crops as in torchvision's eval transform), antialiased downsizing,
// and non-image inputs (a table or text teacher must take the data as it is).
import { tf, type Tensor } from '../tf.ts';
import { modelError } from '../errors.ts';
import type { ImagePreprocessing, InputSpec } from '../data/spec.ts';

/** What a teacher declares about its own input (options, a sidecar JSON, or inferred). */
export interface TeacherInputOptions {
  /** Input name in the model (ONNX / graph model), when it has several. */
  name?: string;
  /** [height, width] the teacher expects (default: from its input shape, else the data's). */
  size?: [number, number];
  channels?: 1 | 3;
  /** Multiplier of the uint8 pixel (default 1/255 → [0, 1]). */
  scale?: number;
  /** Per-channel mean / std after scaling (e.g. ImageNet's [0.485, 0.456, 0.406] / [0.229, 0.224, 0.225]). */
  mean?: number[];
  std?: number[];
  /** 'chw' (NCHW, PyTorch) or 'hwc' (NHWC, tfjs); default: inferred from the input shape. */
  layout?: 'hwc' | 'chw';
}

const dims = (shape: readonly number[]) => shape.join('×');

/**
 * The teacher's input spec from the model's declared input shape (batch first; null/negative =
 * dynamic) and the declared preprocessing. Throws, naming both, when they disagree.
 */
export function resolveTeacherInput(
  declared: readonly (number | null)[],
  options: TeacherInputOptions,
  data: InputSpec | undefined,
  who: string,
): InputSpec {
  const shown = `[${declared.map((d) => (d === null || d < 0 ? '?' : d)).join(', ')}]`;
  if (declared.length !== 4)
    throw modelError(
      `${who}: input '${options.name ?? 'input'}' has shape ${shown}, not an image batch [batch, h, w, c] or [batch, c, h, w]`,
    );
  const known = (d: number | null | undefined) =>
    d !== null && d !== undefined && d > 0 ? d : undefined;
  const [, a, b, c] = declared.map(known);
  const isChannels = (d: number | undefined) => d === 1 || d === 3;
  let layout = options.layout;
  if (!layout) {
    // NCHW when dim 1 looks like channels and dim 3 does not (or is unknown); NHWC the other way.
    if (isChannels(a) && !isChannels(c)) layout = 'chw';
    else if (isChannels(c) && !isChannels(a)) layout = 'hwc';
    else
      throw modelError(
        `${who}: cannot tell whether input shape ${shown} is NCHW or NHWC: pass the layout (--teacher-layout nchw|nhwc)`,
      );
  }
  const [h, w, ch] = layout === 'chw' ? [b, c, a] : [a, b, c];
  const dataImage =
    data && data.preprocessing.kind === 'image'
      ? (data.preprocessing as ImagePreprocessing)
      : undefined;
  const size: [number, number] | undefined =
    options.size ?? (h && w ? [h, w] : dataImage ? dataImage.size : undefined);
  const channels = options.channels ?? (ch as 1 | 3 | undefined) ?? dataImage?.channels;
  if (!size || !channels)
    throw modelError(
      `${who}: input shape ${shown} leaves the image size open: pass it (--teacher-size HxW)`,
    );
  if (channels !== 1 && channels !== 3)
    throw modelError(
      `${who}: input shape ${shown} has ${channels} channels; only 1 or 3 are supported`,
    );
  const expected = layout === 'chw' ? [channels, size[0], size[1]] : [size[0], size[1], channels];
  if ([a, b, c].some((d, i) => d !== undefined && d !== expected[i]))
    throw modelError(
      `${who}: the model's input is ${shown} but the declared preprocessing gives ${dims(expected)} (${layout === 'chw' ? 'NCHW' : 'NHWC'}, ${size[0]}×${size[1]}, ${channels} channel${channels === 1 ? '' : 's'}): fix --teacher-size / --teacher-layout or the teacher's sidecar JSON`,
    );
  for (const [key, values] of [
    ['mean', options.mean],
    ['std', options.std],
  ] as const) {
    if (values && values.length !== channels && values.length !== 1)
      throw modelError(
        `${who}: ${key} has ${values.length} values but the input has ${channels} channel${channels === 1 ? '' : 's'}`,
      );
    if (key === 'std' && values?.some((v) => !(v > 0)))
      throw modelError(`${who}: std values must be positive, got [${values.join(', ')}]`);
  }
  const preprocessing: ImagePreprocessing = {
    kind: 'image',
    size,
    channels,
    scale: options.scale ?? 1 / 255,
    ...(options.mean ? { mean: options.mean } : {}),
    ...(options.std ? { std: options.std } : {}),
    layout,
  };
  return {
    name: options.name ?? 'input',
    shape: expected,
    dtype: 'float32',
    preprocessing,
    description: describeImage(preprocessing),
  };
}

function describeImage(p: ImagePreprocessing): string {
  const norm =
    p.mean || p.std ? `, mean [${p.mean?.join(', ') ?? 0}] / std [${p.std?.join(', ') ?? 1}]` : '';
  return `${p.size[0]}×${p.size[1]}×${p.channels} pixels × ${round(p.scale)}${norm}, ${p.layout === 'chw' ? 'NCHW' : 'NHWC'}`;
}

const round = (v: number) => Number(v.toPrecision(6));

export interface InputAdapter {
  /** One example's shape as the data gives it. */
  from: number[];
  /** One example's shape as the teacher takes it. */
  to: number[];
  /** The steps, for the run record ('resize 28×28 → 32×32 (bilinear, half-pixel centres)', …). */
  steps: string[];
  /** [batch, ...from] → [batch, ...to] (a new tensor; the input is left alone). */
  apply(x: Tensor): Tensor;
}

/** The default data representation: float pixels in [0, 1], NHWC, shape [h, w, c]. */
export function defaultImageSpec(shape: number[]): InputSpec {
  const [h, w, c] = shape;
  return {
    name: 'image',
    shape,
    dtype: 'float32',
    preprocessing: { kind: 'image', size: [h, w], channels: c as 1 | 3, scale: 1 / 255 },
  };
}

/**
 * Maps batches in the data's representation to the teacher's. Throws, naming both shapes, when
 * the data is not an image in NHWC or has a channel count that cannot be converted.
 */
export function createAdapter(data: InputSpec, teacher: InputSpec, who: string): InputAdapter {
  const t = teacher.preprocessing as ImagePreprocessing;
  const mismatch = (why: string) =>
    modelError(
      `${who} expects ${dims(teacher.shape)} (${teacher.description ?? 'image'}) but the data gives ${dims(data.shape)}: ${why}`,
    );
  if (data.preprocessing.kind !== 'image' || data.shape.length !== 3)
    throw mismatch(`the data is not an image (its preprocessing is '${data.preprocessing.kind}')`);
  const d = data.preprocessing as ImagePreprocessing;
  if (d.layout === 'chw') throw mismatch('the data must be NHWC (hwc) to be adapted');
  const [h, w, c] = data.shape;
  if (c !== 1 && c !== 3) throw mismatch(`${c} data channels cannot be mapped to ${t.channels}`);
  const steps: string[] = [];
  // value → pixel: p = (v·std + mean) / scale; pixel → teacher: (p·scale' − mean') / std'.
  const perChannel = (values: number[] | undefined, n: number, fill: number) =>
    Array.from({ length: n }, (_, i) => values?.[values.length === 1 ? 0 : i] ?? fill);
  const dMean = perChannel(d.mean, c, 0);
  const dStd = perChannel(d.std, c, 1);
  const undo = d.mean !== undefined || d.std !== undefined || d.scale !== t.scale;
  if (d.mean || d.std) steps.push(`undo the data's mean/std`);
  const resize = h !== t.size[0] || w !== t.size[1];
  if (resize)
    steps.push(`resize ${h}×${w} → ${t.size[0]}×${t.size[1]} (bilinear, half-pixel centres)`);
  if (c === 1 && t.channels === 3) steps.push('gray → RGB (repeat the channel)');
  if (c === 3 && t.channels === 1) steps.push('RGB → gray (BT.601 luma)');
  const tMean = perChannel(t.mean, t.channels, 0);
  const tStd = perChannel(t.std, t.channels, 1);
  if (d.scale !== t.scale) steps.push(`pixel scale ${round(d.scale)} → ${round(t.scale)}`);
  if (t.mean || t.std) steps.push(`mean [${tMean.join(', ')}] / std [${tStd.join(', ')}]`);
  if (t.layout === 'chw') steps.push('NHWC → NCHW');
  return {
    from: [...data.shape],
    to: [...teacher.shape],
    steps,
    apply: (x) =>
      tf.tidy(() => {
        if (x.rank !== 4 || x.shape[1] !== h || x.shape[2] !== w || x.shape[3] !== c)
          throw modelError(
            `${who}: got a batch of shape ${dims(x.shape)} but the data spec says [batch, ${h}, ${w}, ${c}]`,
          );
        let y = x as tf.Tensor4D; // [batch, h, w, c]
        if (undo) {
          // back to raw pixel values 0…255 (exact for the common scale-only case)
          y = tf.div(tf.add(tf.mul(y, dStd), dMean), d.scale);
        }
        if (resize) y = tf.image.resizeBilinear(y, t.size, false, true); // [batch, H, W, c]
        if (c === 1 && t.channels === 3) y = tf.tile(y, [1, 1, 1, 3]);
        if (c === 3 && t.channels === 1)
          y = tf.sum(tf.mul(y, [0.299, 0.587, 0.114]), -1, true) as tf.Tensor4D; // [batch, H, W, 1]
        if (undo) y = tf.mul(y, t.scale);
        if (t.mean || t.std) y = tf.div(tf.sub(y, tMean), tStd);
        if (t.layout === 'chw') y = tf.transpose(y, [0, 3, 1, 2]); // [batch, C, H, W]
        return y === x ? tf.clone(y) : y;
      }),
  };
}

/** One line for the record: 'data 28×28×1 → teacher 3×32×32: resize …; gray → RGB; …'. */
export function describeAdapter(adapter: InputAdapter): string {
  return `data ${dims(adapter.from)} → teacher ${dims(adapter.to)}${adapter.steps.length ? `: ${adapter.steps.join('; ')}` : ' (as is)'}`;
}
