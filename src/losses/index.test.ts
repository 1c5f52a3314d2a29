// Tests for the pure loss functions: golden values from PyTorch (scripts/golden/losses.py, float64)
// and invariants checked against a plain float64 reference written here (softmax, entropy, grads).
// tfjs computes in float32, hence the stated tolerances.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { tf, type Scalar, type Tensor } from '../tf.ts';
import { createRng, type Rng } from '../random.ts';
import {
  argmaxClasses,
  crossEntropy,
  klDiv,
  logSoftTargets,
  reductions,
  softCrossEntropy,
  softTargets,
  type Reduction,
} from './index.ts';

await tf.setBackend('cpu');

type Matrix = number[][];
type ByReduction = Record<Reduction, number>;

interface GoldenAtTemperature {
  temperature: number;
  softTargets: Matrix;
  logSoftTargets: Matrix;
  klDiv: ByReduction;
  softCrossEntropy: ByReduction;
  klDivGradStudent: Matrix; // d klDiv(batchmean) / d studentLogits
}

interface GoldenCase {
  name: string;
  teacherLogits: Matrix;
  studentLogits: Matrix;
  labels: number[];
  crossEntropy: number;
  crossEntropyGradStudent: Matrix;
  results: GoldenAtTemperature[];
}

const golden = JSON.parse(
  readFileSync(new URL('../../test/fixtures/losses-golden.json', import.meta.url), 'utf8'),
) as { torch: string; cases: GoldenCase[] };

const LARGE = 'large logits (1e3 scale)';
const IDENTICAL = 'identical teacher and student';

// float32 against float64: |actual − expected| ≤ ATOL + RTOL·|expected|.
const RTOL = 1e-5;
const ATOL = 1e-6;
// Gradients are (q − p)/divisor with divisor = T·batch (batchmean): an absolute 1e-6 would hide
// real errors, so their floor is one float32 ulp of a probability near 1 (2^-23 ≈ 1.2e-7, what
// q − p or softmax − onehot can lose) over the divisor.
const gradAtol = (divisor: number) => 2 ** -23 / divisor;

function assertClose(
  actual: number,
  expected: number,
  what: string,
  rtol = RTOL,
  atol = ATOL,
): void {
  assert.ok(Number.isFinite(actual), `${what}: got ${actual}, want finite ${expected}`);
  const error = Math.abs(actual - expected);
  const allowed = atol + rtol * Math.abs(expected);
  assert.ok(
    error <= allowed,
    `${what}: got ${actual}, want ${expected} (|err| ${error} > ${allowed})`,
  );
}

function assertAllClose(
  actual: Matrix,
  expected: Matrix,
  what: string,
  rtol = RTOL,
  atol = ATOL,
): void {
  assert.equal(actual.length, expected.length, `${what}: rows`);
  expected.forEach((row, i) => {
    assert.equal(actual[i].length, row.length, `${what}: row ${i} length`);
    row.forEach((e, j) => assertClose(actual[i][j], e, `${what}[${i}][${j}]`, rtol, atol));
  });
}

/** Reads a scalar and disposes it. */
function value(scalar: Scalar): number {
  const v = scalar.dataSync()[0];
  scalar.dispose();
  return v;
}

/** Reads a matrix and disposes it. */
function matrix(t: Tensor): Matrix {
  const m = t.arraySync() as Matrix;
  t.dispose();
  return m;
}

// --- float64 reference -------------------------------------------------------------------

function softmaxRows(logits: Matrix, temperature: number): Matrix {
  return logits.map((row) => {
    const scaled = row.map((x) => x / temperature);
    const max = Math.max(...scaled);
    const exps = scaled.map((x) => Math.exp(x - max));
    const total = exps.reduce((a, b) => a + b, 0);
    return exps.map((e) => e / total);
  });
}

/** Teacher entropy −Σ p log p, reduced like the losses. */
function entropy(p: Matrix, reduction: Reduction): number {
  const total = p.flat().reduce((acc, x) => (x > 0 ? acc - x * Math.log(x) : acc), 0);
  const [batch, classes] = [p.length, p[0].length];
  return { batchmean: total / batch, mean: total / (batch * classes), sum: total }[reduction];
}

/** Normal samples rounded to float32, so the float64 reference sees exactly what tfjs sees. */
function randomNormal(rng: Rng, rows: number, cols: number, scale: number): Matrix {
  // Box–Muller; 1 − u keeps the log argument in (0, 1].
  const normal = () => Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
  return Array.from({ length: rows }, () =>
    Array.from({ length: cols }, () => Math.fround(scale * normal())),
  );
}

/** Random teacher/student pairs over a spread of shapes, scales and temperatures. */
function* randomPairs(seed: number, count: number) {
  const rng = createRng(seed);
  for (let k = 0; k < count; k++) {
    const batch = 1 + Math.floor(rng() * 8);
    const classes = 2 + Math.floor(rng() * 30);
    const scale = [0.1, 1, 5, 30][k % 4];
    const temperature = [1, 2, 4, 8, 20][k % 5];
    yield {
      teacher: randomNormal(rng, batch, classes, scale),
      student: randomNormal(rng, batch, classes, scale),
      temperature,
    };
  }
}

// --- golden values -----------------------------------------------------------------------

function checkGoldenCase(c: GoldenCase): void {
  const teacher = tf.tensor2d(c.teacherLogits);
  const student = tf.tensor2d(c.studentLogits);
  const labels = tf.tensor1d(c.labels, 'int32');
  try {
    assertClose(value(crossEntropy(labels, student)), c.crossEntropy, `${c.name}: crossEntropy`);
    const ceGrad = tf.grad((s: Tensor) => crossEntropy(labels, s))(student);
    assertAllClose(
      matrix(ceGrad),
      c.crossEntropyGradStudent,
      `${c.name}: d crossEntropy / d student`,
      RTOL,
      gradAtol(c.labels.length),
    );
    for (const g of c.results) {
      const { temperature } = g;
      const at = `${c.name}, T=${temperature}`;
      assertAllClose(
        matrix(softTargets(teacher, temperature)),
        g.softTargets,
        `${at}: softTargets`,
      );
      assertAllClose(
        matrix(logSoftTargets(teacher, temperature)),
        g.logSoftTargets,
        `${at}: logSoftTargets`,
      );
      for (const reduction of reductions) {
        const options = { temperature, reduction };
        assertClose(
          value(klDiv(teacher, student, options)),
          g.klDiv[reduction],
          `${at}: klDiv ${reduction}`,
        );
        assertClose(
          value(softCrossEntropy(teacher, student, options)),
          g.softCrossEntropy[reduction],
          `${at}: softCrossEntropy ${reduction}`,
        );
      }
      const klGrad = tf.grad((s: Tensor) => klDiv(teacher, s, { temperature }))(student);
      assertAllClose(
        matrix(klGrad),
        g.klDivGradStudent,
        `${at}: d klDiv / d student`,
        RTOL,
        gradAtol(temperature * c.labels.length),
      );
    }
  } finally {
    tf.dispose([teacher, student, labels]);
  }
}

test('matches the PyTorch golden values (float32 vs float64: 1e-5 relative + 1e-6 absolute)', () => {
  assert.ok(golden.cases.length >= 5, 'fixture has its cases');
  for (const c of golden.cases) checkGoldenCase(c);
});

test('stable for large logits (±1e3): every value finite and matching the golden values', () => {
  const c = golden.cases.find((k) => k.name === LARGE);
  assert.ok(c, `fixture has the "${LARGE}" case`);
  assert.ok(Math.max(...c.teacherLogits.flat().map(Math.abs)) > 1000, 'logits really are large');
  const teacher = tf.tensor2d(c.teacherLogits);
  const student = tf.tensor2d(c.studentLogits);
  const labels = tf.tensor1d(c.labels, 'int32');
  try {
    for (const temperature of [1, 20]) {
      const outputs: Tensor[] = [
        softTargets(teacher, temperature),
        logSoftTargets(teacher, temperature),
        crossEntropy(labels, student),
        ...reductions.flatMap((reduction) => [
          klDiv(teacher, student, { temperature, reduction }),
          softCrossEntropy(teacher, student, { temperature, reduction }),
        ]),
        tf.grad((s: Tensor) => klDiv(teacher, s, { temperature }))(student),
        tf.grad((s: Tensor) => crossEntropy(labels, s))(student),
      ];
      for (const out of outputs) {
        const data = out.dataSync();
        assert.ok(data.every(Number.isFinite), `T=${temperature}: non-finite value in ${data}`);
      }
      tf.dispose(outputs);
    }
  } finally {
    tf.dispose([teacher, student, labels]);
  }
  checkGoldenCase(c);
});

// --- invariants --------------------------------------------------------------------------

test('KL is zero (≤ 1e-6) when student = teacher, for every temperature and reduction', () => {
  const c = golden.cases.find((k) => k.name === IDENTICAL);
  assert.ok(c, `fixture has the "${IDENTICAL}" case`);
  const inputs = [c.teacherLogits, ...[...randomPairs(7, 12)].map((pair) => pair.teacher)];
  for (const logits of inputs) {
    const teacher = tf.tensor2d(logits);
    const student = tf.tensor2d(logits); // a separate tensor with the same values
    for (const temperature of [1, 2, 4, 8, 20]) {
      for (const reduction of reductions) {
        const kl = value(klDiv(teacher, student, { temperature, reduction }));
        assert.ok(Math.abs(kl) <= 1e-6, `T=${temperature} ${reduction}: KL ${kl}`);
      }
    }
    tf.dispose([teacher, student]);
  }
});

test('KL is non-negative on random inputs (float32 rounding allowed: ≥ −1e-6)', () => {
  for (const { teacher, student, temperature } of randomPairs(42, 60)) {
    const t = tf.tensor2d(teacher);
    const s = tf.tensor2d(student);
    for (const reduction of reductions) {
      const kl = value(klDiv(t, s, { temperature, reduction }));
      assert.ok(kl >= -1e-6, `T=${temperature} ${reduction}: KL ${kl} < 0`);
    }
    tf.dispose([t, s]);
  }
});

test('softCrossEntropy − klDiv = teacher entropy, under every reduction', () => {
  for (const { teacher, student, temperature } of randomPairs(3, 40)) {
    const t = tf.tensor2d(teacher);
    const s = tf.tensor2d(student);
    const p = softmaxRows(teacher, temperature);
    for (const reduction of reductions) {
      const options = { temperature, reduction };
      const softCe = value(softCrossEntropy(t, s, options));
      const kl = value(klDiv(t, s, options));
      // Two float32 sums of size |softCe| are subtracted: the error scales with softCe.
      assertClose(
        softCe - kl,
        entropy(p, reduction),
        `T=${temperature} ${reduction} [${teacher.length}×${teacher[0].length}]`,
        0,
        ATOL + RTOL * Math.abs(softCe),
      );
    }
    tf.dispose([t, s]);
  }
});

test("'mean' = 'batchmean' / classes for klDiv and softCrossEntropy", () => {
  for (const { teacher, student, temperature } of randomPairs(11, 30)) {
    const t = tf.tensor2d(teacher);
    const s = tf.tensor2d(student);
    const classes = teacher[0].length;
    for (const loss of [klDiv, softCrossEntropy]) {
      const batchmean = value(loss(t, s, { temperature, reduction: 'batchmean' }));
      const mean = value(loss(t, s, { temperature, reduction: 'mean' }));
      const sum = value(loss(t, s, { temperature, reduction: 'sum' }));
      const what = `${loss.name} T=${temperature} [${teacher.length}×${classes}]`;
      assertClose(mean, batchmean / classes, `${what}: mean vs batchmean / classes`);
      assertClose(batchmean, sum / teacher.length, `${what}: batchmean vs sum / batch`);
    }
    tf.dispose([t, s]);
  }
});

test('klDiv is batchmean by default', () => {
  const [{ teacher, student, temperature }] = randomPairs(5, 1);
  const t = tf.tensor2d(teacher);
  const s = tf.tensor2d(student);
  for (const loss of [klDiv, softCrossEntropy]) {
    assert.equal(
      value(loss(t, s, { temperature })),
      value(loss(t, s, { temperature, reduction: 'batchmean' })),
      loss.name,
    );
  }
  tf.dispose([t, s]);
});

test('gradient of klDiv w.r.t. student logits is (q − p) / (T · batch) under batchmean', () => {
  for (const { teacher, student, temperature } of randomPairs(17, 40)) {
    const t = tf.tensor2d(teacher);
    const s = tf.tensor2d(student);
    const p = softmaxRows(teacher, temperature);
    const q = softmaxRows(student, temperature);
    const [batch, classes] = [teacher.length, teacher[0].length];
    const per: Record<Reduction, number> = {
      batchmean: temperature * batch,
      mean: temperature * batch * classes,
      sum: temperature,
    };
    for (const reduction of reductions) {
      const grad = matrix(tf.grad((x: Tensor) => klDiv(t, x, { temperature, reduction }))(s));
      const expected = q.map((row, i) => row.map((qij, j) => (qij - p[i][j]) / per[reduction]));
      assertAllClose(
        grad,
        expected,
        `T=${temperature} ${reduction} [${batch}×${classes}]`,
        RTOL,
        gradAtol(per[reduction]),
      );
    }
    tf.dispose([t, s]);
  }
});

test('softCrossEntropy has the same student gradient as klDiv (they differ by a constant)', () => {
  for (const { teacher, student, temperature } of randomPairs(23, 20)) {
    const t = tf.tensor2d(teacher);
    const s = tf.tensor2d(student);
    const klGrad = matrix(tf.grad((x: Tensor) => klDiv(t, x, { temperature }))(s));
    const ceGrad = matrix(tf.grad((x: Tensor) => softCrossEntropy(t, x, { temperature }))(s));
    assertAllClose(
      ceGrad,
      klGrad,
      `T=${temperature}`,
      RTOL,
      gradAtol(temperature * teacher.length),
    );
    tf.dispose([t, s]);
  }
});

test('gradient of crossEntropy w.r.t. logits is (softmax(s) − onehot(y)) / batch', () => {
  const rng = createRng(99);
  for (const { student } of randomPairs(29, 30)) {
    const [batch, classes] = [student.length, student[0].length];
    const labels = Array.from({ length: batch }, () => Math.floor(rng() * classes));
    const s = tf.tensor2d(student);
    const y = tf.tensor1d(labels, 'int32');
    const grad = matrix(tf.grad((x: Tensor) => crossEntropy(y, x))(s));
    const expected = softmaxRows(student, 1).map((row, i) =>
      row.map((qij, j) => (qij - (j === labels[i] ? 1 : 0)) / batch),
    );
    assertAllClose(grad, expected, `[${batch}×${classes}]`, RTOL, gradAtol(batch));
    tf.dispose([s, y]);
  }
});

test('softTargets rows sum to 1 and equal exp(logSoftTargets)', () => {
  for (const { teacher, temperature } of randomPairs(31, 20)) {
    const t = tf.tensor2d(teacher);
    const p = matrix(softTargets(t, temperature));
    const logP = matrix(logSoftTargets(t, temperature));
    p.forEach((row, i) => {
      assertClose(
        row.reduce((a, b) => a + b, 0),
        1,
        `T=${temperature} row ${i} sum`,
      );
      row.forEach((pij, j) =>
        assertClose(pij, Math.exp(logP[i][j]), `T=${temperature} [${i}][${j}]`),
      );
    });
    assertAllClose(p, softmaxRows(teacher, temperature), `T=${temperature} vs float64 softmax`);
    t.dispose();
  }
});

test('no tensor leak: every function, inside and outside tf.tidy, with results disposed', () => {
  const c = golden.cases[0];
  const teacher = tf.tensor2d(c.teacherLogits);
  const student = tf.tensor2d(c.studentLogits);
  const labels = tf.tensor1d(c.labels, 'int32');
  const options = { temperature: 4 };
  const callEach = (): Tensor[] => [
    softTargets(teacher, 4),
    logSoftTargets(teacher, 4),
    crossEntropy(labels, student),
    argmaxClasses(student),
    ...reductions.flatMap((reduction) => [
      klDiv(teacher, student, { ...options, reduction }),
      softCrossEntropy(teacher, student, { ...options, reduction }),
    ]),
    tf.grad((s: Tensor) => klDiv(teacher, s, options))(student),
    tf.grad((s: Tensor) => softCrossEntropy(teacher, s, options))(student),
    tf.grad((s: Tensor) => crossEntropy(labels, s))(student),
  ];

  const before = tf.memory().numTensors;
  const outside = callEach();
  assert.equal(tf.memory().numTensors, before + outside.length, 'only the results remain');
  tf.dispose(outside);
  assert.equal(tf.memory().numTensors, before, 'outside tf.tidy');

  const kept = tf.tidy(() => {
    const results = callEach();
    return results[0];
  });
  assert.equal(tf.memory().numTensors, before + 1, 'tf.tidy keeps only what it returns');
  kept.dispose();
  tf.tidy(() => {
    callEach();
  });
  assert.equal(tf.memory().numTensors, before, 'inside tf.tidy');

  tf.dispose([teacher, student, labels]);
});

test('crossEntropy with label smoothing ε equals PyTorch CrossEntropyLoss(label_smoothing=ε)', () => {
  // PyTorch: (1 − ε)·CE(y) + ε·mean over classes of −log softmax (float64 here).
  const logits = [
    [2, -1, 0.5],
    [0, 3, -2],
  ];
  const labels = [0, 2];
  const eps = 0.1;
  let expected = 0;
  logits.forEach((row, n) => {
    const max = Math.max(...row);
    const lse = max + Math.log(row.reduce((a, v) => a + Math.exp(v - max), 0));
    const logp = row.map((v) => v - lse);
    expected +=
      (1 - eps) * -logp[labels[n]] + (eps * -logp.reduce((a, v) => a + v, 0)) / row.length;
  });
  expected /= logits.length;
  const value = tf.tidy(
    () => crossEntropy(tf.tensor1d(labels, 'int32'), tf.tensor2d(logits), eps).dataSync()[0],
  );
  assert.ok(Math.abs(value - expected) < 1e-6, `${value} vs ${expected}`);
  const plain = tf.tidy(
    () => crossEntropy(tf.tensor1d(labels, 'int32'), tf.tensor2d(logits), 0).dataSync()[0],
  );
  assert.ok(value !== plain, 'smoothing changes the loss');
});
