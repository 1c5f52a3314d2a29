// CNN and MobileNet-style students for any image size and channel count: logits of the right
// shape at 28×28×1, 32×32×3 and 64×64×3, training lowers the loss, and the models save and load
// back with identical predictions (what export and the browser need).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tf } from '../tf.ts';
import { loadModel, saveModel } from './io.ts';
import { trainModel } from '../train/train-model.ts';
import { buildModel, parseArch } from './index.ts';

await tf.setBackend('cpu');
const shapes = [
  [28, 28, 1],
  [32, 32, 3],
  [64, 64, 3],
];

for (const arch of ['cnn:8-16:32', 'mobilenet:8-16-32']) {
  for (const shape of shapes) {
    test(`${arch} on ${shape.join('×')}: logits shape, saves and loads${shape[0] === 32 ? ', learns' : ''}`, async () => {
      const model = await buildModel(arch, { inputShape: shape, classes: 5, seed: 3 });
      // A learnable toy task: the class is which fifth of the image is bright.
      const n = shape[0] === 32 ? 20 : 5;
      const [h, w, c] = shape;
      const x = new Float32Array(n * h * w * c);
      const y = new Int32Array(n);
      for (let i = 0; i < n; i++) {
        y[i] = i % 5;
        for (let r = 0; r < h; r++)
          for (let col = Math.floor((y[i] * w) / 5); col < Math.floor(((y[i] + 1) * w) / 5); col++)
            for (let ch = 0; ch < c; ch++) x[((i * h + r) * w + col) * c + ch] = 1;
      }
      // Training on the cpu backend is slow for convolutions: the loss check runs at 32×32×3.
      if (shape[0] === 32) {
        const result = await trainModel({
          model,
          data: { x, y, count: n },
          epochs: 4,
          batchSize: 10,
          seed: 1,
          optimizer: { name: 'adam', learningRate: 3e-3 },
        });
        const losses = result.history.map((e) => e.loss);
        assert.ok(losses.at(-1)! < losses[0], `loss ${losses.join(' → ')}`);
      }
      const batch = tf.tensor4d(x.subarray(0, 4 * h * w * c), [4, h, w, c]);
      const logits = model.predict(batch) as tf.Tensor;
      assert.deepEqual(logits.shape, [4, 5]);
      const dir = mkdtempSync(join(tmpdir(), 'students-'));
      await saveModel(model, dir);
      const loaded = await loadModel(dir);
      const again = loaded.predict(batch) as tf.Tensor;
      assert.deepEqual(Array.from(again.dataSync()), Array.from(logits.dataSync()));
      tf.dispose([batch, logits, again]);
      model.dispose();
      loaded.dispose();
    });
  }
}

test('mobilenet is far smaller than the cnn of the same widths at 64×64×3', async () => {
  const cnn = await buildModel('cnn:32-64:128', { inputShape: [64, 64, 3], classes: 10 });
  const mobile = await buildModel('mobilenet:32-64-128', { inputShape: [64, 64, 3], classes: 10 });
  // cnn: conv 896 + 18,496, dense 16·16·64·128 + 128 = 2,097,280, logits 1,290
  assert.equal(cnn.countParams(), 896 + 18496 + 2097280 + 1290);
  // mobilenet: stem 896; dw 32·9+32, pw 32·64+64; dw 64·9+64, pw 64·128+128; logits 1,290
  assert.equal(mobile.countParams(), 896 + 320 + 2112 + 640 + 8320 + 1290);
  assert.deepEqual(parseArch('mobilenet:32-64-128:64').args, [[32, 64, 128], [64]]);
  cnn.dispose();
  mobile.dispose();
});
