// Test helpers for the native backend: a seeded generator, inputs sprinkled with special values,
// and `parity`, which runs one function on `cpu` (the reference) and on `native` and compares.
// Used only by the *.test.ts files beside it.
import assert from 'node:assert/strict';
import type { Tensor } from '@tensorflow/tfjs';
import { tf } from '../../tf.ts';
import { createRng } from '../../random.ts';
import { addonFound, loadAddon, type NativeAddon } from './binding.ts';
import { nativeLoadError, registerNativeBackend } from './index.ts';

/**
 * The reason to skip native tests when the addon is not built, else false. A build that exists but
 * fails to load does not skip: the tests then fail, as they must.
 */
export const skipNative: string | false =
  registerNativeBackend() || addonFound() ? false : `${nativeLoadError()}`;

/** Seeded test inputs: the project's mulberry32 generator. */
export const createRandom = createRng;

export interface InputSpec {
  shape: number[];
  /** Replace a few entries with NaN, ±Infinity, 0 and -0. */
  specials?: boolean;
  /** Value range, default [-3, 3). */
  low?: number;
  high?: number;
}

const specialValues = [NaN, Infinity, -Infinity, 0, -0];

export function randomValues(spec: InputSpec, random: () => number): Float32Array {
  const size = spec.shape.reduce((a, b) => a * b, 1);
  const low = spec.low ?? -3;
  const high = spec.high ?? 3;
  const values = new Float32Array(size);
  for (let i = 0; i < size; i++) values[i] = low + (high - low) * random();
  if (spec.specials && size > 0) {
    for (const special of specialValues) values[Math.floor(random() * size)] = special;
  }
  return values;
}

export interface Tolerance {
  rtol?: number;
  atol?: number;
}

/** |a - e| <= atol + rtol·|e| elementwise; NaN must meet NaN and ±Infinity the same infinity. */
export function assertClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  { rtol = 0, atol = 0 }: Tolerance = {},
  label = '',
): void {
  assert.equal(actual.length, expected.length, `${label}: length`);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i];
    const e = expected[i];
    if (Number.isNaN(e) || !Number.isFinite(e)) {
      assert.ok(
        Object.is(a, e) || (Number.isNaN(a) && Number.isNaN(e)),
        `${label}[${i}]: ${a} vs ${e}`,
      );
      continue;
    }
    assert.ok(
      Math.abs(a - e) <= atol + rtol * Math.abs(e),
      `${label}[${i}]: native ${a} vs cpu ${e} (rtol ${rtol}, atol ${atol})`,
    );
  }
}

type Outputs = Tensor | Tensor[];

async function runOn(
  backend: string,
  inputs: { shape: number[]; values: Float32Array }[],
  fn: (...xs: Tensor[]) => Outputs,
): Promise<{ shape: number[]; values: Float32Array | Int32Array | Uint8Array }[]> {
  await tf.setBackend(backend);
  return tf.tidy(() => {
    const xs = inputs.map((x) => tf.tensor(x.values, x.shape, 'float32'));
    const out = fn(...xs);
    return (Array.isArray(out) ? out : [out]).map((t) => ({
      shape: t.shape.slice(),
      values: t.dataSync() as Float32Array,
    }));
  });
}

/**
 * Runs fn on cpu and on native with the same random inputs; asserts equal shapes and values within
 * the tolerance. Leaves the native backend active.
 */
export async function parity(
  label: string,
  specs: InputSpec[],
  fn: (...xs: Tensor[]) => Outputs,
  tolerance: Tolerance = {},
  seed = 1,
): Promise<void> {
  const random = createRandom(seed);
  const inputs = specs.map((s) => ({ shape: s.shape, values: randomValues(s, random) }));
  const expected = await runOn('cpu', inputs, fn);
  const actual = await runOn('native', inputs, fn);
  assert.equal(actual.length, expected.length, `${label}: number of outputs`);
  for (let i = 0; i < expected.length; i++) {
    assert.deepEqual(actual[i].shape, expected[i].shape, `${label}: output ${i} shape`);
    assertClose(actual[i].values, expected[i].values, tolerance, `${label} output ${i}`);
  }
}

/** Runs `fn` and asserts it created no tensor that outlived it. */
export function assertNoLeak(label: string, fn: () => void): void {
  const before = tf.memory().numTensors;
  fn();
  assert.equal(tf.memory().numTensors, before, `${label}: tensors leaked`);
}

/** How many times `body` calls the addon function `name` (proves the native path ran). */
export function countAddonCalls(name: keyof NativeAddon, body: () => void): number {
  const addon = loadAddon() as NativeAddon & Record<string, unknown>;
  const original = addon[name] as (...args: unknown[]) => unknown;
  let calls = 0;
  addon[name] = ((...args: unknown[]) => {
    calls++;
    return original(...args);
  }) as never;
  try {
    body();
  } finally {
    addon[name] = original as never;
  }
  return calls;
}
