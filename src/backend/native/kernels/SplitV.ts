// SplitV: the pieces are native slices (Slice.ts), as the cpu kernel's pieces are its slices; the
// gradient of concat, e.g. TextCNN's [batch, 3·filters] back into three [batch, filters] (~40 ms
// per batch on the cpu kernel). Other dtypes use the cpu kernel (the reference).
import type { KernelConfig, TensorInfo } from '@tensorflow/tfjs';
import { tf } from '../../../tf.ts';
import { cpuKernel, floatValues, kernelArgs } from './shared.ts';
import { sliceKernel } from './Slice.ts';

export const splitVConfig: KernelConfig = {
  kernelName: tf.SplitV,
  backendName: 'native',
  kernelFunc: (args) => {
    const { inputs, backend, attrs } = kernelArgs(args);
    const { x } = inputs;
    if (!x || !floatValues(backend, x)) return cpuKernel(tf.SplitV)(args);
    const axis = tf.util.parseAxisParam(attrs.axis as number, x.shape)[0];
    const sizes = tf.backend_util.prepareSplitSize(
      x as TensorInfo as tf.Tensor,
      attrs.numOrSizeSplits as number | number[],
      axis,
    );
    const begin = new Array<number>(x.shape.length).fill(0);
    return sizes.map((s) => {
      const size = x.shape.slice();
      size[axis] = s;
      const piece = sliceKernel({ inputs: { x }, backend, attrs: { begin: [...begin], size } });
      begin[axis] += s;
      return piece as TensorInfo;
    });
  },
};
