// The unlabelled transfer set (`--transfer-set <data>`): examples without labels (y = -1) that
// only the distilled student sees, learning from the teacher's soft targets on them (Hinton et
// al. 2015, §3: the transfer set need not be labelled). The scratch baseline and the teacher never
// see them. They are loaded by the same source kinds as labelled data, with the labelled data's
// preprocessing (image size, channels, the table's training-split encoding).
import { dataError } from '../errors.ts';
import { featuresAsFloat, type Dataset, type Split } from './dataset.ts';
import { datasetRefOf, loadDataset } from './index.ts';
import { textRecordsHash } from './record-hash.ts';
import { textRecordsOptions } from './sources/text-records.ts';

/** The reference of a config's transfer set (same kind options as `data`, kind detected). */
export function transferSetRefOf(
  config: Parameters<typeof datasetRefOf>[0] & { transferSet?: string },
) {
  if (config.transferSet === undefined) return undefined;
  return {
    ...datasetRefOf(config),
    // All the data options, also those that beside a corpus only the transfer set reads.
    options: config.dataOptions,
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
  const unlabelled = await loadDataset({
    ...textKindFor(ref, labelled),
    unlabelled: true,
    spec: labelled.spec,
  });
  const want = labelled.inputShape.join('×');
  const got = unlabelled.inputShape.join('×');
  if (want !== got)
    throw dataError(
      `--transfer-set ${ref.data}: its examples are ${got} but the labelled data's are ${want}: use data of the same kind and preprocessing`,
    );
  if (unlabelled.train.count === 0) throw dataError(`--transfer-set ${ref.data}: no examples`);
  return { ...unlabelled.train, y: new Int32Array(unlabelled.train.count).fill(-1) };
}

/**
 * Text data (token ids) takes a transfer file of texts as the text kind (.jsonl / .csv / .tsv
 * with a `text` field, or --text-field), also when the labelled data is an embedded corpus: the
 * options of the text kind are kept, the corpus's own (e.g. hardHamTestShare) dropped.
 */
function textKindFor<R extends { dataKind?: string; options?: Record<string, unknown> }>(
  ref: R,
  labelled: Dataset,
): R {
  if (ref.dataKind !== undefined || labelled.spec.inputs[0]?.preprocessing.kind !== 'tokens')
    return ref;
  const known = new Set(Object.keys(textRecordsOptions.shape));
  const options = Object.fromEntries(
    Object.entries(ref.options ?? {}).filter(([k]) => known.has(k)),
  );
  return { ...ref, dataKind: 'text', options };
}

/**
 * `train` followed by `extra` (uint8 kept when both are uint8 with the same scale, int32 ids as they
 * are). Texts are kept when both have one per row, so that a teacher that reads texts (an LLM) can
 * label the joined rows; otherwise the join has none.
 */
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
    const hasTexts = (s: Split) => s.texts !== undefined && s.texts.length === s.count;
    if (!hasTexts(train) || !hasTexts(extra)) return { x, y, count: train.count + extra.count };
    const texts = [...train.texts!, ...extra.texts!];
    return { x, y, count: y.length, texts, recordsHash: textRecordsHash(texts, y) };
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
