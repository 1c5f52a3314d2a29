// Flag parsing: method parameters as --<method>.<param>, --param key=value, flags → config keys.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { flagsToConfig, parseMethodFlags } from './options.ts';
import { resolveConfig } from '../config.ts';

test('--<method>.<param> takes a separate or inline value, kebab-case to camelCase, typed', () => {
  assert.deepEqual(
    parseMethodFlags([
      '--kd.temperature',
      '8',
      '--kd.scale-by-temperature-squared=false',
      '--kd.reduction',
      'mean',
    ]),
    [
      { flag: '--kd.temperature', method: 'kd', key: 'temperature', value: 8 },
      {
        flag: '--kd.scale-by-temperature-squared',
        method: 'kd',
        key: 'scaleByTemperatureSquared',
        value: false,
      },
      { flag: '--kd.reduction', method: 'kd', key: 'reduction', value: 'mean' },
    ],
  );
});

test('anything else left over is an unknown option or argument', () => {
  assert.throws(() => parseMethodFlags(['--tempreature', '3']), /unknown option '--tempreature'/);
  assert.throws(() => parseMethodFlags(['stray']), /unexpected argument 'stray'/);
  assert.throws(() => parseMethodFlags(['--kd.temperature']), /needs a value/);
});

test('flags map onto config keys and --param onto method parameters', () => {
  const config = resolveConfig(
    flagsToConfig({
      teacherEpochs: 2,
      studentArch: 'mlp:32',
      temperature: 6,
      param: ['reduction=sum', 'softLoss=cross-entropy'],
      teacherCache: 'off',
      studentShiftPixels: 1,
    }),
  );
  assert.equal(config.teacher.epochs, 2);
  assert.equal(config.student.arch, 'mlp:32');
  assert.equal(config.student.shiftPixels, 1);
  assert.equal(config.teacherCache, 'off');
  assert.equal(config.method.temperature, 6);
  assert.equal(config.method.reduction, 'sum');
  assert.equal(config.method.softLoss, 'cross-entropy');
});

test('--json-tensors reaches the server teacher settings as binaryTensors: false; absent, unset', () => {
  const config = resolveConfig(
    flagsToConfig({ teacher: ['http://127.0.0.1:1/v2/models/m'], jsonTensors: true }),
  );
  assert.equal(config.teacherOptions?.remote?.binaryTensors, false);
  const plain = resolveConfig(flagsToConfig({ concurrency: 4 }));
  assert.equal(plain.teacherOptions?.remote?.binaryTensors, undefined);
});

test("--param and --data-option refuse '__proto__' (it would vanish, silently ignored)", () => {
  assert.throws(
    () => flagsToConfig({ param: ['__proto__=1'] }),
    /--param __proto__=1: '__proto__'/,
  );
  assert.throws(
    () => flagsToConfig({ dataOption: ['__proto__=1'] }),
    /--data-option __proto__=1: '__proto__'/,
  );
});

test("--text-column is --text-field in a table's words; both at once is refused", () => {
  const viaColumn = flagsToConfig({ data: 'mails.csv', textColumn: ['body'] } as never);
  const viaField = flagsToConfig({ data: 'mails.csv', textField: ['body'] } as never);
  assert.deepEqual(viaColumn, viaField);
  assert.equal(viaColumn.dataKind, 'text');
  assert.deepEqual(viaColumn.dataOptions?.textField, ['body']);
  assert.throws(
    () => flagsToConfig({ textColumn: ['a'], textField: ['b'] } as never),
    /--text-field and --text-column name the same option/,
  );
  // With text, --label-column is the text kind's labelField; without, the table's labelColumn.
  const labelled = flagsToConfig({ textColumn: ['body'], labelColumn: 'is_spam' } as never);
  assert.deepEqual(labelled.dataOptions, { textField: ['body'], labelField: 'is_spam' });
  assert.deepEqual(flagsToConfig({ labelColumn: 'digit' } as never).dataOptions, {
    labelColumn: 'digit',
  });
});
