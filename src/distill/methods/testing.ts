// Test support shared by the method tests (not a method; not in the registry): the PyTorch golden
// fixture (scripts/golden/methods.py, float64), the checks every method gets (golden terms and
// gradients, presets, gradient reaches the student, no tensor leak) and small float64 helpers.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { tf, type Scalar, type Tensor } from '../../tf.ts';
import { createRng } from '../../random.ts';
import type { MethodFactory, StepTensors } from '../method.ts';

export type Matrix = number[][];

export interface GoldenCase {
  name: string;
  teacherLogits: Matrix;
  studentLogits: Matrix;
  labels: number[];
}

export interface GoldenEntry {
  case: string;
  label: string;
  /** Set when `params` are what the method's preset of that name resolves to. */
  preset?: string;
  params: Record<string, unknown>;
  terms: Record<string, number>;
  /** d(sum of the terms) / d(student logits). */
  gradStudent: Matrix;
}

export const golden = JSON.parse(
  readFileSync(new URL('../../../test/fixtures/methods-golden.json', import.meta.url), 'utf8'),
) as { torch: string; cases: GoldenCase[]; methods: Record<string, GoldenEntry[]> };

// Tolerances, float32 (tfjs) against float64 (PyTorch) on the same float32 inputs:
// - terms: |err| ≤ 1e-5 + 2e-5·|expected|. A KL or correlation is a small difference of larger
//   float32 quantities (log-probabilities up to ~10³ in the 'large logits' case), then scaled by
//   T²·weight (up to 128 here): the worst case seen is 0.5 of 1e-6 + 1e-5·|expected|.
// - gradients: |err| ≤ 1e-6 + 1e-4·max|expected| over the case: at |logits/T| ≈ 250, float32
//   spacing (≈ 1.5e-5 relative) already moves softmax outputs by that much; worst seen 1.2e-5.
export const TERM_RTOL = 2e-5;
export const TERM_ATOL = 1e-5;
export const GRAD_RTOL_OF_MAX = 1e-4;
export const GRAD_ATOL = 1e-6;

export function assertClose(
  actual: number,
  expected: number,
  what: string,
  rtol = TERM_RTOL,
  atol = TERM_ATOL,
): void {
  assert.ok(Number.isFinite(actual), `${what}: got ${actual}, want finite ${expected}`);
  const error = Math.abs(actual - expected);
  const allowed = atol + rtol * Math.abs(expected);
  assert.ok(
    error <= allowed,
    `${what}: got ${actual}, want ${expected} (|err| ${error} > ${allowed})`,
  );
}

/** The step tensors of a named golden case (caller disposes). */
export function caseTensors(name: string): StepTensors & { dispose(): void } {
  const c = golden.cases.find((k) => k.name === name);
  assert.ok(c, `fixture has the case "${name}"`);
  return stepTensors(c.teacherLogits, c.studentLogits, c.labels);
}

/** The non-logit parts of StepTensors for a logit-only method at the first step. */
export const NO_FEATURES = {
  studentFeatures: [],
  teacherFeatures: [],
  variables: {},
  context: { epoch: 1, epochs: 1, batch: 0, batches: 1, progress: 0 },
};

export function stepTensors(teacher: Matrix, student: Matrix, labels: number[]) {
  const t = {
    teacherLogits: tf.tensor2d(teacher),
    studentLogits: tf.tensor2d(student),
    labels: tf.tensor1d(labels, 'int32'),
    ...NO_FEATURES,
  };
  return { ...t, dispose: () => tf.dispose([t.teacherLogits, t.studentLogits, t.labels]) };
}

/** Reads every term and disposes them. */
export function read(terms: Record<string, Scalar>): Record<string, number> {
  const out = Object.fromEntries(Object.entries(terms).map(([k, v]) => [k, v.dataSync()[0]]));
  tf.dispose(Object.values(terms));
  return out;
}

/** d(sum of the terms) / d(student logits), read and disposed. */
export function gradOfSum<P extends object>(
  factory: MethodFactory<P>,
  params: Partial<P>,
  t: StepTensors,
): Matrix {
  const method = factory(params);
  const grad = tf.grad((s: Tensor) =>
    tf.addN(Object.values(method.losses({ ...t, studentLogits: s }))),
  )(t.studentLogits);
  const m = grad.arraySync() as Matrix;
  grad.dispose();
  return m;
}

/** Every fixture entry of `name`: same term names, values and gradient as PyTorch. */
export function checkGolden<P extends object>(name: string, factory: MethodFactory<P>): void {
  const entries = golden.methods[name];
  assert.ok(entries?.length, `fixture has entries for ${name}`);
  for (const e of entries) {
    const at = `${name} ${e.label}, ${e.case}`;
    const t = caseTensors(e.case);
    try {
      const params = e.params as Partial<P>;
      const terms = read(factory(params).losses(t));
      assert.deepEqual(Object.keys(terms).sort(), Object.keys(e.terms).sort(), `${at}: term names`);
      for (const [k, v] of Object.entries(e.terms)) assertClose(terms[k], v, `${at}: ${k}`);
      const grad = gradOfSum(factory, params, t);
      const max = Math.max(...e.gradStudent.flat().map(Math.abs));
      e.gradStudent.forEach((row, i) =>
        row.forEach((g, j) =>
          assertClose(
            grad[i][j],
            g,
            `${at}: d/ds[${i}][${j}]`,
            0,
            GRAD_ATOL + GRAD_RTOL_OF_MAX * max,
          ),
        ),
      );
    } finally {
      t.dispose();
    }
  }
}

/** The fixture's "defaults" and "<name> preset" entries hold what the method declares. */
export function checkDefaultsAndPresets<P extends object>(
  name: string,
  factory: MethodFactory<P>,
): void {
  const { defaults, presets = {} } = factory.definition;
  const entries = golden.methods[name];
  const defaultsEntry = entries.find((e) => e.label === 'defaults');
  if (defaultsEntry) assert.deepEqual(defaults, defaultsEntry.params, `${name}: defaults`);
  for (const e of entries.filter((k) => k.preset !== undefined)) {
    const preset = presets[e.preset as string];
    assert.ok(preset, `${name} has the preset "${e.preset}"`);
    assert.deepEqual(
      { ...defaults, ...preset },
      e.params,
      `${name}: preset ${e.preset} resolves to`,
    );
  }
}

/** Normal samples rounded to float32, so float64 checks see what tfjs sees. */
export function randomLogits(seed: number, rows: number, cols: number, scale = 2): Matrix {
  const rng = createRng(seed);
  const normal = () => Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
  return Array.from({ length: rows }, () =>
    Array.from({ length: cols }, () => Math.fround(scale * normal())),
  );
}

export function randomLabels(seed: number, rows: number, classes: number): number[] {
  const rng = createRng(seed);
  return Array.from({ length: rows }, () => Math.floor(rng() * classes));
}

/** Random step tensors: batch 2–9, classes 3–20 (caller disposes). */
export function randomStep(seed: number, scale = 2) {
  const rng = createRng(seed);
  const batch = 2 + Math.floor(rng() * 8);
  const classes = 3 + Math.floor(rng() * 18);
  const raw = {
    teacher: randomLogits(seed + 1, batch, classes, scale),
    student: randomLogits(seed + 2, batch, classes, scale),
    labels: randomLabels(seed + 3, batch, classes),
  };
  return { raw, ...stepTensors(raw.teacher, raw.student, raw.labels) };
}

/** Each named term's gradient w.r.t. the student is finite everywhere and not all zero. */
export function checkGradientReachesStudent<P extends object>(
  factory: MethodFactory<P>,
  params: Partial<P>,
  terms: string[],
): void {
  const method = factory(params);
  for (let seed = 1; seed <= 5; seed++) {
    const t = randomStep(seed * 101);
    try {
      for (const term of terms) {
        const grad = tf.grad((s: Tensor) => method.losses({ ...t, studentLogits: s })[term])(
          t.studentLogits,
        );
        const g = grad.dataSync();
        grad.dispose();
        assert.ok(g.every(Number.isFinite), `${term}: non-finite gradient (seed ${seed})`);
        assert.ok(
          g.some((v) => v !== 0),
          `${term}: zero gradient (seed ${seed})`,
        );
      }
    } finally {
      t.dispose();
    }
  }
}

/** Calling losses (and its gradient) leaves no tensor behind, inside or outside tf.tidy. */
export function checkNoLeak<P extends object>(
  factory: MethodFactory<P>,
  params: Partial<P> = {},
): void {
  const method = factory(params);
  const t = caseTensors(golden.cases[0].name);
  const before = tf.memory().numTensors;
  tf.tidy(() => {
    method.losses(t);
  });
  assert.equal(tf.memory().numTensors, before, 'inside tf.tidy');
  const terms = method.losses(t);
  assert.equal(
    tf.memory().numTensors,
    before + Object.keys(terms).length,
    'outside tf.tidy: only the terms remain',
  );
  tf.dispose(Object.values(terms));
  tf.grad((s: Tensor) => tf.addN(Object.values(method.losses({ ...t, studentLogits: s }))))(
    t.studentLogits,
  ).dispose();
  assert.equal(tf.memory().numTensors, before, 'after a gradient');
  t.dispose();
}

/** softmax(row / T) in float64. */
export function softmaxRows(logits: Matrix, temperature: number): Matrix {
  return logits.map((row) => {
    const scaled = row.map((x) => x / temperature);
    const max = Math.max(...scaled);
    const exps = scaled.map((x) => Math.exp(x - max));
    const total = exps.reduce((a, b) => a + b, 0);
    return exps.map((e) => e / total);
  });
}

/** A fixed input of a feature method (scripts/golden/feature-methods.py). */
export interface FeatureCase {
  name: string;
  studentFeatures: unknown[];
  teacherFeatures: unknown[];
  studentLogits: Matrix;
  teacherLogits: Matrix;
  labels: number[];
}

/** PyTorch's terms and student gradients for one case and parameter set. */
export interface FeatureEntry {
  case: string;
  label: string;
  params: Record<string, unknown>;
  terms: Record<string, number>;
  gradStudentFeatures: unknown[];
  gradStudentLogits: Matrix;
}

/** The golden cases and entries of one feature method. */
export function featureGolden(method: string): { cases: FeatureCase[]; entries: FeatureEntry[] } {
  const fixture = new URL('../../../test/fixtures/feature-methods-golden.json', import.meta.url);
  return JSON.parse(readFileSync(fixture, 'utf8')).methods[method];
}

/** The step tensors of a golden feature case (caller disposes). */
export function featureCaseStep(c: FeatureCase): StepTensors & { dispose(): void } {
  const t = {
    ...NO_FEATURES,
    studentFeatures: c.studentFeatures.map((f) => tf.tensor(f as number[])),
    teacherFeatures: c.teacherFeatures.map((f) => tf.tensor(f as number[])),
    studentLogits: tf.tensor2d(c.studentLogits),
    teacherLogits: tf.tensor2d(c.teacherLogits),
    labels: tf.tensor1d(c.labels, 'int32'),
  };
  const all = [
    ...t.studentFeatures,
    ...t.teacherFeatures,
    t.studentLogits,
    t.teacherLogits,
    t.labels,
  ];
  return { ...t, dispose: () => tf.dispose(all) };
}

/** d(sum of the terms) / d(each student feature, then the student logits). */
export function featureGradients(
  method: { losses(t: StepTensors): Record<string, Scalar> },
  t: StepTensors,
): number[][] {
  const n = t.studentFeatures.length;
  const grads = tf.grads((...xs: Tensor[]) =>
    tf.addN(
      Object.values(method.losses({ ...t, studentFeatures: xs.slice(0, n), studentLogits: xs[n] })),
    ),
  )([...t.studentFeatures, t.studentLogits]);
  const out = grads.map((g) => Array.from(g.dataSync()));
  tf.dispose(grads);
  return out;
}

/** Every golden entry of a feature method: terms and gradients within the stated tolerances. */
export function checkFeatureGolden<P extends object>(
  name: string,
  factory: MethodFactory<P>,
  minEntries: number,
): void {
  const golden = featureGolden(name);
  assert.ok(golden.entries.length >= minEntries);
  for (const e of golden.entries) {
    const where = `${name} ${e.label}, ${e.case}`;
    const t = featureCaseStep(golden.cases.find((c) => c.name === e.case)!);
    try {
      const method = factory(e.params as Partial<P>);
      const terms = read(method.losses(t));
      assert.deepEqual(Object.keys(terms).sort(), Object.keys(e.terms).sort(), where);
      for (const [k, v] of Object.entries(e.terms)) assertClose(terms[k], v, `${where}: ${k}`);
      const expected = [...e.gradStudentFeatures, e.gradStudentLogits].map((g) =>
        (g as number[]).flat(Infinity as 1),
      );
      featureGradients(method, t).forEach((got, i) => {
        const max = Math.max(...expected[i].map(Math.abs));
        got.forEach((g, j) =>
          assertClose(
            g,
            expected[i][j],
            `${where}: grad ${i}[${j}]`,
            0,
            GRAD_ATOL + GRAD_RTOL_OF_MAX * max,
          ),
        );
      });
    } finally {
      t.dispose();
    }
  }
}
