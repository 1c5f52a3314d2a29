// The demo page end to end in headless Chromium: a tiny run made with the CLI, the server, then
// drawing a stroke, picking a test image, and the uint8 student's in-page logits against Node's;
// an image-folder run at 32×32×3 (uploading a real PNG: the page's prediction against Node's on
// the same file through sharp) and a text run (pasting a mail: the page's token ids and logits
// against Node's, and the student's latency in the page). No request may leave 127.0.0.1.
// Skipped when /usr/bin/chromium is absent.
// DISTILLERY_DEMO_SCREENSHOT=docs/demo.png also saves the screenshot taken after drawing there.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { tf, type LayersModel } from '../tf.ts';
import { featuresAsFloat, loadMnist } from '../data/index.ts';
import '../models/io.ts'; // registers the file:// loader for tf.loadLayersModel in Node
import { startServer } from './server.ts';

const CHROMIUM = '/usr/bin/chromium';
const REPO = fileURLToPath(new URL('../../', import.meta.url));
const IMAGES = 100;

/** Logits [count, 10] of the first `count` test images, predicted in Node on the cpu backend. */
async function nodeLogits(modelJson: string, x: Float32Array, count: number): Promise<number[][]> {
  const model: LayersModel = await tf.loadLayersModel(pathToFileURL(modelJson).href);
  const input = tf.tensor(x.subarray(0, count * 784), [count, 28, 28, 1]);
  const out = model.predict(input) as tf.Tensor; // [count, 10]
  const rows = (await out.array()) as number[][];
  tf.dispose([input, out]);
  model.dispose();
  return rows;
}

const maxAbsDiff = (a: number[], b: number[]) => Math.max(...a.map((v, i) => Math.abs(v - b[i])));

test(
  'demo page in Chromium: draw, pick a test image, uint8 student matches Node, nothing leaves 127.0.0.1',
  { skip: !existsSync(CHROMIUM) && `${CHROMIUM} not installed` },
  async () => {
    const root = mkdtempSync(join(tmpdir(), 'distillery-demo-'));
    // 1. A tiny run with the CLI (~10 s).
    const made = spawnSync(
      process.execPath,
      [
        join(REPO, 'bin', 'distillery.mjs'),
        'run',
        ...['--backend', 'wasm', '--train-limit', '3000', '--test-limit', '500'],
        ...['--validation-size', '300', '--teacher-arch', 'mlp:128', '--teacher-epochs', '2'],
        ...['--student-arch', 'mlp:32', '--student-epochs', '2', '--out', root, '--json'],
      ],
      { cwd: REPO, encoding: 'utf8' },
    );
    assert.equal(made.status, 0, made.stderr);
    const runDir: string = JSON.parse(made.stdout).runDir;

    const server = await startServer({ runDir, port: 0 });
    const profile = mkdtempSync(join(tmpdir(), 'distillery-chromium-'));
    const { chromium } = await import('playwright-core');
    // A persistent context on a fresh, throw-away profile folder (= --user-data-dir).
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1240, height: 900 },
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
      // 2. What Node predicts: the teacher on every picker image, the uint8 export on a few.
      await tf.setBackend('cpu');
      const data = await loadMnist({ trainLimit: 2, validationSize: 1, testLimit: IMAGES });
      const teacherLogits = await nodeLogits(
        join(runDir, 'models', 'teacher', 'model.json'),
        featuresAsFloat(data.test),
        IMAGES,
      );
      const uint8Logits = await nodeLogits(
        join(runDir, 'exports', 'uint8', 'model.json'),
        featuresAsFloat(data.test),
        4,
      );
      const float32Logits = await nodeLogits(
        join(runDir, 'models', 'distilled', 'model.json'),
        featuresAsFloat(data.test),
        4,
      );
      const quantizationShift = Math.max(
        ...uint8Logits.map((row, i) => maxAbsDiff(row, float32Logits[i])),
      );
      assert.ok(quantizationShift > 1e-3, 'uint8 and float32 are told apart by the tolerance');
      const argmax = (row: number[]) => row.indexOf(Math.max(...row));
      const right = teacherLogits.findIndex((row, i) => argmax(row) === data.test.y[i]);
      assert.ok(right >= 0, 'the teacher gets some picker image right');

      const page = context.pages()[0] ?? (await context.newPage());
      const requests: string[] = [];
      const problems: string[] = [];
      page.on('request', (r) => requests.push(r.url()));
      page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
      page.on('console', (m) => {
        if (m.type() === 'error') problems.push(`console: ${m.text()}`);
      });
      await page.goto(server.url);
      await page.waitForSelector('body[data-ready=true]', { timeout: 30_000 });
      assert.equal(await page.getAttribute('body', 'data-backend'), 'wasm');
      const panels = () =>
        page.evaluate(() =>
          ['teacher', 'student'].map((id) => {
            const d = document.getElementById(id)!.dataset;
            return {
              input: d.input,
              variant: d.variant,
              top: Number(d.top),
              logits: JSON.parse(d.logits ?? '[]') as number[],
              latencyMs: Number(d.latencyMs),
              bars: document.querySelectorAll(`#${id} .bar`).length,
              latencyText: document.querySelector(`#${id} .latency`)!.textContent ?? '',
            };
          }),
        );
      const settled = (input: string, variant = 'float32') =>
        page.waitForFunction(
          ([want, studentVariant]) => {
            const [t, s] = ['teacher', 'student'].map((id) => document.getElementById(id)!.dataset);
            return t.input === want && s.input === want && s.variant === studentVariant;
          },
          [input, variant],
        );

      // (1) Draw a stroke with the mouse: both models predict, with bars and a latency.
      const pad = (await page.locator('#pad').boundingBox())!;
      const at = (x: number, y: number) => [pad.x + x * pad.width, pad.y + y * pad.height] as const;
      await page.mouse.move(...at(0.3, 0.22));
      await page.mouse.down();
      for (const [x, y] of [
        [0.7, 0.22],
        [0.52, 0.5],
        [0.42, 0.8],
      ])
        await page.mouse.move(...at(x, y), { steps: 8 });
      await page.mouse.up();
      const drawn = await page.getAttribute('body', 'data-input');
      assert.match(drawn ?? '', /^drawing:\d+$/);
      await settled(drawn!);
      for (const p of await panels()) {
        assert.equal(p.bars, 10);
        assert.equal(p.logits.length, 10);
        assert.ok(p.logits.every(Number.isFinite));
        assert.ok(p.latencyMs > 0, `latency ${p.latencyMs}`);
        assert.match(p.latencyText, /^\d+\.\d+ ms per prediction/);
      }
      const preview = await page.evaluate(() => {
        const c = document.getElementById('preview') as HTMLCanvasElement;
        const d = c.getContext('2d')!.getImageData(0, 0, 28, 28).data;
        let ink = 0;
        for (let i = 0; i < d.length; i += 4) ink += d[i] / 255;
        return ink;
      });
      assert.ok(preview > 10, 'the 28×28 preview shows the stroke');
      const shot = join(root, 'demo.png');
      await page.screenshot({ path: shot, fullPage: true });
      if (process.env.DISTILLERY_DEMO_SCREENSHOT)
        copyFileSync(shot, process.env.DISTILLERY_DEMO_SCREENSHOT);

      // (2) Pick a test image the teacher gets right in Node: the page agrees.
      await page.click(`#samples button[data-index="${right}"]`);
      await settled(`sample:${right}`);
      const [teacher] = await panels();
      assert.equal(teacher.top, data.test.y[right]);
      const teacherDiff = maxAbsDiff(teacher.logits, teacherLogits[right]);
      assert.ok(teacherDiff <= 1e-4, `teacher: page vs Node max |Δlogit| ${teacherDiff}`);
      assert.ok(await page.locator('#teacher').evaluate((e) => e.classList.contains('right')));

      // (3) The uint8-quantized student in the page: its logits are Node's within 1e-4.
      await page.check('#uint8');
      for (let i = 0; i < uint8Logits.length; i++) {
        await page.click(`#samples button[data-index="${i}"]`);
        await settled(`sample:${i}`, 'uint8');
        const [, student] = await panels();
        const diff = maxAbsDiff(student.logits, uint8Logits[i]);
        assert.ok(diff <= 1e-4, `uint8 student, image ${i}: page vs Node max |Δlogit| ${diff}`);
      }

      const outside = requests.filter((url) => !url.startsWith(server.url));
      assert.deepEqual(outside, [], 'requests that left the demo server');
      assert.ok(
        requests.some((url) => url.endsWith('.wasm')),
        'the wasm binary came from us',
      );
      assert.deepEqual(problems, []);
    } finally {
      await context.close();
      await server.close();
      rmSync(profile, { recursive: true, force: true });
      rmSync(root, { recursive: true, force: true });
    }
  },
);

// ------------------------------------------------------------------------------------------------
// Other kinds of data: an image folder at 32×32×3, and text.

/** `distillery run …` in a fresh folder; returns the run folder. */
function runCli(args: string[], out: string): string {
  const made = spawnSync(
    process.execPath,
    [join(REPO, 'bin', 'distillery.mjs'), 'run', ...args, '--out', out, '--json'],
    { cwd: REPO, encoding: 'utf8' },
  );
  assert.equal(made.status, 0, made.stderr);
  return JSON.parse(made.stdout).runDir;
}

/** Opens the demo of `runDir` in Chromium, runs `body`, checks nothing left 127.0.0.1. */
async function withDemoPage(
  runDir: string,
  body: (page: import('playwright-core').Page) => Promise<void>,
): Promise<void> {
  const server = await startServer({ runDir, port: 0 });
  const profile = mkdtempSync(join(tmpdir(), 'distillery-chromium-'));
  const { chromium } = await import('playwright-core');
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1240, height: 900 },
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
    const page = context.pages()[0] ?? (await context.newPage());
    const requests: string[] = [];
    const problems: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`console: ${m.text()}`);
    });
    await page.goto(server.url);
    await page.waitForSelector('body[data-ready=true]', { timeout: 60_000 });
    await body(page);
    assert.deepEqual(
      requests.filter((url) => !url.startsWith(server.url)),
      [],
      'requests that left the demo server',
    );
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
    await server.close();
    rmSync(profile, { recursive: true, force: true });
  }
}

interface Panel {
  input?: string;
  top: number;
  logits: number[];
  latencyMs: number;
}

const readPanels = (page: import('playwright-core').Page) =>
  page.evaluate(() =>
    ['teacher', 'student'].map((id) => {
      const d = document.getElementById(id)!.dataset;
      return {
        input: d.input,
        top: Number(d.top),
        logits: JSON.parse(d.logits ?? '[]') as number[],
        latencyMs: Number(d.latencyMs),
      };
    }),
  ) as Promise<Panel[]>;

const settledOn = (page: import('playwright-core').Page, input: string) =>
  page.waitForFunction(
    (want) =>
      ['teacher', 'student'].every((id) => document.getElementById(id)!.dataset.input === want),
    input,
    { timeout: 60_000 },
  );

const softmax = (logits: number[]) => {
  const max = Math.max(...logits);
  const e = logits.map((v) => Math.exp(v - max));
  const sum = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / sum);
};
const argmax = (row: number[]) => row.indexOf(Math.max(...row));

/** Logits of one example predicted in Node (cpu backend) by the model saved in `dir`. */
async function nodePredict(dir: string, x: Float32Array | Int32Array, shape: number[]) {
  const model: LayersModel = await tf.loadLayersModel(pathToFileURL(join(dir, 'model.json')).href);
  const input = tf.tensor(x, [1, ...shape], x instanceof Int32Array ? 'int32' : 'float32');
  const out = model.predict(input) as tf.Tensor; // [1, classes]
  const row = ((await out.array()) as number[][])[0];
  tf.dispose([input, out]);
  model.dispose();
  return row;
}

test(
  'image-folder run at 32×32×3 in Chromium: an uploaded PNG is predicted as Node predicts the file',
  { skip: !existsSync(CHROMIUM) && `${CHROMIUM} not installed` },
  async (t) => {
    const root = mkdtempSync(join(tmpdir(), 'distillery-demo-folder-'));
    try {
      const { writeImageFolder } = await import('../data/sources/testing.ts');
      const { decodeImage } = await import('../data/sources/image-folder.ts');
      const mnist = await loadMnist({ trainLimit: 400, validationSize: 0, splits: ['train'] });
      const folder = join(root, 'digits');
      await writeImageFolder(mnist, folder, { count: 400 });
      const runDir = runCli(
        [
          ...['--data', folder, '--image-size', '32', '--channels', '3', '--backend', 'wasm'],
          ...['--teacher-arch', 'mlp:128', '--teacher-epochs', '2', '--student-arch', 'mlp:32'],
          ...['--student-epochs', '2', '--temperature', '4', '--validation-size', '40'],
        ],
        join(root, 'runs'),
      );
      // A real MNIST test digit (not in the folder) as a PNG file.
      const test10 = await loadMnist({ trainLimit: 2, validationSize: 1, testLimit: 1 });
      const upload = join(root, 'upload.png');
      const { default: sharp } = await import('sharp');
      await sharp(Buffer.from(Uint8Array.from(test10.test.x, (v) => Math.round(v * 255))), {
        raw: { width: 28, height: 28, channels: 1 },
      })
        .png()
        .toFile(upload);
      // Node: the file through the loader's decoder (sharp), then the saved models.
      const bytes = await decodeImage(upload, { imageSize: 32, channels: 3, fit: 'cover' });
      const x = Float32Array.from(bytes, (v) => v / 255);
      await tf.setBackend('cpu');
      const node = {
        teacher: await nodePredict(join(runDir, 'models', 'teacher'), x, [32, 32, 3]),
        student: await nodePredict(join(runDir, 'models', 'distilled'), x, [32, 32, 3]),
      };

      await withDemoPage(runDir, async (page) => {
        assert.equal(await page.isVisible('#image-input'), true);
        assert.equal(await page.isHidden('#draw-input'), true, 'no 28×28 pad for a 32×32×3 run');
        assert.equal(await page.locator('#teacher .bar').count(), 10);
        await page.setInputFiles('#upload', upload);
        await settledOn(page, 'upload:1');
        const pageBytes = await page.evaluate(() =>
          Array.from(
            (globalThis as unknown as { demoState: { input: { bytes: Uint8Array } } }).demoState
              .input.bytes,
          ),
        );
        const byteGap = Math.max(...pageBytes.map((v, i) => Math.abs(v - bytes[i])));
        t.diagnostic(`upload: page bytes vs sharp max |Δ| ${byteGap} grey levels`);
        assert.ok(byteGap <= 1, `page resize vs sharp: ${byteGap} grey levels`);
        const [teacher, student] = await readPanels(page);
        for (const [name, panel, want] of [
          ['teacher', teacher, node.teacher],
          ['student', student, node.student],
        ] as const) {
          assert.equal(panel.top, argmax(want), `${name}: predicted class`);
          const p = softmax(panel.logits);
          const q = softmax(want);
          const gap = Math.max(...p.map((v, i) => Math.abs(v - q[i])));
          t.diagnostic(`${name}: page vs Node max |Δprobability| ${gap.toExponential(2)}`);
          // Tolerance: ≤ 1 grey level on a few pixels, plus wasm vs cpu float sums.
          assert.ok(gap <= 5e-3, `${name}: page vs Node max |Δprobability| ${gap}`);
        }
        const names = await page.locator('#teacher .bar .cls').allTextContents();
        assert.deepEqual(
          names,
          mnist.classNames.map((n) => n.replace(/[^A-Za-z0-9_-]+/g, '-')),
        );
        // A test image from the picker reaches both models.
        await page.click('#samples button[data-index="0"]');
        await settledOn(page, 'sample:0');
        assert.ok((await readPanels(page)).every((p) => p.logits.length === 10));
      });
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  },
);

test(
  'text run in Chromium: a pasted mail gets Node’s token ids and predictions; student latency',
  { skip: !existsSync(CHROMIUM) && `${CHROMIUM} not installed` },
  async (t) => {
    const root = mkdtempSync(join(tmpdir(), 'distillery-demo-text-'));
    try {
      const runDir = runCli(
        [
          ...['--dataset', 'spam-assassin', '--train-limit', '300', '--test-limit', '60'],
          ...['--validation-size', '60', '--teacher-epochs', '1', '--student-epochs', '2'],
          ...['--temperature', '4', '--backend', 'wasm'],
        ],
        join(root, 'runs'),
      );
      const { readTokenizerFile } = await import('../text/tokenizer-file.ts');
      const { createTokenizer } = await import('../text/tokenizer.ts');
      const { loadDataset } = await import('../data/index.ts');
      const studentDir = join(runDir, 'models', 'distilled');
      const file = readTokenizerFile(studentDir)!;
      const tokenizer = createTokenizer(file.tokenizer);
      const mails = await loadDataset({
        dataset: 'spam-assassin',
        trainLimit: 300,
        testLimit: 60,
        options: { tokenizerFile: join(studentDir, 'tokenizer.json') },
        splits: ['test'],
      });
      const texts = mails.test.texts!.slice(0, 6);
      await tf.setBackend('cpu');
      await import('../models/transformer.ts'); // the teacher's custom layers, in Node
      const latencies: number[] = [];
      await withDemoPage(runDir, async (page) => {
        assert.equal(await page.isVisible('#text'), true);
        assert.equal(await page.isHidden('#image-input'), true);
        for (const [k, text] of texts.entries()) {
          await page.fill('#text', text);
          const key = `text:${k + 1}`;
          await settledOn(page, key);
          const ids = tokenizer.encode(text, file.length);
          const pageIds = JSON.parse((await page.getAttribute('body', 'data-tokens')) ?? '[]');
          assert.deepEqual(pageIds, Array.from(ids), `token ids of test mail ${k}`);
          const [teacher, student] = await readPanels(page);
          const node = {
            teacher: await nodePredict(join(runDir, 'models', 'teacher'), ids, [file.length]),
            student: await nodePredict(studentDir, ids, [file.length]),
          };
          assert.equal(student.top, argmax(node.student));
          assert.equal(teacher.top, argmax(node.teacher));
          assert.ok(maxAbsDiff(student.logits, node.student) <= 1e-4, 'student logits');
          assert.ok(maxAbsDiff(teacher.logits, node.teacher) <= 1e-3, 'teacher logits');
          latencies.push(student.latencyMs);
        }
      });
      latencies.sort((a, b) => a - b);
      const median = (latencies[2] + latencies[3]) / 2;
      t.diagnostic(
        `text student (embbag) in Chromium, wasm: median ${median.toFixed(3)} ms per prediction (${latencies.map((v) => v.toFixed(3)).join(', ')})`,
      );
      assert.ok(median < 50, `student latency ${median} ms`);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  },
);
