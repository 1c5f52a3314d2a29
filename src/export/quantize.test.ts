// Weight quantization against its two references: the tfjs reader (tf.io.decodeWeights, which
// every loader uses) and the reference converter's rule (golden values from numpy 2.4 running
// tfjs-converter's quantization.py; float16 via numpy's astype).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../tf.ts';
import { DistilleryError } from '../errors.ts';
import {
  decodeFloat16,
  encodeFloat16,
  float16Bits,
  float16Value,
  quantizeAffine,
  quantizeWeights,
  roundHalfEven,
  type WeightSpec,
} from './quantize.ts';

await tf.setBackend('cpu');

const bytesOf = (a: ArrayBufferView) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

/** Decodes with the stock tfjs reader, as tf.loadLayersModel does. */
function stockDecode(specs: WeightSpec[], data: Uint8Array): Float32Array[] {
  const buffer = data.slice().buffer;
  const tensors = tf.io.decodeWeights(buffer, specs);
  const out = specs.map((s) => tensors[s.name].dataSync() as Float32Array);
  tf.dispose(Object.values(tensors));
  return out;
}

const float32Bits = (x: number) => new Uint32Array(Float32Array.of(x).buffer)[0];
const fromBits = (bits: number) => new Float32Array(Uint32Array.of(bits).buffer)[0];

test('float16: all 65,536 codes decode like the tfjs reader and re-encode to themselves', () => {
  const codes = Uint16Array.from({ length: 65536 }, (_, i) => i);
  const spec: WeightSpec = {
    name: 'w',
    shape: [65536],
    dtype: 'float32',
    quantization: { dtype: 'float16' },
  };
  const [stock] = stockDecode([spec], bytesOf(codes));
  const mine = decodeFloat16(codes);
  const again = encodeFloat16(stock);
  for (let h = 0; h < 65536; h++) {
    const isNaN16 = (h & 0x7c00) === 0x7c00 && (h & 0x3ff) !== 0;
    if (isNaN16) {
      assert.ok(Number.isNaN(stock[h]) && Number.isNaN(mine[h]), `code ${h}`);
      assert.ok((again[h] & 0x7c00) === 0x7c00 && (again[h] & 0x3ff) !== 0, `NaN ${h} stays NaN`);
    } else {
      assert.ok(Object.is(mine[h], stock[h]), `code ${h.toString(16)}: ${mine[h]} vs ${stock[h]}`);
      assert.equal(again[h], h, `code ${h.toString(16)} (${stock[h]}) re-encodes`);
    }
  }
});

test('float16 special values: signed zeros, infinities, NaN, overflow, subnormals, ties to even', () => {
  const cases: [number, number, string][] = [
    [0, 0x0000, '+0'],
    [-0, 0x8000, '-0'],
    [Infinity, 0x7c00, '+inf'],
    [-Infinity, 0xfc00, '-inf'],
    [1, 0x3c00, '1'],
    [-2, 0xc000, '-2'],
    [0.1, 0x2e66, '0.1 (numpy)'],
    [1 / 3, 0x3555, '1/3 (numpy)'],
    [65504, 0x7bff, 'largest finite'],
    [65519.99609375, 0x7bff, 'just below the overflow threshold'],
    [65520, 0x7c00, 'the overflow threshold rounds (to even) to infinity'],
    [1e6, 0x7c00, 'overflow'],
    [-1e6, 0xfc00, 'negative overflow'],
    [2 ** -14, 0x0400, 'smallest normal'],
    [2 ** -14 - 2 ** -24, 0x03ff, 'largest subnormal'],
    [2 ** -14 - 2 ** -25, 0x0400, 'tie between the largest subnormal and the smallest normal'],
    [2 ** -24, 0x0001, 'smallest subnormal'],
    [2 ** -25, 0x0000, 'half the smallest subnormal: tie to even (0)'],
    [-(2 ** -25), 0x8000, 'negative underflow keeps the sign'],
    [fromBits(float32Bits(2 ** -25) + 1), 0x0001, 'just above half the smallest subnormal'],
    [3 * 2 ** -25, 0x0002, 'tie between subnormals 1 and 2: to even (2)'],
    [5 * 2 ** -25, 0x0002, 'tie between subnormals 2 and 3: to even (2)'],
    [fromBits(1), 0x0000, 'a float32 subnormal'],
    [-fromBits(1), 0x8000, 'a negative float32 subnormal'],
    [1 + 2 ** -11, 0x3c00, 'tie above 1: to even (1)'],
    [1 + 3 * 2 ** -11, 0x3c02, 'tie: to even (1 + 2^-9)'],
    [1 + 2 ** -11 + 2 ** -23, 0x3c01, 'just above a tie'],
    [2048 + 1, 0x6800, 'integer tie at 2049: to even (2048)'],
  ];
  for (const [value, bits, what] of cases) {
    assert.equal(float16Bits(value), bits, `${what}: ${value}`);
  }
  const nan = float16Bits(NaN);
  assert.ok((nan & 0x7c00) === 0x7c00 && (nan & 0x3ff) !== 0, 'NaN stays NaN');
  assert.ok(Number.isNaN(float16Value(nan)));
  assert.ok(Object.is(float16Value(0x8000), -0));
  assert.equal(float16Value(0x0001), 2 ** -24);
});

test('float16 matches numpy astype(float16) on values from 2^-27 to 2^17', () => {
  // [float32 value, numpy's binary16 bits], generated with numpy 2.4.
  const golden: [number, number][] = [
    [-342.5400085449219, 56666],
    [374.64874267578125, 24027],
    [-0.04987030103802681, 43618],
    [4.5469565520761535e-5, 763],
    [-3.8593974238665396e-8, 32769],
    [-0.0008913197671063244, 37709],
    [0.001916674431413412, 6106],
    [2.96397502097534e-8, 0],
    [3.296109341022202e-8, 1],
    [127819.5546875, 31744],
    [-3.2585742473602295, 49796],
    [-9.513772056379821e-6, 32928],
    [0.004297437146306038, 7271],
    [59648.26171875, 31560],
    [5783.8515625, 28070],
    [-1133.183349609375, 58477],
    [-0.0011741277994588017, 38095],
    [0.02526025101542473, 9847],
    [-6.841588973999023, 50903],
    [-4.759282745681048e-8, 32769],
    [0.17030930519104004, 12659],
    [-2.9353062927839346e-5, 33260],
    [3337.730224609375, 27269],
    [-5.281178871996417e-8, 32769],
  ];
  for (const [value, bits] of golden) assert.equal(float16Bits(value), bits, `${value}`);
});

test('roundHalfEven rounds like numpy: halves to the even neighbour', () => {
  assert.deepEqual(
    [0.5, 1.5, 2.5, -0.5, -1.5, 2.4999, 2.5001, 3].map(roundHalfEven),
    [0, 2, 2, 0, -2, 2, 3, 3],
  );
});

test('uint8 / uint16 match the reference converter bit for bit', () => {
  // Its docstring example: [0, -0.1, 1.2] → [20, 0, 255], min −0.10196078817, scale 0.0050980394.
  const doc = quantizeAffine(Float32Array.of(0, -0.1, 1.2), 'uint8');
  assert.deepEqual(Array.from(doc.data), [20, 0, 255]);
  assert.equal(doc.min, -0.10196078817049663);
  assert.equal(doc.scale, 0.0050980394085248315);
  // x_i = float32(((37 i) mod 101 − 40) / 77), i < 101; golden from numpy 2.4 + quantization.py.
  const x = Float32Array.from({ length: 101 }, (_, i) => (((i * 37) % 101) - 40) / 77);
  const u8 = quantizeAffine(x, 'uint8');
  assert.equal(u8.min, -0.5194805145263671);
  assert.equal(u8.scale, 0.005092946220846737);
  assert.deepEqual(
    Array.from(u8.data),
    [
      0, 94, 189, 26, 120, 214, 51, 145, 240, 76, 171, 8, 102, 196, 33, 128, 222, 59, 153, 247, 84,
      178, 15, 110, 204, 41, 135, 229, 66, 161, 255, 92, 186, 23, 117, 212, 48, 143, 237, 74, 168,
      5, 99, 194, 31, 125, 219, 56, 150, 245, 82, 176, 13, 107, 201, 38, 133, 227, 64, 158, 252, 89,
      184, 20, 115, 209, 46, 140, 235, 71, 166, 3, 97, 191, 28, 122, 217, 54, 148, 242, 79, 173, 10,
      105, 199, 36, 130, 224, 61, 156, 250, 87, 181, 18, 112, 207, 43, 138, 232, 69, 163,
    ],
  );
  const u16 = quantizeAffine(x, 'uint16');
  assert.equal(u16.min, -0.5194805145263672);
  assert.equal(u16.scale, 1.9816911365162402e-5);
  assert.deepEqual(
    Array.from(u16.data.slice(0, 12)),
    [0, 24248, 48496, 6554, 30801, 55049, 13107, 37355, 61603, 19660, 43908, 1966],
  );
  assert.equal(u16.data[30], 65535);
  assert.equal(u16.data[100], 41942);
});

test('uint8 / uint16: the stock reader gets every value back within scale/2, and 0 exactly', () => {
  let seed = 12345;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1;
  const tensors = {
    centred: Float32Array.from({ length: 4000 }, (_, i) => (i % 7 === 0 ? 0 : random() * 0.2)),
    skewed: Float32Array.from({ length: 3000 }, (_, i) =>
      i % 5 === 0 ? 0 : random() * 0.01 + 0.3,
    ),
    negative: Float32Array.from({ length: 500 }, (_, i) => (i === 9 ? 0 : -Math.abs(random()))),
  };
  for (const dtype of ['uint8', 'uint16'] as const) {
    for (const [name, x] of Object.entries(tensors)) {
      const specs: WeightSpec[] = [{ name, shape: [x.length], dtype: 'float32' }];
      const q = quantizeWeights(specs, bytesOf(x), dtype);
      const { min, scale } = q.specs[0].quantization!;
      assert.equal(q.data.byteLength, x.length * (dtype === 'uint8' ? 1 : 2));
      const [back] = stockDecode(q.specs, q.data);
      let worst = 0;
      for (let i = 0; i < x.length; i++) {
        if (x[i] === 0) assert.equal(back[i], 0, `${name}/${dtype}: 0 at ${i} is exact`);
        worst = Math.max(worst, Math.abs(back[i] - x[i]) - 1e-7 * Math.abs(x[i]));
      }
      assert.ok(
        worst <= scale! / 2 + 1e-12,
        `${name}/${dtype}: error ${worst} > scale/2 ${scale! / 2}`,
      );
      assert.ok(min! <= 0, 'a range covering 0 starts at or below 0');
    }
  }
});

test('uint8: a tensor not covering 0 is not nudged; a constant tensor is exact', () => {
  const positive = Float32Array.of(0.5, 0.75, 1.5, 1);
  const p = quantizeAffine(positive, 'uint8');
  assert.equal(p.min, 0.5);
  assert.equal(p.scale, 1 / 255);
  assert.deepEqual([p.data[0], p.data[2]], [0, 255]);
  const constant = quantizeAffine(new Float32Array(5).fill(-0.25), 'uint8');
  assert.deepEqual(Array.from(constant.data), [0, 0, 0, 0, 0]);
  assert.deepEqual([constant.min, constant.scale], [-0.25, 1]);
  const specs: WeightSpec[] = [{ name: 'c', shape: [5], dtype: 'float32' }];
  const q = quantizeWeights(specs, bytesOf(new Float32Array(5).fill(-0.25)), 'uint8');
  assert.deepEqual(
    Array.from(stockDecode(q.specs, q.data)[0]),
    [-0.25, -0.25, -0.25, -0.25, -0.25],
  );
});

test('only float32 tensors are quantized; manifests carry the converter’s fields', () => {
  const w = Float32Array.of(-1, 0, 0.5, 2);
  const steps = Int32Array.of(7, -3);
  const data = new Uint8Array([...bytesOf(w), ...bytesOf(steps)]);
  const specs: WeightSpec[] = [
    { name: 'w', shape: [2, 2], dtype: 'float32' },
    { name: 'steps', shape: [2], dtype: 'int32' },
  ];
  for (const dtype of ['float16', 'uint16', 'uint8'] as const) {
    const q = quantizeWeights(specs, data, dtype);
    assert.equal(q.specs[1].quantization, undefined, 'int32 untouched');
    assert.deepEqual(q.specs[1], specs[1]);
    assert.deepEqual(Array.from(q.data.slice(q.data.byteLength - 8)), Array.from(bytesOf(steps)));
    const field = q.specs[0].quantization as Record<string, unknown>;
    assert.equal(field.dtype, dtype);
    assert.equal(field.original_dtype, 'float32');
    assert.equal('min' in field && 'scale' in field, dtype !== 'float16');
    const tensors = tf.io.decodeWeights(q.data.slice().buffer, q.specs);
    assert.deepEqual(Array.from(tensors.steps.dataSync()), [7, -3]);
    tf.dispose(Object.values(tensors));
  }
  const none = quantizeWeights(specs, data, 'none');
  assert.deepEqual(none.specs, specs);
  assert.deepEqual(none.data, data);
});

test('re-exporting a quantized model dequantizes first; none writes plain float32', () => {
  const x = Float32Array.of(-0.3, 0, 0.1, 0.7);
  const specs: WeightSpec[] = [{ name: 'w', shape: [4], dtype: 'float32' }];
  const u8 = quantizeWeights(specs, bytesOf(x), 'uint8');
  const back = quantizeWeights(u8.specs, u8.data, 'none');
  assert.equal(back.specs[0].quantization, undefined);
  assert.deepEqual(
    Array.from(new Float32Array(back.data.slice().buffer)),
    Array.from(stockDecode(u8.specs, u8.data)[0]),
  );
});

test('non-finite weights: uint8 refuses with a one-line model error, float16 keeps them', () => {
  const x = Float32Array.of(1, NaN, -Infinity);
  const specs: WeightSpec[] = [{ name: 'fc1/kernel', shape: [3], dtype: 'float32' }];
  assert.throws(
    () => quantizeWeights(specs, bytesOf(x), 'uint8'),
    (e: unknown) =>
      e instanceof DistilleryError &&
      e.kind === 'model' &&
      /fc1\/kernel.*NaN.*finite/.test(e.message) &&
      !e.message.includes('\n'),
  );
  const f16 = quantizeWeights(specs, bytesOf(x), 'float16');
  const [back] = stockDecode(f16.specs, f16.data);
  assert.equal(back[0], 1);
  assert.ok(Number.isNaN(back[1]));
  assert.equal(back[2], -Infinity);
});
