// The demo page: loads the run's teacher and distilled student with the stock tf.loadLayersModel
// (wasm backend, falling back to webgl then cpu; `?backend=cpu` forces one), turns the user's
// input into the models' input as the run's data spec says (an input kind below: a drawing or an
// uploaded image of any size, a table row, a pasted text through the model's tokenizer.json) or
// picks a test example, and shows each model's softmax(logits) and latency. A teacher the page
// cannot run (ONNX, a graph model) shows the logits Node computed for the test examples.
// Each panel also carries its last result as data attributes (data-input, data-variant,
// data-logits, data-latency-ms) for tests and for anyone curious in the devtools.
import { median, softmax, toMnistInput } from './preprocess.js';
import { decodeRow, encodeRow, pixelsToInput, resizeImage } from './inputs.js';

const tf = globalThis.tf;
const REPEATS = 7;
const ROUNDS = 5;
const INK = '#16213a';
const $ = (selector) => document.querySelector(selector);
globalThis.demoState = undefined; // set in main(): the page's state, for tests and the devtools

const state = {
  info: undefined, // /api/run.json
  images: undefined, // /api/examples.json, pixels / features decoded
  models: new Map(), // model key → Promise<LayersModel>
  input: undefined, // { key, x: Float32Array | Int32Array (one example), label?, index?, bytes? }
  kind: undefined, // the input kind (see inputKinds)
  tokenizer: undefined, // text runs: { file, encode(text) → Int32Array }
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
async function predict(m, values) {
  const x = tf.tensor(values, inputShape(m), state.info.input?.dtype ?? 'float32');
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
  // Class names as long as the data's (folder names, table labels), up to 16 characters.
  const longest = Math.max(...state.info.classNames.map((n) => n.length));
  if (longest > 1) bars.style.setProperty('--class-width', `${Math.min(16, longest) + 1}ch`);
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
  const teacher = state.info.teacher;
  if (!spec && key === 'teacher' && teacher && !teacher.inPage)
    return `${teacher.kind} teacher (${teacher.source}): runs in Node only`;
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
  panel.el.querySelector('.latency').textContent = state.kind?.prompt ?? 'pick a test example';
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
  panel.el.querySelector('.latency').textContent = Number.isFinite(result.ms)
    ? `${result.ms.toFixed(result.ms < 10 ? 2 : 1)} ms per prediction in this page (median of ${REPEATS})`
    : result.note;
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
        if (!m) {
          const result = nodeResult(panel, input);
          if (result) {
            showResult(panel, input, result);
            results.push({ ...result, key: panel.key() });
          }
          continue;
        }
        const result = await predict(m, input.x);
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

/** A teacher the page cannot run: the logits Node computed for this test example, if any. */
function nodeResult(panel, input) {
  const logits = state.images.teacherLogits;
  if (panel.key() !== 'teacher' || !logits) return undefined;
  if (input.index === undefined) {
    resetPanel(panel);
    panel.el.querySelector('.latency').textContent =
      `${state.info.teacher?.kind} teacher: runs in Node only; pick a test example to see its logits`;
    return undefined;
  }
  return { logits: logits[input.index], ms: NaN, note: state.images.teacherNote };
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
        ? state.kind.yours
        : `Test example #${input.index} · true label ${names[input.label]}.`;
  }
  if (input && results.length === 2) {
    const [teacher, student] = results;
    first +=
      top(teacher) === top(student)
        ? ` Teacher and student agree: ${names[top(teacher)]}.`
        : ` They disagree: teacher ${names[top(teacher)]}, student ${names[top(student)]}.`;
    // A teacher the page cannot run: the size the run recorded for it.
    const t = state.info.models[teacher.key] ?? state.info.teacher;
    const s = state.info.models[student.key];
    const ratio = (a, b) => (a && b ? `${(a / b).toFixed(1)}×` : '?');
    second = `The student has ${ratio(t?.parameters, s.parameters)} fewer parameters, a ${ratio(t?.bytes, s.bytes)} smaller file${Number.isFinite(teacher.ms) ? `, and ran ${ratio(teacher.ms, student.ms)} faster here` : ''}.`;
  }
  $('#truth').textContent = first;
  $('#comparison').textContent = second;
}

function setInput(input) {
  state.input = input;
  document.body.dataset.input = input ? input.key : '';
  state.kind.preview?.(input);
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

/** A run recorded before input specs: 28 × 28 grayscale digits. */
const MNIST_INPUT = {
  name: 'image',
  shape: [28, 28, 1],
  dtype: 'float32',
  preprocessing: { kind: 'image', size: [28, 28], channels: 1, scale: 1 / 255 },
};

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
  setInput(pixels ? { key: `drawing:${++state.edits}`, x: pixels, drawn: true } : undefined);
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

/** Paints uint8 [h, w, c] bytes onto a canvas of that size: as they are, or as ink on paper. */
function paintBytes(canvas, bytes, h, w, c, inkOnPaper = false) {
  canvas.width = w;
  canvas.height = h;
  const c2 = canvas.getContext('2d');
  const image = c2.createImageData(w, h);
  for (let i = 0; i < h * w; i++) {
    const rgb = c === 1 ? [bytes[i], bytes[i], bytes[i]] : bytes.subarray(3 * i, 3 * i + 3);
    if (inkOnPaper) image.data.set([0x16, 0x21, 0x3a, rgb[0]], 4 * i);
    else image.data.set([rgb[0], rgb[1], rgb[2], 255], 4 * i);
  }
  c2.putImageData(image, 0, 0);
}

const toBytes = (floats) => Uint8Array.from(floats, (v) => Math.round(255 * v));

// ----------------------------------------------------------------------------------------------
// Input kinds, keyed by the preprocessing kind of the run's input spec (src/data/spec.ts). Each
// sets up its controls, turns test example i into an input, labels its picker button and shows
// what the models see. Adding a kind = one entry here.

const imagePre = () => state.info.input.preprocessing;
const isDrawable = (pre) => pre.size[0] === 28 && pre.size[1] === 28 && pre.channels === 1;

const imageKind = {
  prompt: 'upload an image or pick a test image',
  setup() {
    const pre = imagePre();
    const [h, w] = pre.size;
    const drawable = isDrawable(pre);
    if (drawable) this.prompt = 'draw a digit, upload an image or pick a test image';
    $('#input-title').textContent = drawable
      ? 'Draw a digit or upload an image'
      : 'Upload an image';
    $('#draw-input').hidden = !drawable;
    $('#image-input').hidden = false;
    $('#preview-row').hidden = false;
    $('#preview').width = w;
    $('#preview').height = h;
    $('#preview-caption').innerHTML =
      `what the models see<br />(${h} × ${w}${pre.channels === 3 ? ' RGB' : ''})`;
    $('#how-text').textContent =
      (drawable
        ? 'A drawing is preprocessed as for MNIST (LeCun et al.): the ink\u2019s bounding box is scaled, keeping its aspect ratio, so that its longer side is 20 pixels (area averaging, hence grey edges), then placed in a 28 × 28 field with its centre of mass on the centre. '
        : '') +
      `An uploaded image is decoded by the browser and resized here to ${h} × ${w} (fit ${pre.fit ?? 'cover'}, ${pre.channels === 1 ? 'grayscale' : 'RGB'}) as the run\u2019s loader did with sharp: Catmull-Rom when enlarging and Lanczos-3 when shrinking, as libvips does (on real MNIST PNGs: within 1 grey level when enlarging, under 1 on average when shrinking), then scaled by ${pre.scale.toPrecision(4)}. Test images are used exactly as the loader stored them.`;
    $('#upload').addEventListener('change', (event) => {
      const file = event.target.files?.[0];
      if (file)
        uploadImage(file).catch((e) =>
          fail(`${file.name}: not an image the browser decodes (${e.message})`),
        );
    });
  },
  get yours() {
    const input = state.input;
    if (input?.drawn) return 'Your drawing, preprocessed like MNIST.';
    const [h, w] = imagePre().size;
    return `Your image ${input?.name ?? ''}, resized to ${h} × ${w} like the training data.`;
  },
  bytes(index) {
    const [h, w] = imagePre().size;
    const per = h * w * imagePre().channels;
    return state.images.bytes.subarray(index * per, (index + 1) * per);
  },
  example(index) {
    const bytes = this.bytes(index);
    return { x: pixelsToInput(bytes, imagePre()), bytes };
  },
  thumb(index, button) {
    const pre = imagePre();
    const canvas = document.createElement('canvas');
    paintBytes(canvas, this.bytes(index), pre.size[0], pre.size[1], pre.channels);
    const caption = document.createElement('span');
    caption.textContent = state.images.classNames[state.images.labels[index]];
    button.append(canvas, caption);
  },
  picked(index) {
    const pre = imagePre();
    clearPad();
    if (!isDrawable(pre)) return;
    // Show the image on the pad, enlarged; the next stroke starts a new drawing.
    const small = document.createElement('canvas');
    paintBytes(small, this.bytes(index), 28, 28, 1, true);
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(small, 0, 0, pad.width, pad.height);
    showingSample = true;
    $('#pad-caption').textContent = `test image #${index} — draw to start over`;
  },
  preview(input) {
    const pre = imagePre();
    const bytes =
      input?.bytes ??
      (input ? toBytes(input.x) : new Uint8Array(pre.size[0] * pre.size[1] * pre.channels));
    paintBytes($('#preview'), bytes, pre.size[0], pre.size[1], pre.channels);
  },
};

/** An uploaded file → the model's input, through the browser's decoder and inputs.js. */
async function uploadImage(file) {
  const bitmap = await createImageBitmap(file, {
    colorSpaceConversion: 'none',
    premultiplyAlpha: 'none',
  });
  const canvas = document.createElement('canvas');
  canvas.width = bitmap.width;
  canvas.height = bitmap.height;
  const c2 = canvas.getContext('2d', { willReadFrequently: true });
  c2.drawImage(bitmap, 0, 0);
  const rgba = c2.getImageData(0, 0, bitmap.width, bitmap.height).data;
  const pre = imagePre();
  const bytes = resizeImage(rgba, bitmap.width, bitmap.height, pre);
  clearPad();
  $('#upload-name').textContent = `${file.name} (${bitmap.width} × ${bitmap.height})`;
  setInput({
    key: `upload:${++state.edits}`,
    x: pixelsToInput(bytes, pre),
    bytes,
    name: file.name,
  });
}

const tableKind = {
  prompt: 'fill in the row or pick a test row',
  yours: 'Your row, standardised with the training split\u2019s statistics.',
  columns: () => state.info.input.preprocessing.columns,
  width() {
    return state.info.input.shape[0];
  },
  setup() {
    $('#input-title').textContent = 'A table row';
    const form = $('#table-input');
    form.hidden = false;
    for (const column of this.columns()) {
      const label = document.createElement('label');
      label.textContent = column.name;
      let field;
      if (column.type === 'numeric') {
        field = document.createElement('input');
        field.type = 'number';
        field.step = 'any';
        field.value = String(Number(column.mean.toFixed(4)) || 0);
      } else {
        field = document.createElement('select');
        for (const word of column.vocabulary) field.append(new Option(word, word));
      }
      field.name = column.name;
      field.id = `column-${column.name}`;
      label.htmlFor = field.id;
      form.append(label, field);
    }
    form.addEventListener('input', () => this.fromForm());
    form.addEventListener('submit', (event) => event.preventDefault());
    $('#how-text').textContent =
      'Numeric columns are standardised with the mean and standard deviation of the training split; categorical columns are one-hot over the training split\u2019s values (as the loader did). A picked test row is used exactly as the loader encoded it.';
  },
  fromForm() {
    const values = Object.fromEntries(new FormData($('#table-input')).entries());
    try {
      setInput({ key: `row:${++state.edits}`, x: encodeRow(values, this.columns()) });
      $('#status').hidden = true;
    } catch (e) {
      fail(e.message);
    }
  },
  example(index) {
    const n = this.width();
    return { x: state.images.features.slice(index * n, (index + 1) * n) };
  },
  thumb(index, button) {
    button.textContent = `#${index} ${state.images.classNames[state.images.labels[index]]}`;
  },
  picked(index) {
    const values = decodeRow(this.example(index).x, this.columns());
    for (const [name, value] of Object.entries(values)) {
      const field = document.getElementById(`column-${name}`);
      if (field)
        field.value = typeof value === 'number' ? String(Number(value.toFixed(4)) || 0) : value;
    }
  },
};

const textKind = {
  prompt: 'paste a text or pick a test text',
  yours: 'Your text, tokenized in this page with the model\u2019s tokenizer.json.',
  setup() {
    $('#input-title').textContent = 'Paste a text';
    $('#text-input').hidden = false;
    let timer;
    $('#text').addEventListener('input', () => {
      clearTimeout(timer);
      timer = setTimeout(() => this.fromText(), 120);
    });
    const { file } = state.tokenizer;
    $('#how-text').textContent =
      `Text is split into lower-cased words and symbols and mapped to ids by the tokenizer fitted on the training split (${file.tokenizer.type}${file.tokenizer.vocabulary ? `, ${file.tokenizer.vocabulary.length} words` : ''}), padded or cut to ${file.length} tokens: the same code and file as in Node, so the ids are identical.`;
  },
  fromText() {
    const text = $('#text').value;
    if (!text.trim()) return setInput(undefined);
    setInput({ key: `text:${++state.edits}`, x: this.encode(text) });
  },
  encode(text) {
    return state.tokenizer.encode(text);
  },
  example(index) {
    return { x: this.encode(state.images.texts[index]) };
  },
  thumb(index, button) {
    button.classList.add('text-sample');
    const text = state.images.texts[index].replace(/\s+/g, ' ').slice(0, 80);
    button.textContent = `${state.images.classNames[state.images.labels[index]]} · ${text}`;
  },
  picked(index) {
    $('#text').value = state.images.texts[index];
  },
  preview(input) {
    const ids = input?.x;
    const used = ids ? ids.filter((id) => id !== 0).length : 0;
    $('#token-line').textContent = ids
      ? `${used} token${used === 1 ? '' : 's'} of ${ids.length} (0-padded${used === ids.length ? ', text cut' : ''})`
      : '\u00a0';
    document.body.dataset.tokens = ids ? JSON.stringify(Array.from(ids)) : '';
  },
};

const inputKinds = { image: imageKind, table: tableKind, tokens: textKind };

// ----------------------------------------------------------------------------------------------
// Test-example picker

function pickSample(index, button) {
  for (const b of document.querySelectorAll('#samples .selected')) b.classList.remove('selected');
  state.kind.picked?.(index);
  button.classList.add('selected');
  const label = state.images.labels[index];
  setInput({ key: `sample:${index}`, ...state.kind.example(index), label, index });
}

function buildPicker() {
  const { count } = state.images;
  const container = $('#samples');
  $('#picker-note').textContent = count
    ? `(${count} from the ${state.images.dataset} test split)`
    : '(no test examples available)';
  for (let i = 0; i < count; i++) {
    const button = document.createElement('button');
    button.type = 'button';
    button.dataset.index = String(i);
    button.title = `test example #${i}, label ${state.images.classNames[state.images.labels[i]]}`;
    state.kind.thumb(i, button);
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
    getJson('/api/examples.json'),
  ]);
  globalThis.demoState = state;
  state.info = info;
  info.input ??= MNIST_INPUT;
  const decode = (b64) => Uint8Array.from(atob(b64 ?? ''), (c) => c.charCodeAt(0));
  state.images = {
    ...images,
    bytes: images.pixels !== undefined ? decode(images.pixels) : undefined,
    features:
      images.features !== undefined ? new Float32Array(decode(images.features).buffer) : undefined,
    texts: images.texts ?? [],
  };
  state.kind = inputKinds[info.input.preprocessing.kind];
  if (!state.kind)
    throw new Error(
      `this run's input kind '${info.input.preprocessing.kind}' has no input in this page`,
    );
  if (info.tokenizer) {
    const [{ createTokenizer }, file] = await Promise.all([
      import('/gen/tokenizer.js'),
      getJson(info.tokenizer),
    ]);
    const tokenizer = createTokenizer(file.tokenizer);
    state.tokenizer = { file, encode: (text) => tokenizer.encode(text, file.length) };
  }
  await import('/gen/layers.js'); // registers Distillery's custom layers (a transformer teacher)
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
  state.kind.setup();
  for (const panel of panels) {
    buildBars(panel);
    resetPanel(panel);
  }
  buildPicker();
  state.kind.preview?.(undefined);
  await Promise.all(panels.map((p) => model(p.key())));
  document.body.dataset.ready = 'true';
}

main().catch((e) => fail(`the demo could not start: ${e.message}`));
