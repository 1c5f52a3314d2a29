// Seeded randomness: a small PRNG (mulberry32) for shuffling and augmentation, and a scope that
// makes tfjs' own unseeded randomness (dropout masks) repeatable by seeding Math.random, which
// tfjs uses to seed each random op when no seed is given.

export type Rng = () => number;

/** mulberry32: fast 32-bit PRNG, uniform in [0, 1). */
export function createRng(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Derives an independent seed for a named stream (e.g. `epoch 3 shuffle`) from a base seed. */
export function deriveSeed(seed: number, ...parts: (string | number)[]): number {
  let h = 2166136261 ^ seed;
  for (const ch of parts.join('/')) {
    h = Math.imul(h ^ ch.charCodeAt(0), 16777619);
  }
  return h >>> 0;
}

/** Fisher–Yates permutation of 0..n-1. */
export function permutation(n: number, rng: Rng): Int32Array {
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    const t = out[i];
    out[i] = out[j];
    out[j] = t;
  }
  return out;
}

/** Runs `fn` with Math.random replaced by `rng`, restoring it afterwards (synchronous only). */
export function withRandom<T>(rng: Rng, fn: () => T): T {
  const saved = Math.random;
  Math.random = rng;
  try {
    return fn();
  } finally {
    Math.random = saved;
  }
}
