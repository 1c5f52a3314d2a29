// Shared body of BatchMatMul and _FusedMatMul: shape logic copied from the cpu kernel (batch dims
// flattened, operand batches broadcast by index modulo), product by OpenBLAS sgemm, then an optional
// bias along the last dim and an activation, in the same C++ call. Returns undefined when the
// inputs need the cpu kernel (non-float32, empty batch, bias broadcast other than along the last
// dim, unsupported activation).
import type { TensorInfo } from '@tensorflow/tfjs';
import { tf } from '../../../tf.ts';
import type { NativeBackend } from '../backend.ts';
import { floatOutput, floatValues, sizeOf } from './shared.ts';

export interface MatMulEpilogue {
  bias?: TensorInfo;
  activation: number; // activationCodes
  alpha: number;
}

/** How many bias values repeat along the last dim: n, 1, or undefined if not that simple. */
export function biasPeriod(bias: TensorInfo, outShape: number[]): number | undefined {
  const n = outShape[outShape.length - 1];
  const size = sizeOf(bias.shape);
  if (bias.shape.length > outShape.length) return undefined;
  if (size === 1) return 1;
  const last = bias.shape[bias.shape.length - 1];
  return last === n && size === n ? n : undefined;
}

export function nativeMatMul(
  backend: NativeBackend,
  a: TensorInfo,
  b: TensorInfo,
  transposeA: boolean,
  transposeB: boolean,
  epilogue: MatMulEpilogue = { activation: 0, alpha: 0 },
): TensorInfo | undefined {
  const aValues = floatValues(backend, a);
  const bValues = floatValues(backend, b);
  if (!aValues || !bValues) return undefined;
  const aRank = a.shape.length;
  const bRank = b.shape.length;
  const k = transposeA ? a.shape[aRank - 2] : a.shape[aRank - 1];
  const kB = transposeB ? b.shape[bRank - 1] : b.shape[bRank - 2];
  const m = transposeA ? a.shape[aRank - 1] : a.shape[aRank - 2];
  const n = transposeB ? b.shape[bRank - 2] : b.shape[bRank - 1];
  if (k !== kB) return undefined; // let the cpu kernel raise its error
  const batchA = sizeOf(a.shape.slice(0, -2));
  const batchB = sizeOf(b.shape.slice(0, -2));
  const outerDims = tf.backend_util.assertAndGetBroadcastShape(
    a.shape.slice(0, -2),
    b.shape.slice(0, -2),
  );
  const outShape = outerDims.concat([m, n]);
  const batch = Math.max(batchA, batchB);
  // The cpu kernel sizes its result as max(batchA, batchB); where that disagrees with the
  // broadcast shape (e.g. [2,1] with [1,3] batch dims) keep its behaviour by deferring to it.
  if (batchA === 0 || batchB === 0 || batch * m * n !== sizeOf(outShape)) return undefined;
  let biasValues: Float32Array | null = null;
  let biasLength = 0;
  if (epilogue.bias) {
    const period = biasPeriod(epilogue.bias, outShape);
    const values = floatValues(backend, epilogue.bias);
    if (period === undefined || !values) return undefined;
    biasValues = values;
    biasLength = period;
  }
  const out = backend.allocFloat32(batch * m * n);
  backend.addon.matMul(
    aValues, // [batchA, m, k] or [batchA, k, m]
    bValues, // [batchB, k, n] or [batchB, n, k]
    out, // [batch, m, n]
    batchA,
    batchB,
    batch,
    m,
    n,
    k,
    transposeA,
    transposeB,
    biasValues,
    biasLength,
    epilogue.activation,
    epilogue.alpha,
  );
  return floatOutput(backend, outShape, out);
}
