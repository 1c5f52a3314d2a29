// The demo page: loads the run's teacher and distilled student with the stock tf.loadLayersModel
// (wasm backend, falling back to webgl then cpu; `?backend=cpu` forces one), turns a drawing or a
// picked test image into a [1, 28, 28, 1] input and shows each model's softmax(logits) and latency.
// Each panel also carries its last result as data attributes (data-input, data-variant,
// data-logits, data-latency-ms) for tests and for anyone curious in the devtools.
import { median, softmax, toMnistInput } from './preprocess.js';

const tf = globalThis.tf;
const REPEATS = 7;
const ROUNDS = 5;
const INK = '#16213a';
const $ = (selector) => document.querySelector(selector);

const state = {
  info: undefined, // /api/run.json
  images: undefined, // /api/test-images.json, pixels decoded to bytes
  models: new Map(), // model key → Promise<LayersModel>
  input: undefined, // { key, pixels: Float32Array [784], label?, index? }
  variant: 'float32', // of the student: 'float32' | 'uint8'
  edits: 0,
};

const panels = [
  { el: $('#teacher'), key: () => 'teacher' },
  {
    el: $('#student'),
    key: () => (state.variant === 'uint8' ? 'distilled-uint8' : 'distilled'),
  },
];

function fail(message) {
  const status = $('#status');
  status.textContent = message;
  status.hidden = false;
  document.body.dataset.error = message;
}

async function startBackend() {
  if (tf.wasm) tf.wasm.setWasmPaths('/vendor/'); // the .wasm files come from this server
  const forced = new URLSearchParams(location.search).get('backend');
  for (const name of forced ? [forced] : ['wasm', 'webgl', 'cpu']) {
    try {
      if (await tf.setBackend(name)) {
        await tf.ready();
        return name;
      }
    } catch (e) {
      console.warn(`backend ${name} did not start:`, e);
    }
  }
  throw new Error('no TensorFlow.js backend could start');
}

async function getJson(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return response.json();
}

/** The model behind a key, loaded (and warmed up) once. */
function model(key) {
  if (!state.models.has(key)) {
    const spec = state.info.models[key];
    if (!spec) return Promise.resolve(undefined);
    state.models.set(
      key,
      tf.loadLayersModel(spec.url).then((m) => {
        tf.tidy(() => m.predict(tf.zeros(inputShape(m)))); // first call compiles / allocates
        return m;
      }),
    );
  }
  return state.models.get(key);
}

const inputShape = (m) => [1, ...m.inputs[0].shape.slice(1)];

/**
 * Logits of one input, and its latency: the median over REPEATS samples, each the mean of ROUNDS
 * back-to-back runs of predict + read-back (browsers coarsen performance.now() to 0.1 ms).
 */
async function predict(m, pixels) {
  const x = tf.tensor(pixels, inputShape(m));
  const samples = [];
  let logits;
  try {
    for (let i = 0; i < REPEATS; i++) {
      const t0 = performance.now();
      for (let r = 0; r < ROUNDS; r++) {
        const y = m.predict(x);
        logits = await y.data();
        y.dispose();
      }
      samples.push((performance.now() - t0) / ROUNDS);
    }
  } finally {
    x.dispose();
  }
  return { logits: Array.from(logits), ms: median(samples) };
}

// ----------------------------------------------------------------------------------------------
// Panels

function buildBars(panel) {
  const bars = panel.el.querySelector('.bars');
  bars.replaceChildren(
    ...state.info.classNames.map((name) => {
      const row = document.createElement('div');
      row.className = 'bar';
      row.innerHTML =
        '<span class="cls"></span><span class="track"><span class="fill"></span></span><span class="pct"></span>';
      row.querySelector('.cls').textContent = name;
      return row;
    }),
  );
}

function describeModel(key) {
  const spec = state.info.models[key];
  if (!spec) return 'not in this run folder';
  const parts = [];
  if (spec.parameters) parts.push(`${spec.parameters.toLocaleString('en-US')} parameters`);
  if (spec.bytes) parts.push(`${spec.quantization} ${formatBytes(spec.bytes)}`);
  if (spec.testAccuracy !== undefined) parts.push(`test acc ${percent(spec.testAccuracy)}`);
  return parts.join(' · ');
}

function resetPanel(panel) {
  panel.el.querySelector('.meta').textContent = describeModel(panel.key());
  for (const row of panel.el.querySelectorAll('.bar')) {
    row.classList.remove('top');
    row.querySelector('.fill').style.width = '0';
    row.querySelector('.pct').textContent = '';
  }
  panel.el.querySelector('.latency').textContent = 'draw a digit or pick a test image';
  panel.el.classList.remove('right', 'wrong');
  for (const name of ['input', 'variant', 'logits', 'latencyMs', 'top'])
    delete panel.el.dataset[name];
}

function showResult(panel, input, result) {
  const probs = softmax(result.logits);
  const top = probs.indexOf(Math.max(...probs));
  panel.el.querySelector('.meta').textContent = describeModel(panel.key());
  panel.el.querySelectorAll('.bar').forEach((row, i) => {
    row.classList.toggle('top', i === top);
    row.querySelector('.fill').style.width = `${(100 * probs[i]).toFixed(2)}%`;
    row.querySelector('.pct').textContent = percent(probs[i]);
  });
  panel.el.querySelector('.latency').textContent =
    `${result.ms.toFixed(result.ms < 10 ? 2 : 1)} ms per prediction in this page (median of ${REPEATS})`;
  panel.el.classList.toggle('right', input.label !== undefined && top === input.label);
  panel.el.classList.toggle('wrong', input.label !== undefined && top !== input.label);
  Object.assign(panel.el.dataset, {
    input: input.key,
    variant: panel.key().endsWith('uint8') ? 'uint8' : 'float32',
    logits: JSON.stringify(result.logits),
    latencyMs: String(result.ms),
    top: String(top),
  });
}

// Predictions run one at a time; inputs that arrive meanwhile collapse into the newest one.
let running = false;
let dirty = false;

function schedule() {
  dirty = true;
  if (!running) void pump();
}

async function pump() {
  running = true;
  try {
    while (dirty) {
      dirty = false;
      const input = state.input;
      const results = [];
      for (const panel of panels) {
        if (!input) {
          resetPanel(panel);
          continue;
        }
        const m = await model(panel.key());
        if (!m) continue;
        const result = await predict(m, input.pixels);
        showResult(panel, input, result);
        results.push({ ...result, key: panel.key() });
      }
      showSummary(input, results);
    }
  } catch (e) {
    fail(`prediction failed: ${e.message}`);
  } finally {
    running = false;
  }
}

/** Under the panels: the true label or "your drawing", and how the student compares. */
function showSummary(input, results) {
  const names = state.info.classNames;
  const top = (r) => r.logits.indexOf(Math.max(...r.logits));
  let first = '\u00a0';
  let second = '\u00a0';
  if (input) {
    first =
      input.label === undefined
        ? 'Your drawing, preprocessed like MNIST.'
        : `Test image #${input.index} · true label ${names[input.label]}.`;
  }
  if (input && results.length === 2) {
    const [teacher, student] = results;
    first +=
      top(teacher) === top(student)
        ? ` Teacher and student agree: ${names[top(teacher)]}.`
        : ` They disagree: teacher ${names[top(teacher)]}, student ${names[top(student)]}.`;
    const [t, s] = [state.info.models[teacher.key], state.info.models[student.key]];
    const ratio = (a, b) => (a && b ? `${(a / b).toFixed(1)}×` : '?');
    second = `The student has ${ratio(t.parameters, s.parameters)} fewer parameters, a ${ratio(t.bytes, s.bytes)} smaller file, and ran ${ratio(teacher.ms, student.ms)} faster here.`;
  }
  $('#truth').textContent = first;
  $('#comparison').textContent = second;
}

function setInput(input) {
  state.input = input;
  document.body.dataset.input = input ? input.key : '';
  drawPreview(input ? input.pixels : undefined);
  schedule();
}

// ----------------------------------------------------------------------------------------------
// Drawing pad

const pad = $('#pad');
const ctx = pad.getContext('2d', { willReadFrequently: true });
let drawing = false;
let last;
let showingSample = false;

function clearPad() {
  ctx.clearRect(0, 0, pad.width, pad.height);
  showingSample = false;
  $('#pad-caption').textContent = 'draw here with the mouse, a pen or a finger';
  for (const b of document.querySelectorAll('#samples .selected')) b.classList.remove('selected');
}

function point(event) {
  const box = pad.getBoundingClientRect();
  return {
    x: ((event.clientX - box.left) * pad.width) / box.width,
    y: ((event.clientY - box.top) * pad.height) / box.height,
  };
}

function stroke(from, to) {
  ctx.strokeStyle = INK;
  ctx.lineWidth = 20; // ≈ 2 px after scaling a full-height digit into the 20 px box, as in MNIST
  ctx.lineCap = 'round';
  ctx.lineJoin = 'round';
  ctx.beginPath();
  ctx.moveTo(from.x, from.y);
  ctx.lineTo(to.x, to.y);
  ctx.stroke();
}

function readPad() {
  const rgba = ctx.getImageData(0, 0, pad.width, pad.height).data;
  const ink = new Uint8ClampedArray(pad.width * pad.height);
  for (let i = 0; i < ink.length; i++) ink[i] = rgba[4 * i + 3]; // ink = alpha
  const pixels = toMnistInput(ink, pad.width, pad.height);
  setInput(pixels ? { key: `drawing:${++state.edits}`, pixels } : undefined);
}

pad.addEventListener('pointerdown', (event) => {
  if (showingSample) clearPad();
  $('#pad-caption').textContent = '';
  drawing = true;
  pad.setPointerCapture(event.pointerId);
  last = point(event);
  stroke(last, last);
  readPad();
});
pad.addEventListener('pointermove', (event) => {
  if (!drawing) return;
  const p = point(event);
  stroke(last, p);
  last = p;
  readPad();
});
for (const type of ['pointerup', 'pointercancel']) {
  pad.addEventListener(type, () => {
    if (!drawing) return;
    drawing = false;
    readPad();
  });
}
$('#clear').addEventListener('click', () => {
  clearPad();
  setInput(undefined);
});

/** Paints 28×28 values in [0, 1] onto a canvas: white on black like MNIST, or ink on paper. */
function paint(canvas, pixels, inkOnPaper) {
  const c = canvas.getContext('2d');
  const image = c.createImageData(28, 28);
  for (let i = 0; i < 784; i++) {
    const v = Math.round(255 * (pixels ? pixels[i] : 0));
    if (inkOnPaper) image.data.set([0x16, 0x21, 0x3a, v], 4 * i);
    else image.data.set([v, v, v, 255], 4 * i);
  }
  c.putImageData(image, 0, 0);
}

function drawPreview(pixels) {
  paint($('#preview'), pixels, false);
}

// ----------------------------------------------------------------------------------------------
// Test-image picker

function samplePixels(index) {
  const { bytes } = state.images;
  const pixels = new Float32Array(784);
  for (let i = 0; i < 784; i++) pixels[i] = bytes[index * 784 + i] / 255; // as the Node loader
  return pixels;
}

function pickSample(index, button) {
  const pixels = samplePixels(index);
  const label = state.images.labels[index];
  // Show the image on the pad, enlarged; the next stroke starts a new drawing.
  clearPad();
  const small = document.createElement('canvas');
  small.width = small.height = 28;
  paint(small, pixels, true);
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(small, 0, 0, pad.width, pad.height);
  showingSample = true;
  $('#pad-caption').textContent = `test image #${index} — draw to start over`;
  button.classList.add('selected');
  setInput({ key: `sample:${index}`, pixels, label, index });
}

function buildPicker() {
  const { count, labels, classNames } = state.images;
  const container = $('#samples');
  $('#picker-note').textContent = count
    ? `(${count} from the ${state.images.dataset} test split)`
    : '(no test images available)';
  for (let i = 0; i < count; i++) {
    const button = document.createElement('button');
    button.type = 'button';
    button.dataset.index = String(i);
    button.title = `test image #${i}, label ${classNames[labels[i]]}`;
    const canvas = document.createElement('canvas');
    canvas.width = canvas.height = 28;
    paint(canvas, samplePixels(i), false);
    const caption = document.createElement('span');
    caption.textContent = classNames[labels[i]];
    button.append(canvas, caption);
    button.addEventListener('click', () => pickSample(i, button));
    container.append(button);
  }
}

// ----------------------------------------------------------------------------------------------
// Start-up

function describeRun(info) {
  const s = info.summary;
  const parts = [`run ${info.run}`, info.dataset, info.method && `method ${info.method}`];
  if (s.teacherAccuracy !== undefined) parts.push(`teacher ${percent(s.teacherAccuracy)}`);
  if (s.scratchAccuracy !== undefined) parts.push(`scratch ${percent(s.scratchAccuracy)}`);
  if (s.distilledAccuracy !== undefined) parts.push(`distilled ${percent(s.distilledAccuracy)}`);
  return parts.filter(Boolean).join(' · ') + ' (test accuracy)';
}

const percent = (p) => `${(100 * p).toFixed(1)}%`;
const formatBytes = (n) =>
  n < 1024
    ? `${n} B`
    : n < 1048576
      ? `${(n / 1024).toFixed(1)} KiB`
      : `${(n / 1048576).toFixed(2)} MiB`;

async function main() {
  const [backend, info, images] = await Promise.all([
    startBackend(),
    getJson('/api/run.json'),
    getJson('/api/test-images.json'),
  ]);
  state.info = info;
  state.images = { ...images, bytes: Uint8Array.from(atob(images.pixels), (c) => c.charCodeAt(0)) };
  const simd = backend === 'wasm' && (await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'));
  $('#backend-line').textContent =
    `TensorFlow.js ${tf.version.tfjs} · ${backend}${simd ? ' (SIMD)' : ''} backend, in this page`;
  document.body.dataset.backend = backend;
  $('#run-line').textContent = describeRun(info);
  $('#report-link').hidden = !info.report;

  const toggle = $('#student .toggle');
  if (info.models['distilled-uint8']) {
    toggle.hidden = false;
    toggle.querySelector('span').textContent =
      `uint8-quantized export (${formatBytes(info.models['distilled-uint8'].bytes)})`;
    $('#uint8').addEventListener('change', (event) => {
      state.variant = event.target.checked ? 'uint8' : 'float32';
      schedule();
    });
  }
  for (const panel of panels) {
    buildBars(panel);
    resetPanel(panel);
  }
  buildPicker();
  drawPreview(undefined);
  await Promise.all(panels.map((p) => model(p.key())));
  document.body.dataset.ready = 'true';
}

main().catch((e) => fail(`the demo could not start: ${e.message}`));
