// Trains one text model on SpamAssassin with the library (no run folder) and prints one JSON line:
// validation / test macro-F1 and time; what docs/text.md's teacher search used.
//   npx tsx scripts/text-probe.ts <arch> [epochs] [lr] [dropout] [seed] [trainLimit]   (BACKEND=native)
import { selectBackend } from '../src/backend/index.ts';
import { loadDataset } from '../src/data/index.ts';
import { buildModel } from '../src/models/index.ts';
import { trainModel } from '../src/train/train-model.ts';
import { evaluate } from '../src/eval/evaluate.ts';
const [arch, epochs = '3', lr = '1e-3', dropout = '0', seed = '1', trainLimit] =
  process.argv.slice(2);
const backend = await selectBackend((process.env.BACKEND ?? 'native') as never, { threads: 1 });
const data = await loadDataset({
  dataset: 'spam-assassin',
  seed: +seed,
  validationSize: 600,
  trainLimit: trainLimit ? +trainLimit : undefined,
} as never);
const model = await buildModel(arch, {
  inputShape: data.inputShape,
  classes: 2,
  input: data.spec.inputs[0],
  dropout: +dropout,
  seed: +seed,
});
const t0 = performance.now();
const r = await trainModel({
  model,
  data: data.train,
  epochs: +epochs,
  batchSize: 64,
  seed: +seed,
  optimizer: { name: 'adam', learningRate: +lr },
  validation: data.validation,
  onEpochEnd: (rec) => {
    process.stderr.write(
      `${arch} ep${rec.epoch} ${rec.seconds.toFixed(1)}s ${rec.samplesPerSecond.toFixed(0)}/s valAcc ${rec.validationAccuracy}\n`,
    );
  },
});
const ev = await evaluate({
  models: { m: model },
  data: data.validation,
  latency: false,
  classNames: data.classNames,
});
const tv = await evaluate({
  models: { m: model },
  data: data.test,
  latency: false,
  classNames: data.classNames,
});
console.log(
  JSON.stringify({
    arch,
    epochs: +epochs,
    lr: +lr,
    dropout: +dropout,
    seed: +seed,
    params: model.countParams(),
    seconds: (performance.now() - t0) / 1000,
    best: r.bestEpoch,
    valMacroF1: ev.rows[0].macroF1,
    valAcc: ev.rows[0].accuracy,
    testMacroF1: tv.rows[0].macroF1,
    backend: backend.name,
  }),
);
