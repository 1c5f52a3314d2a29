// A scatter-add UnsortedSegmentSum for the cpu backend. It is the gradient of gather,
// so of every embedding layer; tfjs-backend-cpu computes it with one equal/mul/sum pass over the
// whole input *per segment* (O(vocabulary × batch × length × dim)), which made one embedding-bag
// step on a 10k vocabulary take minutes. This is one pass: O(batch × length × dim).
// The stock kernel stays available as the reference (parity test in kernels.test.ts). The native
// backend has its own C++ kernel (src/backend/native/kernels/UnsortedSegmentSum.ts), which this
// must not replace: native copies the cpu kernels once, at registration, then overrides them.
import { tf } from '../tf.ts';

type TensorInfo = tf.TensorInfo;
interface CpuLike {
  readSync(dataId: unknown): unknown;
  makeTensorInfo(
    shape: number[],
    dtype: tf.DataType,
    values: tf.backend_util.BackendValues,
  ): TensorInfo;
}

export const UNSORTED_SEGMENT_SUM = 'UnsortedSegmentSum';

/** out[segmentIds[i], ...] += x[i, ...]; ids outside [0, numSegments) are dropped (as TF does). */
export function scatterAdd(
  x: Float32Array | Int32Array,
  ids: Int32Array | Float32Array,
  numSegments: number,
  inner: number,
  out: Float32Array | Int32Array,
): void {
  for (let i = 0; i < ids.length; i++) {
    const s = ids[i];
    if (s < 0 || s >= numSegments) continue;
    const from = i * inner;
    const to = s * inner;
    for (let k = 0; k < inner; k++) out[to + k] += x[from + k];
  }
}

const kernelFunc: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const { x, segmentIds } = inputs as { x: TensorInfo; segmentIds: TensorInfo };
  const numSegments = (attrs as { numSegments: number }).numSegments;
  const b = backend as unknown as CpuLike;
  const rest = x.shape.slice(segmentIds.shape.length);
  const inner = rest.reduce((a, d) => a * d, 1);
  const xs = b.readSync(x.dataId) as Float32Array | Int32Array;
  const ids = b.readSync(segmentIds.dataId) as Int32Array;
  const out =
    x.dtype === 'int32'
      ? new Int32Array(numSegments * inner)
      : new Float32Array(numSegments * inner);
  scatterAdd(xs, ids, numSegments, inner, out);
  return b.makeTensorInfo([numSegments, ...rest], x.dtype, out);
};

/** The stock tfjs-backend-cpu kernel (reference), captured before it is replaced. */
export const stockUnsortedSegmentSum = tf.getKernel(UNSORTED_SEGMENT_SUM, 'cpu')?.kernelFunc;

/** Replaces UnsortedSegmentSum on cpu. Idempotent. */
export function registerTextKernels(): void {
  const backendName = 'cpu';
  if (tf.getKernel(UNSORTED_SEGMENT_SUM, backendName)?.kernelFunc === kernelFunc) return;
  if (tf.getKernel(UNSORTED_SEGMENT_SUM, backendName))
    tf.unregisterKernel(UNSORTED_SEGMENT_SUM, backendName);
  tf.registerKernel({ kernelName: UNSORTED_SEGMENT_SUM, backendName, kernelFunc });
}

registerTextKernels();
