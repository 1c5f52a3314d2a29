// Loads the optional OpenBLAS addon (native/build/Release/distillery_native.node) and types its
// functions. Never throws: a missing or broken build is reported through loadError().
// The addon is built by `npm run build:native`; DISTILLERY_NATIVE_ADDON overrides the path.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Operation codes shared with native/src/elementwise.cc. */
export const BinaryOp = {
  Add: 0,
  Sub: 1,
  Multiply: 2,
  RealDiv: 3,
  Maximum: 4,
  Minimum: 5,
  SquaredDifference: 6,
} as const;

/** Operation codes shared with native/src/elementwise.cc. */
export const UnaryOp = {
  Relu: 0,
  Exp: 1,
  Log: 2,
  Sqrt: 3,
  Square: 4,
  Neg: 5,
  Step: 6,
  Sigmoid: 7,
  Tanh: 8,
  Abs: 9,
  Reciprocal: 10,
  Rsqrt: 11,
  Relu6: 12,
  LeakyRelu: 13,
  Elu: 14,
} as const;

/** Operation codes shared with native/src/elementwise.cc (comparisons, bool out). */
export const CompareOp = {
  Equal: 0,
  NotEqual: 1,
  Less: 2,
  LessEqual: 3,
  Greater: 4,
  GreaterEqual: 5,
} as const;

/** Operation codes shared with native/src/reduce.cc. */
export const ReduceOp = { Sum: 0, Mean: 1, Max: 2 } as const;

/** Fused activations shared with native/src/common.h; null = not supported natively. */
export const activationCodes: Record<string, number> = {
  linear: 0,
  relu: 1,
  relu6: 2,
  elu: 3,
  leakyrelu: 4,
  sigmoid: 5,
};

/** Geometry of a 2-D convolution or pooling window, NHWC, as the addon expects it. */
export interface NativeConvGeometry {
  batch: number;
  inHeight: number;
  inWidth: number;
  inChannels: number;
  outHeight: number;
  outWidth: number;
  outChannels: number;
  filterHeight: number;
  filterWidth: number;
  strideHeight: number;
  strideWidth: number;
  dilationHeight: number;
  dilationWidth: number;
  padTop: number;
  padLeft: number;
}

export interface NativeAddon {
  /** out[batch,m,n] = op(a)[bi % batchA] · op(b)[bi % batchB] (+ bias) then activation. */
  matMul(
    a: Float32Array,
    b: Float32Array,
    out: Float32Array,
    batchA: number,
    batchB: number,
    batch: number,
    m: number,
    n: number,
    k: number,
    transposeA: boolean,
    transposeB: boolean,
    bias: Float32Array | null,
    biasLength: number,
    activation: number,
    alpha: number,
  ): void;
  sgemmGflops(
    m: number,
    n: number,
    k: number,
    transposeA: boolean,
    transposeB: boolean,
    reps: number,
  ): number;
  setThreads(n: number): void;
  getThreads(): number;
  /** OpenBLAS build description, e.g. "OpenBLAS 0.3.21 DYNAMIC_ARCH ... core=Zen". */
  blasConfig(): string;
  binary(
    op: number,
    a: Float32Array,
    aShape: number[],
    b: Float32Array,
    bShape: number[],
    out: Float32Array,
    outShape: number[],
  ): void;
  /** out = a <op> b as 1 / 0 with broadcasting (CompareOp codes). */
  compare(
    op: number,
    a: Float32Array,
    aShape: number[],
    b: Float32Array,
    bShape: number[],
    out: Uint8Array,
    outShape: number[],
  ): void;
  unary(op: number, x: Float32Array, out: Float32Array, alpha: number): void;
  /**
   * out[b, o, i, :] = x[b, o, indices[b, i], :], x viewed as [batch, outer, dimSize, slice].
   * Returns -1, or the position of the first index outside [0, dimSize) (then nothing is written).
   */
  gather(
    x: Float32Array,
    indices: Int32Array,
    out: Float32Array,
    batch: number,
    outer: number,
    dimSize: number,
    slice: number,
  ): number;
  /** out[s, :] = Σ x[i, :] over segmentIds[i] == s; ids outside [0, numSegments) dropped. */
  segmentSum(
    x: Float32Array,
    segmentIds: Int32Array,
    out: Float32Array,
    numSegments: number,
    inner: number,
  ): void;
  reduce(
    op: number,
    x: Float32Array,
    out: Float32Array,
    outer: number,
    reduce: number,
    inner: number,
  ): void;
  softmax(x: Float32Array, out: Float32Array, rows: number, cols: number): void;
  transpose(x: Float32Array, shape: number[], perm: number[], out: Float32Array): void;
  adam(
    value: Float32Array,
    m: Float32Array,
    v: Float32Array,
    grad: Float32Array,
    out: Float32Array,
    beta1: number,
    oneMinusBeta1: number,
    beta2: number,
    oneMinusBeta2: number,
    oneMinusAccBeta1: number,
    oneMinusAccBeta2: number,
    epsilon: number,
    negLearningRate: number,
  ): void;
  /** adam on value · decayFactor (AdamW); same arguments plus the factor. */
  adamw(
    value: Float32Array,
    m: Float32Array,
    v: Float32Array,
    grad: Float32Array,
    out: Float32Array,
    beta1: number,
    oneMinusBeta1: number,
    beta2: number,
    oneMinusBeta2: number,
    oneMinusAccBeta1: number,
    oneMinusAccBeta2: number,
    epsilon: number,
    negLearningRate: number,
    decayFactor: number,
  ): void;
  momentum(
    value: Float32Array,
    accumulation: Float32Array,
    grad: Float32Array,
    out: Float32Array,
    momentum: number,
    negLearningRate: number,
    useNesterov: boolean,
  ): void;
  /** y[b,oh,ow,oc] = conv(x, filter) (+ bias) then activation. */
  conv2d(
    x: Float32Array,
    filter: Float32Array,
    out: Float32Array,
    geometry: NativeConvGeometry,
    bias: Float32Array | null,
    biasLength: number,
    activation: number,
    alpha: number,
  ): void;
  conv2dBackpropInput(
    dy: Float32Array,
    filter: Float32Array,
    dx: Float32Array,
    geometry: NativeConvGeometry,
  ): void;
  conv2dBackpropFilter(
    x: Float32Array,
    dy: Float32Array,
    dw: Float32Array,
    geometry: NativeConvGeometry,
  ): void;
  /** Max (op 0) or average (op 1) pooling, NHWC; channels are geometry.inChannels. */
  pool(op: number, x: Float32Array, out: Float32Array, geometry: NativeConvGeometry): void;
  maxPoolGrad(
    dy: Float32Array,
    x: Float32Array,
    dx: Float32Array,
    geometry: NativeConvGeometry,
  ): void;
  avgPoolGrad(dy: Float32Array, dx: Float32Array, geometry: NativeConvGeometry): void;
}

const addonFile = join('native', 'build', 'Release', 'distillery_native.node');

/** Exports added after the first build: an addon without them was built from older sources. */
const newerExports = ['compare', 'gather', 'segmentSum'] as const;

/** Candidate paths: the override alone if set, else native/build/... in this file's ancestors. */
function candidates(): string[] {
  const override = process.env.DISTILLERY_NATIVE_ADDON;
  if (override) return [resolve(override)];
  const out: string[] = [];
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    out.push(join(dir, addonFile));
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return out;
}

let loaded: { addon?: NativeAddon; error?: string } | undefined;

function load(): { addon?: NativeAddon; error?: string } {
  if (loaded) return loaded;
  const paths = candidates();
  const path = paths.find((p) => existsSync(p));
  if (!path) {
    const where = process.env.DISTILLERY_NATIVE_ADDON
      ? `${paths[0]} (DISTILLERY_NATIVE_ADDON)`
      : addonFile;
    loaded = { error: `native addon not built: ${where} not found (run 'npm run build:native')` };
    return loaded;
  }
  try {
    const require = createRequire(import.meta.url);
    const addon = require(path) as NativeAddon;
    const missing = newerExports.filter((name) => typeof addon[name] !== 'function');
    loaded = missing.length
      ? {
          error: `native addon at ${path} is out of date (no ${missing.join(', ')}): run 'npm run build:native'`,
        }
      : { addon };
  } catch (e) {
    loaded = { error: `native addon at ${path} failed to load: ${(e as Error).message}` };
  }
  return loaded;
}

/** The addon, or undefined if it is not built or fails to load. */
export function loadAddon(): NativeAddon | undefined {
  return load().addon;
}

/** True if an addon file exists, whether or not it loads (a broken build is not a missing one). */
export function addonFound(): boolean {
  return candidates().some((p) => existsSync(p));
}

/** Why the addon failed to load; undefined if it loaded. */
export function loadError(): string | undefined {
  return load().error;
}
