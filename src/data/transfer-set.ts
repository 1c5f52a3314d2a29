// The unlabelled transfer set (`--transfer-set <data>`): examples without labels (y = -1) that
// only the distilled student sees, learning from the teacher's soft targets on them (Hinton et
// al. 2015, §3: the transfer set need not be labelled). The scratch baseline and the teacher never
// see them. They are loaded by the same source kinds as labelled data, with the labelled data's
// preprocessing (image size, channels, the table's training-split encoding).
import { dataError } from '../errors.ts';
import { featuresAsFloat, type Dataset, type Split } from './dataset.ts';
import { datasetRefOf, loadDataset } from './index.ts';

/** The reference of a config's transfer set (same kind options as `data`, kind detected). */
export function transferSetRefOf(
  config: Parameters<typeof datasetRefOf>[0] & { transferSet?: string },
) {
  if (config.transferSet === undefined) return undefined;
  return {
    ...datasetRefOf(config),
    data: config.transferSet,
    trainLimit: undefined,
    testLimit: undefined,
    splits: ['train' as const],
  };
}

/** Loads `path` as unlabelled examples shaped like `labelled`'s inputs: a Split with y = -1. */
export async function loadTransferSet(
  ref: NonNullable<ReturnType<typeof transferSetRefOf>>,
  labelled: Dataset,
): Promise<Split> {
  const unlabelled = await loadDataset({ ...ref, unlabelled: true, spec: labelled.spec });
  const want = labelled.inputShape.join('×');
  const got = unlabelled.inputShape.join('×');
  if (want !== got)
    throw dataError(
      `--transfer-set ${ref.data}: its examples are ${got} but the labelled data's are ${want}: use data of the same kind and preprocessing`,
    );
  if (unlabelled.train.count === 0) throw dataError(`--transfer-set ${ref.data}: no examples`);
  return { ...unlabelled.train, y: new Int32Array(unlabelled.train.count).fill(-1) };
}

/** `train` followed by `extra` (uint8 kept when both are uint8 with the same scale, int32 ids as they are). */
export function appendExamples(train: Split, extra: Split): Split {
  if (train.x instanceof Int32Array || extra.x instanceof Int32Array) {
    if (!(train.x instanceof Int32Array && extra.x instanceof Int32Array))
      throw dataError('cannot join token ids with other features: use data of the same kind');
    const x = new Int32Array(train.x.length + extra.x.length);
    x.set(train.x);
    x.set(extra.x, train.x.length);
    const y = new Int32Array(train.count + extra.count);
    y.set(train.y);
    y.set(extra.y, train.count);
    return { x, y, count: train.count + extra.count };
  }
  const sameBytes =
    train.x instanceof Uint8Array &&
    extra.x instanceof Uint8Array &&
    (train.xScale ?? 1) === (extra.xScale ?? 1);
  let x: Float32Array | Uint8Array;
  if (sameBytes) {
    x = new Uint8Array(train.x.length + extra.x.length);
    x.set(train.x);
    x.set(extra.x, train.x.length);
  } else {
    x = new Float32Array(train.x.length + extra.x.length);
    x.set(featuresAsFloat(train));
    x.set(featuresAsFloat(extra), train.x.length);
  }
  const y = new Int32Array(train.count + extra.count);
  y.set(train.y);
  y.set(extra.y, train.count);
  return { x, xScale: sameBytes ? train.xScale : undefined, y, count: train.count + extra.count };
}
