// Tokenizers on real mails: fitted on the training split only, deterministic, padding and
// truncation, misspellings sharing character n-grams, bad descriptions refused, and the very same
// module giving the same ids in headless Chromium as in Node.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadDataset } from '../data/index.ts';
import {
  checkTokenizerSpec,
  createTokenizer,
  fitTokenizer,
  splitWords,
  vocabularySize,
} from './tokenizer.ts';
import { checkTokenizerMatchesData, writeTokenizerFile } from './tokenizer-file.ts';

const data = await loadDataset({ dataset: 'spam-assassin', validationSize: 300, seed: 1 });
const trainTexts = data.train.texts!;
const testTexts = data.test.texts!;

test('words: vocabulary from the training split only, ranked by count, deterministic', () => {
  const spec = fitTokenizer(trainTexts, { vocabularySize: 5000 });
  assert.equal(spec.type, 'words');
  if (spec.type !== 'words') return;
  assert.equal(spec.vocabulary.length, 5000);
  assert.deepEqual(fitTokenizer(trainTexts, { vocabularySize: 5000 }), spec);
  const trainWords = new Set(trainTexts.flatMap((t) => splitWords(t)));
  const testOnly = [...new Set(testTexts.flatMap((t) => splitWords(t)))].filter(
    (w) => !trainWords.has(w),
  );
  assert.ok(testOnly.length > 100, 'the test split has words of its own');
  assert.ok(
    testOnly.every((w) => !spec.vocabulary.includes(w)),
    'no test-only word in the vocabulary',
  );
  // The dataset's own tokenizer is the one fitted on its train split.
  const own = (data.spec.inputs[0].preprocessing as { tokenizer: unknown }).tokenizer;
  assert.deepEqual(own, fitTokenizer(trainTexts, { vocabularySize: 10_000 }));
});

test('encode: pads with 0, truncates, unknown words land in the hashed buckets', () => {
  const spec = fitTokenizer(trainTexts, { vocabularySize: 1000, oovBuckets: 50 });
  const tok = createTokenizer(spec);
  assert.deepEqual(Array.from(tok.encode('', 5)), [0, 0, 0, 0, 0]);
  const long = 'free money '.repeat(100_000); // 1.1 MB of text
  const ids = tok.encode(long, 16);
  assert.equal(ids.length, 16);
  assert.ok(ids.every((v) => v >= 2));
  const unknown = tok.ids('qzxqzxunseenword')[0];
  assert.ok(unknown >= 1002 && unknown < 1052, `unknown id ${unknown}`);
  assert.equal(vocabularySize(spec), 1052);
  const all = tok.ids(testTexts.slice(0, 50).join(' '));
  assert.ok(all.every((v) => v >= 1 && v < vocabularySize(spec)));
});

test('char-ngrams: a misspelling shares most n-gram ids with the word', () => {
  const tok = createTokenizer(fitTokenizer([], { type: 'char-ngrams', buckets: 100_000 }));
  const a = new Set(tok.ids('mortgage'));
  const b = tok.ids('morttgage');
  const c = tok.ids('bicycle');
  const shared = (ids: number[]) => ids.filter((i) => a.has(i)).length / ids.length;
  assert.ok(shared(b) > 0.4, `misspelling shares ${shared(b)}`);
  assert.ok(shared(c) < 0.05, `unrelated word shares ${shared(c)}`);
});

test('a tokenizer description that is not one is refused in one line', () => {
  assert.throws(
    () => checkTokenizerSpec({ type: 'bpe', merges: [] }),
    /not a tokenizer description/,
  );
  assert.throws(
    () =>
      checkTokenizerSpec({ type: 'words', vocabulary: [1, 2], oovBuckets: 0, maxWordLength: 30 }),
    /not a tokenizer/,
  );
});

const CHROMIUM = '/usr/bin/chromium';
test(
  'the same module gives the same ids in headless Chromium as in Node (300 real mails, both kinds)',
  { skip: !existsSync(CHROMIUM) && `${CHROMIUM} not installed` },
  async () => {
    // TypeScript (a declared devDependency) strips the types; the CommonJS output is wrapped so
    // the page gets the module's exports as one global. Nothing else is bundled: the module has no
    // imports, which is what lets the browser run it as it is.
    const ts = (await import('typescript')).default;
    const source = readFileSync(new URL('./tokenizer.ts', import.meta.url), 'utf8');
    assert.doesNotMatch(source, /^import /m, 'tokenizer.ts must stay free of imports');
    const cjs = ts.transpileModule(source, {
      compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 },
    }).outputText;
    const script = `var DistilleryTokenizer = (function () { var exports = {}; ${cjs}\nreturn exports; })();`;
    const texts = [
      ...testTexts.slice(0, 298),
      'Ünïcödé — café naïve 日本語のメール 🚀 ﬁnance',
      '\u0000\uFFFD bad bytes \uD800',
    ];
    const specs = [fitTokenizer(trainTexts), fitTokenizer([], { type: 'char-ngrams' })];
    const node = specs.map((s) => texts.map((t) => Array.from(createTokenizer(s).encode(t, 256))));
    const { chromium } = await import('playwright-core');
    const profile = mkdtempSync(join(tmpdir(), 'distillery-chromium-'));
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
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
      await page.addScriptTag({ content: script });
      const browser = await page.evaluate(
        ({ specs, texts }) => {
          const T = (
            globalThis as unknown as { DistilleryTokenizer: typeof import('./tokenizer.ts') }
          ).DistilleryTokenizer;
          return specs.map((s) =>
            texts.map((t) => Array.from(T.createTokenizer(s).encode(t, 256))),
          );
        },
        { specs, texts },
      );
      assert.equal(browser[0].length, texts.length);
      assert.deepEqual(browser, node);
      assert.ok(
        node[0].some((row) => row.some((v) => v > 100)),
        'ids are not trivially all padding',
      );
    } finally {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    }
  },
);

test("a saved model's tokenizer.json that is not the data's is refused in one line, naming the fix", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'distillery-tokmatch-'));
  try {
    // Two real corpus slices: the same sizes and length, vocabularies fitted on other mails.
    const a = await loadDataset({ dataset: 'spam-assassin', trainLimit: 300 });
    const b = await loadDataset({ dataset: 'spam-assassin', trainLimit: 400 });
    writeTokenizerFile(dir, a.spec);
    checkTokenizerMatchesData(dir, 'teacher', a.spec); // the data it was trained on: fine
    assert.throws(
      () => checkTokenizerMatchesData(dir, 'teacher', b.spec),
      (e: Error) =>
        /^teacher .* was trained on other token ids: .*--data-option tokenizerFile=.*tokenizer\.json$/.test(
          e.message,
        ) && !e.message.includes('\n'),
    );
    // The fix the message names: encode with the model's own file.
    const c = await loadDataset({
      dataset: 'spam-assassin',
      trainLimit: 400,
      options: { tokenizerFile: join(dir, 'tokenizer.json') },
    });
    checkTokenizerMatchesData(dir, 'teacher', c.spec);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
