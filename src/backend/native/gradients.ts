// Gradients computed with fewer, cheaper kernels on the native backend, with the same floats as
// tfjs-core's. A gradient is registered for every backend at once, so each of these checks the
// active backend and hands any other backend to tfjs-core's own gradient (the reference).
// - Mean: tfjs-core multiplies dy by ones(x.shape), built element by element in JS (a fresh
//   [batch, time, dim] array every step of an embedding bag), then divides by n. dy / n
//   broadcast by Tile is the same values (dy · 1 is exact, one division either way).
// - GatherV2 on axis 0 (every embedding): tfjs-core wraps the segment sum in two transposes that
//   are identity permutations there, each a full copy of the [vocabulary, dim] gradient.
import type { GradConfig, NamedAttrMap, Tensor } from '@tensorflow/tfjs';
import { tf } from '../../tf.ts';

const replaced = Symbol('distillery native gradient');
type Gradient = GradConfig & { [replaced]?: true };
type NativeGradFunc = (
  stock: GradConfig,
) => (dy: Tensor | Tensor[], saved: Tensor[], attrs: NamedAttrMap) => Record<string, () => Tensor>;

/** Replaces kernelName's gradient by `make(stock)` once (idempotent across calls). */
function replaceGradient(kernelName: string, make: NativeGradFunc): void {
  const stock = tf.getGradient(kernelName) as Gradient | undefined;
  if (!stock || stock[replaced]) return;
  const config: Gradient = {
    kernelName,
    inputsToSave: stock.inputsToSave,
    [replaced]: true,
    gradFunc: make(stock),
  };
  tf.registerGradient(config);
}

/** Registers the gradients above (idempotent). */
export function registerNativeGradients(): void {
  replaceGradient(tf.Mean, (stock) => (dy, saved, attrs) => {
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
  });
  replaceGradient(tf.GatherV2, (stock) => (dy, saved, attrs) => {
    const [x, indices] = saved;
    const axis = tf.util.parseAxisParam(attrs.axis as number, x.shape)[0];
    if (tf.getBackend() !== 'native' || Array.isArray(dy) || axis !== 0 || attrs.batchDims === 1)
      return stock.gradFunc(dy, saved, attrs) as Record<string, () => Tensor>;
    return {
      x: () =>
        tf.unsortedSegmentSum(
          tf.reshape(dy, [indices.size, ...x.shape.slice(1)]), // [ids, ...x.shape[1:]]
          tf.reshape(indices, [indices.size]),
          x.shape[0],
        ), // [...x.shape]
      indices: () => indices,
    };
  });
}
