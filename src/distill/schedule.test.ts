// Schedules: values at the ends and in between, parsing, validation, and a distiller whose
// temperature follows a schedule epoch by epoch.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../tf.ts';
import { loadMnist } from '../data/index.ts';
import { createMlp } from '../models/index.ts';
import { Distiller } from './distiller.ts';
import { kd } from './methods/index.ts';
import { checkSchedules, parseSchedule, scheduleValue } from './schedule.ts';
import { resolveConfig } from '../config.ts';

test('constant, linear and cosine run from `from` at the first epoch to `to` at the last', () => {
  const linear = { shape: 'linear' as const, from: 8, to: 2 };
  const cosine = { shape: 'cosine' as const, from: 8, to: 2 };
  assert.deepEqual(
    [1, 2, 3, 4].map((e) => scheduleValue(linear, e, 4)),
    [8, 6, 4, 2],
  );
  assert.equal(scheduleValue(cosine, 1, 5), 8);
  assert.equal(scheduleValue(cosine, 3, 5), 5);
  assert.ok(Math.abs(scheduleValue(cosine, 5, 5) - 2) < 1e-12);
  assert.ok(scheduleValue(cosine, 2, 5) > scheduleValue(linear, 2, 5), 'cosine stays high longer');
  assert.equal(scheduleValue({ shape: 'constant', from: 3, to: 9 }, 4, 4), 3);
  assert.equal(scheduleValue(linear, 1, 1), 8, 'one epoch: the start value');
});

test('parsing and validation name the problem', () => {
  assert.deepEqual(parseSchedule('temperature=linear:8:2'), [
    'temperature',
    { shape: 'linear', from: 8, to: 2 },
  ]);
  assert.deepEqual(parseSchedule('hard-weight=constant:0.3'), [
    'hardWeight',
    { shape: 'constant', from: 0.3, to: 0.3 },
  ]);
  assert.throws(() => parseSchedule('temperature=step:8:2'), /shape constant\|linear\|cosine/);
  assert.throws(
    () =>
      checkSchedules(
        { softLoss: { shape: 'linear', from: 1, to: 2 } },
        'kd',
        kd.definition.defaults,
      ),
    /no numeric parameter 'softLoss'/,
  );
  assert.throws(
    () => resolveConfig({ schedules: { tempreature: { shape: 'linear', from: 8, to: 2 } } }),
    /no numeric parameter 'tempreature' \(numeric: temperature, hardWeight, softWeight\)/,
  );
});

test('a scheduled temperature changes the soft term epoch by epoch', async () => {
  await tf.setBackend('cpu');
  const data = await loadMnist({ trainLimit: 200, testLimit: 10, validationSize: 100 });
  const shape = [28, 28, 1];
  const teacher = createMlp({ inputShape: shape, hidden: [16], classes: 10, seed: 1 });
  const student = createMlp({ inputShape: shape, hidden: [8], classes: 10, seed: 2 });
  const distiller = new Distiller({
    teacher,
    student,
    method: kd(),
    schedules: { temperature: { shape: 'linear', from: 10, to: 1 } },
  });
  assert.equal((distiller.methodAt(1, 4).params as { temperature: number }).temperature, 10);
  assert.equal((distiller.methodAt(4, 4).params as { temperature: number }).temperature, 1);
  const seen: number[] = [];
  const spy = distiller.methodAt.bind(distiller);
  distiller.methodAt = (epoch, epochs) => {
    const m = spy(epoch, epochs);
    seen.push((m.params as { temperature: number }).temperature);
    return m;
  };
  await distiller.fit(data.train, { epochs: 4, batchSize: 50 });
  assert.deepEqual(seen, [10, 7, 4, 1], 'one re-binding per epoch, with the scheduled value');
});
