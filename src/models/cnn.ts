// Small CNN factory: [conv3×3(relu, same) → maxpool 2×2]* → flatten → [dense(relu) → dropout]* →
// dense (logits). Leaves out batch norm (its moving statistics complicate freezing a teacher).
import { tf, type LayersModel } from '../tf.ts';
import { deriveSeed } from '../random.ts';
import { denseHead } from './mlp.ts';

export interface CnnOptions {
  inputShape: number[];
  /** Filters per conv block, e.g. [32, 64]. */
  filters: number[];
  /** Units per dense layer after the conv blocks, e.g. [128]. */
  dense: number[];
  classes: number;
  dropout?: number;
  seed?: number;
  name?: string;
}

/** Returns an uncompiled model whose output is logits [batch, classes]. */
export function createCnn(options: CnnOptions): LayersModel {
  const seed = options.seed ?? 1;
  const layers: tf.layers.Layer[] = [];
  options.filters.forEach((filters, i) => {
    layers.push(
      tf.layers.conv2d({
        ...(i === 0 ? { inputShape: options.inputShape } : {}),
        filters,
        kernelSize: 3,
        padding: 'same',
        activation: 'relu',
        kernelInitializer: tf.initializers.heUniform({ seed: deriveSeed(seed, 'conv', i) }),
        name: `conv${i + 1}`,
      }),
      tf.layers.maxPooling2d({ poolSize: 2, name: `pool${i + 1}` }),
    );
  });
  layers.push(
    tf.layers.flatten(
      options.filters.length === 0
        ? { inputShape: options.inputShape, name: 'flatten' }
        : { name: 'flatten' },
    ),
  );
  layers.push(...denseHead(options.dense, options.classes, options.dropout ?? 0, seed));
  return tf.sequential({ layers, name: options.name ?? 'cnn' });
}
