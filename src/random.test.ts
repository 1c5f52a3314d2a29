// Tests for seeded randomness: mulberry32 determinism and range, seed derivation, Fisher–Yates
// permutations, and the Math.random scope that makes tfjs' unseeded random ops repeatable.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { createRng, deriveSeed, permutation, withRandom } from './random.ts';
import { tf } from './tf.ts';

const draw = (seed: number, n: number) => {
  const rng = createRng(seed);
  return Array.from({ length: n }, () => rng());
};

describe('createRng', () => {
  test('same seed gives the same sequence', () => {
    assert.deepEqual(draw(42, 1000), draw(42, 1000));
  });

  test('different seeds give different sequences', () => {
    assert.notDeepEqual(draw(1, 20), draw(2, 20));
    assert.notDeepEqual(draw(0, 20), draw(1, 20));
  });

  test('values lie in [0, 1) and look uniform', () => {
    const values = draw(7, 100_000);
    for (const v of values) assert.ok(v >= 0 && v < 1, `out of range: ${v}`);
    // Mean of U[0,1) is 0.5 with sd 1/sqrt(12 n) ≈ 0.0009; tolerance 0.01 (> 10 sd).
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    assert.ok(Math.abs(mean - 0.5) < 0.01, `mean ${mean}`);
    // Each tenth of [0, 1) gets about 10%; tolerance ±1 percentage point.
    const bins = new Array(10).fill(0);
    for (const v of values) bins[Math.floor(v * 10)]++;
    for (const b of bins) assert.ok(Math.abs(b / values.length - 0.1) < 0.01, `bins ${bins}`);
  });

  test('seed 0 and seeds beyond 32 bits still work (seed is taken mod 2^32)', () => {
    const zero = draw(0, 10);
    assert.equal(new Set(zero).size, 10);
    assert.deepEqual(draw(2 ** 32 + 5, 10), draw(5, 10));
  });

  test('two generators with the same seed are independent objects', () => {
    const a = createRng(3);
    const b = createRng(3);
    const first = a();
    a();
    a();
    assert.equal(b(), first);
  });
});

describe('deriveSeed', () => {
  test('is deterministic and a uint32', () => {
    const s = deriveSeed(42, 'epoch', 3, 'shuffle');
    assert.equal(s, deriveSeed(42, 'epoch', 3, 'shuffle'));
    assert.ok(Number.isInteger(s) && s >= 0 && s < 2 ** 32, `${s}`);
  });

  test('differs across parts', () => {
    const seeds = [
      deriveSeed(42, 'fc', 0),
      deriveSeed(42, 'fc', 1),
      deriveSeed(42, 'fc', 2),
      deriveSeed(42, 'conv', 0),
      deriveSeed(42, 'conv', 1),
      deriveSeed(42, 'logits'),
      deriveSeed(42, 'epoch', 1, 'shuffle'),
      deriveSeed(42, 'epoch', 1, 'augment'),
      deriveSeed(42),
    ];
    assert.equal(new Set(seeds).size, seeds.length, `collision in ${seeds}`);
  });

  test('differs across base seeds for the same parts', () => {
    const seeds = Array.from({ length: 100 }, (_, s) => deriveSeed(s, 'fc', 0));
    assert.equal(new Set(seeds).size, seeds.length);
  });

  test('epochs 0..999 get distinct shuffle seeds', () => {
    const seeds = Array.from({ length: 1000 }, (_, e) => deriveSeed(1, 'epoch', e, 'shuffle'));
    assert.equal(new Set(seeds).size, seeds.length);
  });
});

describe('permutation', () => {
  const isPermutation = (p: Int32Array, n: number) =>
    p.length === n &&
    Array.from(p)
      .sort((a, b) => a - b)
      .every((v, i) => v === i);

  test('is a permutation of 0..n-1', () => {
    for (const n of [0, 1, 2, 3, 10, 1000]) {
      const p = permutation(n, createRng(n + 11));
      assert.ok(p instanceof Int32Array);
      assert.ok(isPermutation(p, n), `n=${n}: ${Array.from(p).slice(0, 20)}`);
    }
  });

  test('same seed gives the same permutation, different seeds differ', () => {
    assert.deepEqual(permutation(100, createRng(5)), permutation(100, createRng(5)));
    assert.notDeepEqual(permutation(100, createRng(5)), permutation(100, createRng(6)));
  });

  test('actually shuffles (not the identity for n = 100)', () => {
    const p = permutation(100, createRng(9));
    const fixed = Array.from(p).filter((v, i) => v === i).length;
    // A random permutation has on average 1 fixed point; 10 would be very unlikely.
    assert.ok(fixed < 10, `${fixed} fixed points`);
  });

  test('every position is reachable: first element is roughly uniform over 5 items', () => {
    const counts = new Array(5).fill(0);
    const rng = createRng(123);
    const trials = 20_000;
    for (let t = 0; t < trials; t++) counts[permutation(5, rng)[0]]++;
    // Expected 0.2 each; sd ≈ 0.003, tolerance 0.02.
    for (const c of counts) assert.ok(Math.abs(c / trials - 0.2) < 0.02, `counts ${counts}`);
  });
});

describe('withRandom', () => {
  test('replaces Math.random inside and restores it afterwards', () => {
    const original = Math.random;
    const rng = createRng(1);
    const inside = withRandom(rng, () => {
      assert.equal(Math.random, rng);
      return [Math.random(), Math.random()];
    });
    assert.equal(Math.random, original);
    assert.deepEqual(inside, draw(1, 2));
  });

  test('restores Math.random even when fn throws', () => {
    const original = Math.random;
    assert.throws(
      () =>
        withRandom(createRng(1), () => {
          throw new Error('boom');
        }),
      /boom/,
    );
    assert.equal(Math.random, original);
  });

  test('nested scopes restore the outer rng, then the original', () => {
    const original = Math.random;
    const outer = createRng(1);
    const inner = createRng(2);
    withRandom(outer, () => {
      withRandom(inner, () => assert.equal(Math.random, inner));
      assert.equal(Math.random, outer);
    });
    assert.equal(Math.random, original);
  });

  test('makes unseeded tfjs random ops repeatable', () => {
    const sample = (seed: number) =>
      withRandom(createRng(seed), () =>
        tf.tidy(() => Array.from(tf.randomUniform([16]).dataSync())),
      );
    assert.deepEqual(sample(7), sample(7));
    assert.notDeepEqual(sample(7), sample(8));
  });
});
