// Multi-layer perceptron factory: flatten → [dense(relu) → dropout]* → dense (logits).
// Hinton et al. 2015 use 784-1200-1200-10 with dropout as the MNIST teacher.
import { tf, type LayersModel } from '../tf.ts';
import { deriveSeed } from '../random.ts';

export interface MlpOptions {
  inputShape: number[];
  hidden: number[];
  classes: number;
  /** Dropout after each hidden layer (0 = none). */
  dropout?: number;
  /** Dropout on the input (Hinton's teacher used 0.2). */
  inputDropout?: number;
  /** Seed for weight initialisation. */
  seed?: number;
  name?: string;
}

/**
 * [dense(relu) → dropout]* → dense (logits): the classifier of every factory. Layer names
 * (fc1, dropout1, …, logits) are stable: feature methods tap them by name.
 */
export function denseHead(
  hidden: number[],
  classes: number,
  dropout: number,
  seed: number,
): tf.layers.Layer[] {
  const layers: tf.layers.Layer[] = [];
  hidden.forEach((units, i) => {
    layers.push(
      tf.layers.dense({
        units,
        activation: 'relu',
        kernelInitializer: tf.initializers.heUniform({ seed: deriveSeed(seed, 'fc', i) }),
        name: `fc${i + 1}`,
      }),
    );
    if (dropout) layers.push(tf.layers.dropout({ rate: dropout, name: `dropout${i + 1}` }));
  });
  layers.push(
    tf.layers.dense({
      units: classes,
      kernelInitializer: tf.initializers.glorotUniform({ seed: deriveSeed(seed, 'logits') }),
      name: 'logits',
    }),
  );
  return layers;
}

/** Returns an uncompiled model whose output is logits [batch, classes]. */
export function createMlp(options: MlpOptions): LayersModel {
  const seed = options.seed ?? 1;
  // flatten needs rank ≥ 2 per example; a feature vector (tables) passes through a reshape.
  const flat = options.inputShape.reduce((a, b) => a * b, 1);
  const layers: tf.layers.Layer[] = [
    options.inputShape.length > 1
      ? tf.layers.flatten({ inputShape: options.inputShape, name: 'flatten' })
      : tf.layers.reshape({ inputShape: options.inputShape, targetShape: [flat], name: 'flatten' }),
  ];
  if (options.inputDropout)
    layers.push(tf.layers.dropout({ rate: options.inputDropout, name: 'input_dropout' }));
  layers.push(...denseHead(options.hidden, options.classes, options.dropout ?? 0, seed));
  return tf.sequential({ layers, name: options.name ?? 'mlp' });
}
