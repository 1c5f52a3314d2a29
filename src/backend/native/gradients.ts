// Gradients computed with fewer, cheaper kernels on the native backend, with the same floats as
// tfjs-core's. A gradient is registered for every backend at once, so each of these checks the
// active backend and hands any other backend to tfjs-core's own gradient (the reference).
// - Mean: tfjs-core multiplies dy by ones(x.shape), built element by element in JS (a fresh
//   [batch, time, dim] array every step of an embedding bag), then divides by n. dy / n
//   broadcast by Tile is the same values (dy · 1 is exact, one division either way).
import type { GradConfig, NamedAttrMap, Tensor } from '@tensorflow/tfjs';
import { tf } from '../../tf.ts';

const nativeMean = Symbol('distillery native Mean gradient');

/** Registers the gradients above (idempotent). */
export function registerNativeGradients(): void {
  const stock = tf.getGradient(tf.Mean) as (GradConfig & { [nativeMean]?: true }) | undefined;
  if (!stock || stock[nativeMean]) return;
  const config: GradConfig & { [nativeMean]: true } = {
    kernelName: tf.Mean,
    inputsToSave: stock.inputsToSave,
    [nativeMean]: true,
    gradFunc: (dy: Tensor | Tensor[], saved: Tensor[], attrs: NamedAttrMap) => {
      const [x] = saved;
      // broadcastTo cannot make a size-0 dimension out of 1: empty x goes the stock way too.
      if (tf.getBackend() !== 'native' || Array.isArray(dy) || x.size === 0)
        return stock.gradFunc(dy, saved, attrs);
      const axes = tf.util.parseAxisParam(attrs.axis as number | number[], x.shape);
      const reduceSize = axes.reduce((n, a) => n * x.shape[a], 1);
      const kept = x.shape.map((d, i) => (axes.includes(i) ? 1 : d)); // dy with reduced dims as 1
      return {
        x: () => tf.broadcastTo(tf.div(tf.reshape(dy, kept), reduceSize), x.shape), // [...x.shape]
      };
    },
  };
  tf.registerGradient(config);
}
