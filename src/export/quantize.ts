// Post-training weight quantization in the tfjs weights-manifest format, bit-for-bit the rule of
// the reference converter (tfjs-converter/python/tensorflowjs/quantization.py): per-tensor affine
// uint8/uint16 with the range nudged so 0 is exact, or IEEE float16. Only float32 tensors change.
// Leaves out: per-channel quantization and int8 (the tfjs reader does not support them).
import type { tf } from '../tf.ts';
import { modelError } from '../errors.ts';
import { DTYPE_BYTES } from '../models/io.ts';

export const quantizations = ['none', 'float16', 'uint16', 'uint8'] as const;
export type Quantization = (typeof quantizations)[number];
export type AffineDtype = 'uint8' | 'uint16';

/** The manifest's quantization field, as the reference converter writes it. */
export type QuantizationSpec =
  | { dtype: AffineDtype; min: number; scale: number; original_dtype: 'float32' }
  | { dtype: 'float16'; original_dtype: 'float32' };

export type WeightSpec = tf.io.WeightsManifestEntry;

const QUANT_MAX: Record<AffineDtype, number> = { uint8: 255, uint16: 65535 };

/** Rounds half to even, like numpy's np.round (Math.round rounds half up). */
export function roundHalfEven(x: number): number {
  const floor = Math.floor(x);
  const fraction = x - floor;
  if (fraction > 0.5) return floor + 1;
  if (fraction < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}

export interface AffineQuantized {
  data: Uint8Array | Uint16Array;
  /** Dequantize as q * scale + min (both float64, stored as is in the manifest). */
  min: number;
  scale: number;
}

/**
 * Quantizes one tensor to uint8/uint16 over its own min..max. Arithmetic is float64, as numpy 2
 * does it in the reference (float64 scalars promote the float32 array).
 */
export function quantizeAffine(values: Float32Array, dtype: AffineDtype): AffineQuantized {
  const qmax = QUANT_MAX[dtype];
  const data = dtype === 'uint8' ? new Uint8Array(values.length) : new Uint16Array(values.length);
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    if (!Number.isFinite(v)) throw new RangeError(`cannot quantize ${v} to ${dtype}`);
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (values.length === 0) return { data, min: 0, scale: 1 };
  // A constant tensor: every value is min, stored as q = 0 with scale 1.
  if (min === max) return { data, min, scale: 1 };
  const scale = (max - min) / qmax;
  let lo = min;
  let hi = max;
  if (min <= 0 && 0 <= max) {
    // Nudge (as TF-Lite's NudgeQuantizationRange) so that real 0 maps onto an integer.
    const zeroPoint = roundHalfEven((0 - min) / scale);
    lo = -zeroPoint * scale;
    hi = qmax * scale + lo;
  }
  for (let i = 0; i < values.length; i++) {
    const clipped = Math.min(Math.max(values[i], lo), hi);
    data[i] = Math.min(qmax, Math.max(0, roundHalfEven((clipped - lo) / scale)));
  }
  return { data, min: lo, scale };
}

/** The tfjs reader's dequantization: q * scale + min, stored as float32. */
export function dequantizeAffine(
  data: Uint8Array | Uint16Array,
  min: number,
  scale: number,
): Float32Array {
  const out = new Float32Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = data[i] * scale + min;
  return out;
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/**
 * IEEE 754 binary32 → binary16 bits, round to nearest even: overflow goes to ±Infinity,
 * binary16 subnormals are exact, underflow keeps the sign, NaN stays NaN (numpy's rule).
 */
export function float16Bits(value: number): number {
  f32[0] = value;
  const bits = u32[0];
  const sign = (bits >>> 16) & 0x8000;
  const exponent = (bits >>> 23) & 0xff;
  const mantissa = bits & 0x7fffff;
  if (exponent === 0xff) {
    if (mantissa === 0) return sign | 0x7c00; // ±Infinity
    const nan = 0x7c00 | (mantissa >>> 13);
    return sign | (nan === 0x7c00 ? 0x7c01 : nan); // keep a payload so it stays NaN
  }
  const halfExponent = exponent - 127 + 15;
  if (halfExponent >= 0x1f) return sign | 0x7c00;
  if (halfExponent <= 0) {
    // binary16 subnormal: value = m · 2^-24, m = full mantissa >> (126 − exponent).
    const shift = 126 - exponent;
    if (shift > 24) return sign; // below half the smallest subnormal (float32 subnormals too)
    const full = mantissa | 0x800000;
    let m = full >>> shift;
    const rest = full & ((1 << shift) - 1);
    const half = 1 << (shift - 1);
    if (rest > half || (rest === half && (m & 1) === 1)) m++; // may carry into the normal range
    return sign | m;
  }
  let h = (halfExponent << 10) | (mantissa >>> 13);
  const rest = mantissa & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && (h & 1) === 1)) h++; // a carry may give Infinity
  return sign | h;
}

/** binary16 bits → the number they encode (exact in float32). */
export function float16Value(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >>> 10) & 0x1f;
  const mantissa = bits & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 0x1f) return mantissa ? NaN : sign * Infinity;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}

export function encodeFloat16(values: Float32Array): Uint16Array {
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = float16Bits(values[i]);
  return out;
}

export function decodeFloat16(bits: Uint16Array): Float32Array {
  const out = new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) out[i] = float16Value(bits[i]);
  return out;
}

/** Bytes one weight occupies in the weight files (after quantization, if any). */
export function weightByteLength(spec: WeightSpec): number {
  const dtype = spec.quantization?.dtype ?? spec.dtype;
  const bytes = DTYPE_BYTES[dtype];
  if (!bytes) throw modelError(`weight '${spec.name}' has unsupported dtype '${dtype}'`);
  return spec.shape.reduce((a, b) => a * b, 1) * bytes;
}

/** Values of one weight as the tfjs reader decodes them (dequantized if quantized). */
export function decodeWeightValues(
  spec: WeightSpec,
  bytes: Uint8Array,
): Float32Array | Int32Array | Uint8Array {
  const copy = bytes.slice().buffer; // aligned
  const q = spec.quantization;
  if (!q) {
    if (spec.dtype === 'float32') return new Float32Array(copy);
    if (spec.dtype === 'int32') return new Int32Array(copy);
    if (spec.dtype === 'bool') return new Uint8Array(copy);
    throw modelError(`weight '${spec.name}' has unsupported dtype '${spec.dtype}'`);
  }
  if (q.dtype === 'float16') return decodeFloat16(new Uint16Array(copy));
  const data = q.dtype === 'uint8' ? new Uint8Array(copy) : new Uint16Array(copy);
  const values = dequantizeAffine(data, q.min!, q.scale!);
  return spec.dtype === 'int32' ? Int32Array.from(values, Math.round) : values;
}

export interface QuantizedWeights {
  specs: WeightSpec[];
  data: Uint8Array;
}

/**
 * Re-encodes a model's weights (specs + concatenated bytes, as in model.json and its shards)
 * with one quantization. Already-quantized inputs are dequantized first; 'none' writes float32.
 */
export function quantizeWeights(
  specs: WeightSpec[],
  weightData: Uint8Array,
  quantization: Quantization,
): QuantizedWeights {
  const outSpecs: WeightSpec[] = [];
  const parts: Uint8Array[] = [];
  let offset = 0;
  for (const spec of specs) {
    const length = weightByteLength(spec);
    const values = decodeWeightValues(spec, weightData.subarray(offset, offset + length));
    offset += length;
    const { quantization: _old, ...plain } = spec;
    // Only float32 tensors are quantized (the reference converter's rule); others pass through.
    if (quantization === 'none' || spec.dtype !== 'float32') {
      outSpecs.push(plain);
      parts.push(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
      continue;
    }
    const floats = values as Float32Array;
    let q: QuantizationSpec;
    let encoded: Uint8Array | Uint16Array;
    if (quantization === 'float16') {
      encoded = encodeFloat16(floats);
      q = { dtype: 'float16', original_dtype: 'float32' };
    } else {
      const bad = floats.find((v) => !Number.isFinite(v));
      if (bad !== undefined) {
        throw modelError(
          `weight '${spec.name}' holds ${bad}: ${quantization} needs finite weights (use --quantize float16 or none)`,
        );
      }
      const r = quantizeAffine(floats, quantization);
      encoded = r.data;
      q = { dtype: quantization, min: r.min, scale: r.scale, original_dtype: 'float32' };
    }
    outSpecs.push({ ...plain, quantization: q as WeightSpec['quantization'] });
    parts.push(new Uint8Array(encoded.buffer, encoded.byteOffset, encoded.byteLength));
  }
  if (offset !== weightData.byteLength) {
    throw modelError(
      `the weights hold ${weightData.byteLength} bytes but their specs need ${offset}`,
    );
  }
  const data = new Uint8Array(parts.reduce((a, p) => a + p.byteLength, 0));
  let at = 0;
  for (const p of parts) {
    data.set(p, at);
    at += p.byteLength;
  }
  return { specs: outSpecs, data };
}
