// Text classifiers over int32 token ids [batch, length] → logits [batch, classes]. The vocabulary
// size comes from the tokenizer in the input spec. Students use built-in tfjs layers only (they
// load in the browser as they are); the transformer teacher uses the custom layers of
// transformer.ts.
//   embbag:<dim>[:<hidden>-…]            fastText-like bag of embeddings (Joulin et al. 2017)
//   textcnn:<dim>:<filters>:<w>-<w>-…    Kim 2014: parallel 1-D convs, max over time, concat
//   bigru:<dim>:<units>[:<hidden>-…]     bidirectional GRU (Tang et al. 2019 use a BiLSTM)
//   bilstm:<dim>:<units>[:<hidden>-…]
//   transformer:<layers>:<dim>-<heads>-<ffn>   encoder, masked mean pooling, linear head
// Leaves out: pretrained embeddings. Bag and conv students average / max over padding too
// (built-in pooling layers take no mask); the transformer masks padding.
import { tf, type LayersModel } from '../tf.ts';
import { deriveSeed } from '../random.ts';
import { usageError } from '../errors.ts';
import type { InputSpec } from '../data/spec.ts';
import { checkTokenizerSpec, vocabularySize } from '../text/tokenizer.ts';
import { denseHead } from './mlp.ts';
import { registerTextKernels } from '../text/kernels.ts';
import { MaskedMeanPooling, PositionEmbedding, TransformerEncoderLayer } from './transformer.ts';

registerTextKernels(); // fast embedding gradients on cpu (native has its own C++ kernel)

export interface TextModelOptions {
  inputShape: number[];
  classes: number;
  /** The token input (its tokenizer gives the vocabulary size). */
  input?: InputSpec;
  dropout?: number;
  seed?: number;
  name?: string;
}

/** Embedding rows needed by the input's tokenizer, or a usage error for non-text inputs. */
export function vocabularyOf(o: TextModelOptions, kind: string): number {
  const p = o.input?.preprocessing;
  if (!p || p.kind !== 'tokens' || o.input?.dtype !== 'int32')
    throw usageError(
      `${kind}: models need token inputs (a text dataset such as --dataset spam-assassin or --data with --text-field), got ${o.input ? `${o.input.dtype} ${o.input.preprocessing.kind}` : 'no input spec'}`,
    );
  return vocabularySize(checkTokenizerSpec((p as { tokenizer: unknown }).tokenizer));
}

function embedding(o: TextModelOptions, kind: string, dim: number, seed: number) {
  return tf.layers.embedding({
    inputDim: vocabularyOf(o, kind),
    outputDim: dim,
    embeddingsInitializer: tf.initializers.randomUniform({
      minval: -0.05,
      maxval: 0.05,
      seed: deriveSeed(seed, 'embedding'),
    }),
    name: 'embedding',
  });
}

const tokensInput = (o: TextModelOptions) =>
  tf.input({ shape: o.inputShape, dtype: 'int32', name: 'tokens' });

function need(args: number[][], index: number, spec: string, what: string): number[] {
  const v = args[index];
  if (!v || v.length === 0) throw usageError(`architecture ${spec}: missing ${what}`);
  return v;
}

export function createEmbeddingBag(args: number[][], o: TextModelOptions): LayersModel {
  const seed = o.seed ?? 1;
  const [dim] = need(args, 0, 'embbag', 'the embedding size (embbag:<dim>[:<hidden>])');
  const layers = [
    embedding(o, 'embbag', dim, seed),
    tf.layers.globalAveragePooling1d({ name: 'mean' }),
    ...denseHead(args[1] ?? [], o.classes, o.dropout ?? 0, seed),
  ];
  const input = tokensInput(o);
  const output = layers.reduce<tf.SymbolicTensor>((t, l) => l.apply(t) as tf.SymbolicTensor, input);
  return tf.model({ inputs: input, outputs: output, name: o.name ?? 'embbag' });
}

export function createTextCnn(args: number[][], o: TextModelOptions): LayersModel {
  const seed = o.seed ?? 1;
  const spec = 'textcnn:<dim>:<filters>:<width>-<width>-…';
  const [dim] = need(args, 0, spec, 'the embedding size');
  const [filters] = need(args, 1, spec, 'the filters per width');
  const widths = args[2] ?? [3, 4, 5];
  const input = tokensInput(o);
  const embedded = embedding(o, 'textcnn', dim, seed).apply(input) as tf.SymbolicTensor; // [b, L, dim]
  const pooled = widths.map((w, i) => {
    const conv = tf.layers.conv1d({
      filters,
      kernelSize: w,
      activation: 'relu',
      kernelInitializer: tf.initializers.heUniform({ seed: deriveSeed(seed, 'conv', i) }),
      name: `conv${w}`,
    });
    return tf.layers
      .globalMaxPooling1d({ name: `max${w}` })
      .apply(conv.apply(embedded)) as tf.SymbolicTensor; // [b, filters]
  });
  let t =
    pooled.length > 1
      ? (tf.layers.concatenate({ name: 'concat' }).apply(pooled) as tf.SymbolicTensor)
      : pooled[0];
  if (o.dropout)
    t = tf.layers.dropout({ rate: o.dropout, name: 'dropout' }).apply(t) as tf.SymbolicTensor;
  for (const l of denseHead(args[3] ?? [], o.classes, o.dropout ?? 0, seed))
    t = l.apply(t) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: t, name: o.name ?? 'textcnn' });
}

function createBiRnn(cell: 'gru' | 'lstm') {
  return (args: number[][], o: TextModelOptions): LayersModel => {
    const seed = o.seed ?? 1;
    const kind = `bi${cell}`;
    const [dim] = need(args, 0, kind, `the embedding size (${kind}:<dim>:<units>)`);
    const [units] = need(args, 1, kind, `the recurrent units (${kind}:<dim>:<units>)`);
    const input = tokensInput(o);
    const rnnArgs = {
      units,
      kernelInitializer: tf.initializers.glorotUniform({ seed: deriveSeed(seed, 'rnn-kernel') }),
      recurrentInitializer: tf.initializers.orthogonal({ seed: deriveSeed(seed, 'rnn-recurrent') }),
    };
    const rnn = cell === 'gru' ? tf.layers.gru(rnnArgs) : tf.layers.lstm(rnnArgs);
    let t = embedding(o, kind, dim, seed).apply(input) as tf.SymbolicTensor; // [b, L, dim]
    t = tf.layers
      .bidirectional({ layer: rnn, mergeMode: 'concat', name: kind })
      .apply(t) as tf.SymbolicTensor; // [b, 2·units]
    for (const l of denseHead(args[2] ?? [], o.classes, o.dropout ?? 0, seed))
      t = l.apply(t) as tf.SymbolicTensor;
    return tf.model({ inputs: input, outputs: t, name: o.name ?? kind });
  };
}

export const createBiGru = createBiRnn('gru');
export const createBiLstm = createBiRnn('lstm');

export function createTransformer(args: number[][], o: TextModelOptions): LayersModel {
  const seed = o.seed ?? 1;
  const spec = 'transformer:<layers>:<dim>-<heads>-<ffn>';
  const [layers] = need(args, 0, spec, 'the number of layers');
  const [dim, heads, ffn] = need(args, 1, spec, 'dim-heads-ffn');
  if (heads === undefined || ffn === undefined)
    throw usageError(`architecture ${spec}: give dim-heads-ffn, e.g. transformer:2:64-4-128`);
  if (dim % heads !== 0)
    throw usageError(`architecture transformer: width ${dim} is not divisible by ${heads} heads`);
  const input = tokensInput(o);
  let t = embedding(o, 'transformer', dim, seed).apply(input) as tf.SymbolicTensor; // [b, L, dim]
  t = new PositionEmbedding({ seed: deriveSeed(seed, 'positions'), name: 'positions' }).apply(
    t,
  ) as tf.SymbolicTensor;
  for (let i = 0; i < layers; i++) {
    t = new TransformerEncoderLayer({
      heads,
      ffn,
      dropout: o.dropout ?? 0,
      seed: deriveSeed(seed, 'encoder', i),
      name: `encoder${i + 1}`,
    }).apply([t, input]) as tf.SymbolicTensor; // [b, L, dim]
  }
  t = new MaskedMeanPooling({ name: 'mean' }).apply([t, input]) as tf.SymbolicTensor; // [b, dim]
  for (const l of denseHead([], o.classes, 0, seed)) t = l.apply(t) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: t, name: o.name ?? 'transformer' });
}
