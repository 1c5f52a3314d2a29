// A transformer encoder for token ids as tfjs custom layers (tfjs-layers has no attention layer):
// learned position embeddings, post-norm encoder layers as PyTorch's nn.TransformerEncoderLayer
// (x = LN(x + MHA(x)); x = LN(x + W2·relu(W1·x))) with padding (id 0) masked out of the keys, and
// a mean over non-padding positions. Vaswani et al. 2017. Layers are registered for save / load.
// Leaves out: pre-norm, GELU, causal masks; the browser demo cannot load these layers (students
// use built-in layers only).
import { tf, type Tensor } from '../tf.ts';

type Kwargs = Record<string, unknown>;

/** Adds a learned [length, dim] position table to [batch, length, dim] embeddings. */
export class PositionEmbedding extends tf.layers.Layer {
  static className = 'DistilleryPositionEmbedding';
  private table!: tf.LayerVariable;
  private readonly seed: number;
  constructor(args: { seed?: number; name?: string } = {}) {
    super(args);
    this.seed = args.seed ?? 1;
  }
  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = inputShape as number[];
    this.table = this.addWeight(
      'positions',
      [shape[1], shape[2]],
      'float32',
      tf.initializers.randomNormal({ stddev: 0.02, seed: this.seed }),
    );
    this.built = true;
  }
  override call(inputs: Tensor | Tensor[]): Tensor {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0] : inputs; // [b, L, d]
      return tf.add(x, this.table.read()); // [b, L, d]
    });
  }
  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), seed: this.seed };
  }
}

export interface EncoderLayerArgs {
  heads: number;
  ffn: number;
  dropout?: number;
  epsilon?: number;
  seed?: number;
  name?: string;
}

/** Layer norm over the last axis: (x − mean) / sqrt(var + eps) · gamma + beta. */
function layerNorm(x: Tensor, gamma: Tensor, beta: Tensor, epsilon: number): Tensor {
  const { mean, variance } = tf.moments(x, -1, true); // [b, L, 1]
  return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, epsilon))), gamma), beta);
}

/**
 * One post-norm encoder layer. Inputs: [x [b, L, d], tokens [b, L]]; tokens = 0 are padding and
 * receive no attention. Output [b, L, d].
 */
export class TransformerEncoderLayer extends tf.layers.Layer {
  static className = 'DistilleryTransformerEncoderLayer';
  readonly heads: number;
  readonly ffn: number;
  readonly dropout: number;
  readonly epsilon: number;
  private readonly seed: number;
  private w: Record<string, tf.LayerVariable> = {};

  constructor(args: EncoderLayerArgs) {
    super(args);
    this.heads = args.heads;
    this.ffn = args.ffn;
    this.dropout = args.dropout ?? 0;
    this.epsilon = args.epsilon ?? 1e-5;
    this.seed = args.seed ?? 1;
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const d = (inputShape as number[][])[0][2];
    if (d % this.heads !== 0)
      throw new Error(`transformer: model width ${d} is not divisible by ${this.heads} heads`);
    let k = 0;
    const glorot = () => tf.initializers.glorotUniform({ seed: this.seed * 101 + k++ });
    const add = (name: string, shape: number[], init: ReturnType<typeof tf.initializers.zeros>) =>
      (this.w[name] = this.addWeight(name, shape, 'float32', init));
    for (const n of ['q', 'k', 'v', 'o']) {
      add(`w${n}`, [d, d], glorot());
      add(`b${n}`, [d], tf.initializers.zeros());
    }
    add('w1', [d, this.ffn], glorot());
    add('b1', [this.ffn], tf.initializers.zeros());
    add('w2', [this.ffn, d], glorot());
    add('b2', [d], tf.initializers.zeros());
    for (const n of ['1', '2']) {
      add(`gamma${n}`, [d], tf.initializers.ones());
      add(`beta${n}`, [d], tf.initializers.zeros());
    }
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    return (inputShape as tf.Shape[])[0];
  }

  override call(inputs: Tensor | Tensor[], kwargs: Kwargs): Tensor {
    return tf.tidy(() => {
      const [x, tokens] = inputs as Tensor[]; // [b, L, d], [b, L]
      const training = kwargs.training === true && this.dropout > 0;
      const drop = (t: Tensor) => (training ? tf.dropout(t, this.dropout) : t);
      const [b, L, d] = x.shape;
      const h = this.heads;
      const dk = d / h;
      const r = (n: string) => this.w[n].read();
      const x2 = tf.reshape(x, [b * L, d]); // [b·L, d]
      const project = (n: string) =>
        tf.transpose(
          tf.reshape(tf.add(tf.matMul(x2, r(`w${n}`)), r(`b${n}`)), [b, L, h, dk]),
          [0, 2, 1, 3],
        ); // [b, h, L, dk]
      const q = project('q');
      const k = project('k');
      const v = project('v');
      const scores = tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(dk)); // [b, h, L, L]
      // Padding keys get −1e9 before the softmax.
      const pad = tf.reshape(tf.mul(tf.cast(tf.equal(tokens, 0), 'float32'), -1e9), [b, 1, 1, L]);
      const attention = drop(tf.softmax(tf.add(scores, pad))); // [b, h, L, L]
      const context = tf.reshape(tf.transpose(tf.matMul(attention, v), [0, 2, 1, 3]), [b * L, d]); // [b·L, d]
      const attended = tf.add(tf.matMul(context, r('wo')), r('bo')); // [b·L, d]
      const x1 = layerNorm(tf.add(x2, drop(attended)), r('gamma1'), r('beta1'), this.epsilon); // [b·L, d]
      const hidden = tf.relu(tf.add(tf.matMul(x1, r('w1')), r('b1'))); // [b·L, ffn]
      const ffOut = tf.add(tf.matMul(drop(hidden), r('w2')), r('b2')); // [b·L, d]
      const out = layerNorm(tf.add(x1, drop(ffOut)), r('gamma2'), r('beta2'), this.epsilon);
      return tf.reshape(out, [b, L, d]); // [b, L, d]
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      heads: this.heads,
      ffn: this.ffn,
      dropout: this.dropout,
      epsilon: this.epsilon,
      seed: this.seed,
    };
  }
}

/** Mean of [b, L, d] over positions whose token is not 0 (padding): inputs [x, tokens] → [b, d]. */
export class MaskedMeanPooling extends tf.layers.Layer {
  static className = 'DistilleryMaskedMeanPooling';
  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const s = (inputShape as tf.Shape[])[0];
    return [s[0], s[2]];
  }
  override call(inputs: Tensor | Tensor[]): Tensor {
    return tf.tidy(() => {
      const [x, tokens] = inputs as Tensor[]; // [b, L, d], [b, L]
      const mask = tf.expandDims(tf.cast(tf.notEqual(tokens, 0), 'float32'), -1); // [b, L, 1]
      const sum = tf.sum(tf.mul(x, mask), 1); // [b, d]
      return tf.div(sum, tf.maximum(tf.sum(mask, 1), 1)); // [b, d]
    });
  }
}

for (const layer of [PositionEmbedding, TransformerEncoderLayer, MaskedMeanPooling])
  tf.serialization.registerClass(
    layer as unknown as tf.serialization.SerializableConstructor<tf.serialization.Serializable>,
  );
