// The exports in a real browser: headless Chromium loads each quantization with the stock
// tf.loadLayersModel from the published tfjs bundle over HTTP and predicts what Node predicts.
// Skipped when /usr/bin/chromium is absent (apt-get install chromium).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, normalize } from 'node:path';
import { pathToFileURL } from 'node:url';
import { tf } from '../tf.ts';
import { loadMnist } from '../data/index.ts';
import { createMlp } from '../models/index.ts';
import { saveModel } from '../models/io.ts';
import { exportModel, quantizations } from './export.ts';

const CHROMIUM = '/usr/bin/chromium';

test(
  'Chromium loads every quantization with the stock loader and matches Node',
  { skip: !existsSync(CHROMIUM) && `${CHROMIUM} not installed` },
  async () => {
    await tf.setBackend('cpu');
    const root = mkdtempSync(join(tmpdir(), 'distillery-browser-'));
    const data = await loadMnist({ trainLimit: 2, validationSize: 1, testLimit: 16 });
    const model = createMlp({ inputShape: data.inputShape, hidden: [32], classes: 10, seed: 9 });
    await saveModel(model, join(root, 'model'));
    model.dispose();
    const expected: Record<string, number[]> = {};
    const x = tf.tensor(data.test.x, [data.test.count, ...data.inputShape]); // [16, 28, 28, 1]
    for (const quantize of quantizations) {
      const outDir = join(root, quantize);
      await exportModel({ modelDir: join(root, 'model'), outDir, quantize });
      const loaded = await tf.loadLayersModel(pathToFileURL(join(outDir, 'model.json')).href);
      expected[quantize] = Array.from((loaded.predict(x) as tf.Tensor).dataSync());
      loaded.dispose();
    }
    x.dispose();

    const require = createRequire(import.meta.url);
    const bundle = join(
      dirname(require.resolve('@tensorflow/tfjs/package.json')),
      'dist/tf.min.js',
    );
    const server = createServer((req, res) => {
      const path = decodeURIComponent(new URL(req.url!, 'http://x').pathname);
      const file = path === '/tf.min.js' ? bundle : join(root, normalize(path));
      if (path === '/')
        return res.writeHead(200, { 'content-type': 'text/html' }).end('<html></html>');
      let body: Buffer;
      try {
        body = readFileSync(file);
      } catch {
        return res.writeHead(404).end();
      }
      res.writeHead(200).end(body);
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    });
    try {
      const page = await browser.newPage();
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      await page.goto(`${base}/`);
      await page.addScriptTag({ url: `${base}/tf.min.js` });
      const inBrowser = (await page.evaluate(
        async ({ names, pixels, count }) => {
          // eslint-disable-next-line @typescript-eslint/no-explicit-any
          const tfb = (globalThis as any).tf;
          await tfb.setBackend('cpu');
          const out: Record<string, number[]> = {};
          const input = tfb.tensor(pixels, [count, 28, 28, 1]);
          for (const name of names) {
            const m = await tfb.loadLayersModel(`/${name}/model.json`);
            out[name] = Array.from(await m.predict(input).data());
          }
          return out;
        },
        { names: [...quantizations], pixels: Array.from(data.test.x), count: data.test.count },
      )) as Record<string, number[]>;
      assert.notDeepEqual(inBrowser.uint8, inBrowser.none, 'uint8 weights really are quantized');
      for (const quantize of quantizations) {
        assert.equal(inBrowser[quantize].length, data.test.count * 10);
        const diff = Math.max(
          ...inBrowser[quantize].map((v, i) => Math.abs(v - expected[quantize][i])),
        );
        assert.ok(diff <= 1e-5, `${quantize}: browser vs Node max |Δlogit| ${diff}`);
      }
    } finally {
      await browser.close();
      server.close();
      rmSync(root, { recursive: true, force: true });
    }
  },
);
