// Learning-rate schedules: PyTorch's closed forms (CosineAnnealingLR, MultiStepLR, StepLR,
// LinearLR warm-up), per epoch and per step, and the flag parser's errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { learningRateAt, parseLrSchedule, type LrSchedule } from './lr-schedule.ts';

const at = (s: LrSchedule | undefined, epoch: number, batch = 0, epochs = 10, batches = 4) =>
  learningRateAt(0.1, s, { epoch, epochs, batch, batches });
const close = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-12, `${a} ≠ ${b}`);

test('no schedule and constant keep the base rate', () => {
  assert.equal(at(undefined, 7, 3), 0.1);
  assert.equal(at({ shape: 'constant' }, 7, 3), 0.1);
});

test('cosine per epoch equals CosineAnnealingLR(T_max = epochs) at 0-based epoch e', () => {
  for (let e = 0; e < 10; e++) {
    close(at({ shape: 'cosine' }, e + 1, 2), (0.1 * (1 + Math.cos((Math.PI * e) / 10))) / 2);
  }
  // The floor: eta_min = minFactor · base.
  close(
    at({ shape: 'cosine', minFactor: 0.1 }, 6),
    0.01 + (0.09 * (1 + Math.cos(Math.PI / 2))) / 2,
  );
});

test('per step moves within an epoch; per epoch does not', () => {
  const perStep: LrSchedule = { shape: 'cosine', per: 'step' };
  assert.ok(at(perStep, 3, 1) < at(perStep, 3, 0));
  assert.equal(at({ shape: 'cosine' }, 3, 1), at({ shape: 'cosine' }, 3, 0));
  close(at(perStep, 3, 2), (0.1 * (1 + Math.cos((Math.PI * 2.5) / 10))) / 2);
});

test('step: MultiStepLR milestones and StepLR step size', () => {
  const multi: LrSchedule = { shape: 'step', milestones: [3, 6], gamma: 0.5 };
  assert.deepEqual(
    [1, 3, 4, 6, 7, 10].map((e) => at(multi, e)),
    [0.1, 0.1, 0.05, 0.05, 0.025, 0.025],
  );
  const every: LrSchedule = { shape: 'step', stepSize: 4 };
  close(at(every, 4), 0.1);
  close(at(every, 5), 0.01);
  close(at(every, 9), 0.001);
});

test('linear warm-up from warmupStartFactor, then the shape over the remaining epochs', () => {
  const s: LrSchedule = { shape: 'cosine', per: 'step', warmupEpochs: 2, warmupStartFactor: 0 };
  close(at(s, 1, 0), 0);
  close(at(s, 1, 2), 0.1 * (0.5 / 2)); // half an epoch of two
  close(at(s, 2, 2), 0.1 * (1.5 / 2));
  close(at(s, 3, 0), 0.1); // decay starts at the base rate
  close(at(s, 7, 0), 0.05); // half-way through the 8 decay epochs
  const linear: LrSchedule = { shape: 'linear', warmupEpochs: 1, minFactor: 0.2 };
  close(at(linear, 1), 0.01); // default start factor 0.1
  close(at(linear, 2), 0.1);
  close(at(linear, 10), 0.1 * (1 - 0.8 * (8 / 9)));
});

test('a pure function of the position: the same inputs give the same rate', () => {
  const s = parseLrSchedule('cosine,warmup=1,per=step');
  assert.equal(at(s, 5, 3), at(s, 5, 3));
});

test('parse: shape and settings; unknown settings and shapes name the problem', () => {
  assert.deepEqual(parseLrSchedule('step,milestones=10+20,gamma=0.2'), {
    shape: 'step',
    milestones: [10, 20],
    gamma: 0.2,
  });
  assert.deepEqual(parseLrSchedule('cosine,warmup=1.5,per=step,min=0.01'), {
    shape: 'cosine',
    warmupEpochs: 1.5,
    per: 'step',
    minFactor: 0.01,
  });
  assert.throws(() => parseLrSchedule('cosine,warm=1'), /unknown setting 'warm=1'/);
  assert.throws(() => parseLrSchedule('cosine,constructor=1'), /unknown setting 'constructor=1'/);
  assert.throws(() => parseLrSchedule('exp'), /--lr-schedule exp: shape/);
  assert.throws(() => parseLrSchedule('cosine,per=batch'), /per/);
});
