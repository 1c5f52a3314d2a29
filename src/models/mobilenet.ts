// MobileNet-style student (Howard et al. 2017, "MobileNets"): a 3×3 stride-2 stem convolution,
// then depthwise-separable blocks (3×3 depthwise stride 2 → ReLU → 1×1 pointwise → ReLU), global
// average pooling and a dense head. What people ship to browsers: few parameters, any input size
// and channel count. Leaves out batch norm (as cnn.ts) and the width/resolution multipliers.
import { tf, type LayersModel } from '../tf.ts';
import { deriveSeed } from '../random.ts';
import { denseHead } from './mlp.ts';

export interface MobileNetOptions {
  inputShape: number[];
  /** Filters of the stem, then of each depthwise-separable block, e.g. [32, 64, 128]. */
  filters: number[];
  /** Units per dense layer after pooling (default none). */
  dense: number[];
  classes: number;
  dropout?: number;
  seed?: number;
  name?: string;
}

/** Returns an uncompiled model whose output is logits [batch, classes]. */
export function createMobileNet(options: MobileNetOptions): LayersModel {
  const seed = options.seed ?? 1;
  const [stem, ...blocks] = options.filters.length > 0 ? options.filters : [32, 64, 128];
  const he = (key: string, i: number) =>
    tf.initializers.heUniform({ seed: deriveSeed(seed, key, i) });
  const layers: tf.layers.Layer[] = [
    tf.layers.conv2d({
      inputShape: options.inputShape,
      filters: stem,
      kernelSize: 3,
      strides: 2,
      padding: 'same',
      activation: 'relu',
      kernelInitializer: he('stem', 0),
      name: 'stem',
    }), // [batch, h/2, w/2, stem]
  ];
  blocks.forEach((filters, i) => {
    layers.push(
      tf.layers.depthwiseConv2d({
        kernelSize: 3,
        strides: 2,
        padding: 'same',
        activation: 'relu',
        depthwiseInitializer: he('depthwise', i),
        name: `dw${i + 1}`,
      }), // [batch, h/2^(i+2), w/2^(i+2), channels]
      tf.layers.conv2d({
        filters,
        kernelSize: 1,
        activation: 'relu',
        kernelInitializer: he('pointwise', i),
        name: `pw${i + 1}`,
      }), // [batch, …, filters]
    );
  });
  layers.push(tf.layers.globalAveragePooling2d({ name: 'pool' })); // [batch, filters]
  layers.push(...denseHead(options.dense, options.classes, options.dropout ?? 0, seed));
  return tf.sequential({ layers, name: options.name ?? 'mobilenet' });
}
