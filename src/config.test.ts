// Config resolution: precedence (flags > file > defaults), method defaults, and error messages
// that name the bad key and the allowed values.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultConfig, readConfigFile, resolveConfig } from './config.ts';

test('defaults validate and describe the documented job', () => {
  const config = resolveConfig();
  // Nothing set the temperature or weights: the automatic choice is on.
  assert.deepEqual(config, { ...defaultConfig, autoTune: 'on' });
  assert.equal(config.teacher.arch, 'mlp:1200-1200');
  assert.equal(config.method.name, 'kd');
  assert.equal(config.method.temperature, 2, 'chosen on the validation split (see config.ts)');
});

test('flags override the file, which overrides defaults, key by key', () => {
  const file = { seed: 5, teacher: { epochs: 9, learningRate: 0.01 }, method: { temperature: 8 } };
  const flags = { teacher: { epochs: 2 }, method: { hardWeight: 0.1 } };
  const config = resolveConfig(file, flags);
  assert.equal(config.seed, 5);
  assert.equal(config.teacher.epochs, 2);
  assert.equal(config.teacher.learningRate, 0.01);
  assert.equal(config.teacher.arch, defaultConfig.teacher.arch);
  assert.equal(config.method.temperature, 8);
  assert.equal(config.method.hardWeight, 0.1);
  assert.equal(config.method.softWeight, defaultConfig.method.softWeight);
});

test('undefined flags do not erase file values', () => {
  const config = resolveConfig(
    { batchSize: 64 },
    { batchSize: undefined, method: { name: undefined } },
  );
  assert.equal(config.batchSize, 64);
  assert.equal(config.method.name, 'kd');
});

test('errors name the key and the allowed values', () => {
  const cases: [object, RegExp][] = [
    [{ dataset: 'cifar' }, /dataset: got "cifar", allowed: "mnist", "fashion-mnist"/],
    [
      { backend: 'gpu' },
      /backend: got "gpu", allowed: "auto", "native", "wasm", "wasm-stock", "cpu"/,
    ],
    [{ teacher: { epochs: 0 } }, /teacher\.epochs: Too small/],
    [
      { student: { optimizer: 'lbfgs' } },
      /student\.optimizer: got "lbfgs", allowed: "adam", "adamw", "sgd", "momentum"/,
    ],
    [{ epochs: 3 }, /unknown key 'epochs'/],
    [
      { method: { reduction: 'avg' } },
      /method\.reduction: got "avg", allowed: "batchmean", "mean", "sum"/,
    ],
    [{ method: { name: 'fitnet' } }, /method\.name: got "fitnet", allowed: "kd"/],
    [{ method: { temperature: 0 } }, /method\.temperature: Too small/],
    [{ student: { arch: 'resnet:50' } }, /unknown architecture 'resnet:50'/],
    [{ student: { arch: 'mlp:64-x' } }, /'x' is not a positive integer/],
    // An own '__proto__' key (JSON.parse, --param __proto__=1) must not vanish into a prototype.
    [JSON.parse('{"method": {"__proto__": {"temperature": 9}}}'), /unknown key '__proto__'/],
    [{ method: Object.fromEntries([['__proto__', 1]]) }, /method: unknown key '__proto__'/],
  ];
  for (const [layer, message] of cases) assert.throws(() => resolveConfig(layer as never), message);
});

test('a config file must be a JSON object', () => {
  const dir = mkdtempSync(join(tmpdir(), 'distillery-config-'));
  const good = join(dir, 'good.json');
  writeFileSync(good, JSON.stringify({ seed: 3 }));
  assert.deepEqual(readConfigFile(good), { seed: 3 });
  const bad = join(dir, 'bad.json');
  writeFileSync(bad, '[1, 2]');
  assert.throws(() => readConfigFile(bad), /is not a JSON object/);
  writeFileSync(bad, '{ seed: 3 ');
  assert.throws(() => readConfigFile(bad), /is not a JSON object/);
  assert.throws(() => readConfigFile(join(dir, 'missing.json')), /cannot read config file/);
});

test('a preset sits between the method defaults and explicit parameters', () => {
  const textbrewer = resolveConfig({ method: { preset: 'textbrewer' } } as never);
  assert.equal(textbrewer.method.scaleByTemperatureSquared, false);
  assert.equal(textbrewer.method.hardWeight, 0);
  assert.equal('preset' in textbrewer.method, false);
  const overridden = resolveConfig({ method: { preset: 'textbrewer' } } as never, {
    method: { hardWeight: 0.2 },
  });
  assert.equal(overridden.method.hardWeight, 0.2);
  assert.equal(overridden.method.scaleByTemperatureSquared, false);
  assert.throws(
    () => resolveConfig({ method: { preset: 'nope' } } as never),
    /'nope' is not a preset of kd \(allowed: hinton/,
  );
});

test('choosing another method starts from that method’s defaults and rejects foreign keys', () => {
  const dkd = resolveConfig({ method: { name: 'dkd' } });
  assert.equal(dkd.method.nonTargetWeight, 8);
  assert.equal('softWeight' in dkd.method, false);
  assert.throws(
    () => resolveConfig({ method: { name: 'dkd', softWeight: 1 } }),
    /method: unknown key 'softWeight' \(method dkd\)/,
  );
});
