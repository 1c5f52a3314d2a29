// Cast: bool → float32 as a real Float32Array. The cpu kernel keeps the Uint8Array under a float32
// dtype (no copy), which every native float32 kernel then has to hand to the cpu kernel: Max's
// gradient multiplied dy by cast(equal(x, max)) through the cpu's generic broadcast, ~200 ms per
// TextCNN batch. The copy costs ~1 ms per million elements and is exact. Every other cast is the
// cpu kernel's (the reference; int32 → float32 stays shared, keeping the cpu's exact int values).
import type { KernelConfig } from '@tensorflow/tfjs';
import { tf } from '../../../tf.ts';
import { cpuKernel, floatOutput, kernelArgs } from './shared.ts';

export const castConfig: KernelConfig = {
  kernelName: tf.Cast,
  backendName: 'native',
  kernelFunc: (args) => {
    const { inputs, backend, attrs } = kernelArgs(args);
    const { x } = inputs;
    const values = x ? backend.data.get(x.dataId).values : undefined;
    if (!x || attrs.dtype !== 'float32' || x.dtype !== 'bool' || !(values instanceof Uint8Array))
      return cpuKernel(tf.Cast)(args);
    const out = backend.allocFloat32(values.length); // [...x.shape]
    out.set(values);
    return floatOutput(backend, x.shape, out);
  },
};
