// Users' labelled text from a .jsonl, .csv or .tsv file (`--data reviews.jsonl --text-field text
// --label-field label`; several text fields are joined by newlines). Bad input never reaches
// tfjs: invalid UTF-8 or JSON is a one-line error naming the line; rows without a label and
// rows whose text is empty are skipped and counted; over-long texts are cut and counted; a single
// class is an error. As a --transfer-set (unlabelled) no label field is needed and the texts are
// encoded with the labelled data's tokenizer, all in one split. A small reader of its own (JSONL by lines, CSV/TSV through csv-parse) until
// the records/table sources of the data issue land; the integrator may unify them.
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parse } from 'csv-parse/sync';
import { z } from 'zod';
import { defineDataSource } from '../source.ts';
import { dataError, usageError } from '../../errors.ts';
import { buildTextDataset, buildUnlabelledTexts } from '../../text/text-dataset.ts';
import { withRecordsHash } from '../record-hash.ts';
import { readTokenizerFile } from '../../text/tokenizer-file.ts';
import { textRunDefaults } from './text-spam-assassin.ts';

export const textRecordsOptions = z
  .object({
    /** Field(s) holding the text; several are joined with newlines. */
    textField: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).default('text'),
    labelField: z.string().min(1).default('label'),
    sequenceLength: z.number().int().min(8).max(4096).default(128),
    maxChars: z.number().int().min(10).default(20_000),
    tokenizer: z.enum(['words', 'char-ngrams']).default('words'),
    vocabularySize: z.number().int().min(10).default(10_000),
    testShare: z.number().min(0.05).max(0.9).default(0.2),
    /** A model's tokenizer.json to encode with (evaluate / export), instead of fitting one. */
    tokenizerFile: z.string().optional(),
    /** Augmented copies of each training text for the distilled student (Tang et al. 2019; 0 = off). */
    augmentCopies: z.number().int().min(0).max(50).default(0),
  })
  .strict();

export type TextRecordsOptions = z.infer<typeof textRecordsOptions>;
type Row = Record<string, unknown>;

/** Decodes UTF-8 strictly; a bad byte is reported with its line. */
export function decodeUtf8(bytes: Uint8Array, path: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes).replace(/^\uFEFF/, '');
  } catch {
    // Find the first bad byte for the message: decode growing prefixes by line.
    let line = 1;
    let start = 0;
    for (let i = 0; i <= bytes.length; i++) {
      if (i === bytes.length || bytes[i] === 0x0a) {
        try {
          new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(start, i));
        } catch {
          break;
        }
        line++;
        start = i + 1;
      }
    }
    throw dataError(
      `${path}: line ${line} is not valid UTF-8 (e.g. Latin-1 or Windows-1252 bytes): re-save the file as UTF-8`,
    );
  }
}

/** Rows of a .jsonl / .csv / .tsv file. */
export function readRecords(path: string): Row[] {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch {
    throw dataError(`--data ${path}: cannot read the file`);
  }
  const text = decodeUtf8(bytes, path);
  const ext = extname(path).toLowerCase();
  if (ext === '.jsonl' || ext === '.ndjson') {
    const rows: Row[] = [];
    text.split(/\r?\n/).forEach((line, i) => {
      if (line.trim() === '') return;
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch (e) {
        throw dataError(`${path}: line ${i + 1} is not JSON (${(e as Error).message})`);
      }
      if (!value || typeof value !== 'object' || Array.isArray(value))
        throw dataError(`${path}: line ${i + 1} is not a JSON object`);
      rows.push(value as Row);
    });
    return rows;
  }
  if (ext === '.csv' || ext === '.tsv') {
    try {
      return parse(text, {
        columns: true,
        delimiter: ext === '.tsv' ? '\t' : ',',
        skip_empty_lines: true,
        relax_column_count: true,
      }) as Row[];
    } catch (e) {
      throw dataError(
        `${path}: not a readable ${ext.slice(1).toUpperCase()} file (${(e as Error).message.split('\n')[0]})`,
      );
    }
  }
  throw usageError(`--data ${path}: text data must be .jsonl, .csv or .tsv`);
}

/** Whether a field holds a value (not missing, not blank). */
export const present = (v: unknown) => v !== undefined && v !== null && String(v).trim() !== '';

/**
 * A record's text as text sources read it: the fields joined by newlines, trimmed, cut to
 * `maxChars`. One definition, shared with the LLM labeller (src/labels/records.ts), so a store
 * labelled from a file finds the rows a text dataset of the same file trains on.
 */
export function recordText(
  row: Row,
  fields: string[],
  maxChars: number,
): { text: string; cut: boolean } {
  const text = fields
    .map((f) => row[f])
    .filter(present)
    .map((v) => (typeof v === 'string' ? v : JSON.stringify(v)))
    .join('\n')
    .trim();
  return { text: text.slice(0, maxChars), cut: text.length > maxChars };
}

/** Class names of label values: distinct, numeric order when all are numbers, else sorted. */
export function classNamesOf(labelValues: readonly string[]): string[] {
  const numeric = labelValues.every((v) => Number.isFinite(Number(v)));
  return [...new Set(labelValues)].sort((a, b) =>
    numeric ? Number(a) - Number(b) : a < b ? -1 : a > b ? 1 : 0,
  );
}

export const textRecordsSource = defineDataSource({
  name: 'text',
  description: 'labelled text in a .jsonl / .csv / .tsv file (--text-field, --label-field)',
  schema: textRecordsOptions,
  needsPath: true,
  runDefaults: textRunDefaults,
  // Chosen explicitly (--data-kind text, or any --text-field): .csv / .jsonl may be tables too.
  detect: () => false,
  load: async (o) => {
    const path = o.path!;
    const rows = readRecords(path);
    if (rows.length === 0) throw dataError(`${path}: no rows`);
    const fields = Array.isArray(o.textField) ? o.textField : [o.textField];
    const known = new Set(rows.flatMap((r) => Object.keys(r)));
    // An unlabelled transfer set needs no label field: every row with a text is an example.
    for (const f of o.unlabelled ? fields : [...fields, o.labelField])
      if (!known.has(f))
        throw usageError(
          `${path}: no field '${f}' in any row (fields: ${[...known].slice(0, 20).join(', ')})`,
        );
    let noLabel = 0;
    let empty = 0;
    let cut = 0;
    const texts: string[] = [];
    const labelValues: string[] = [];
    for (const row of rows) {
      if (!o.unlabelled && !present(row[o.labelField])) {
        noLabel++;
        continue;
      }
      const { text, cut: wasCut } = recordText(row, fields, o.maxChars);
      if (text === '') {
        empty++;
        continue;
      }
      if (wasCut) cut++;
      texts.push(text);
      if (!o.unlabelled) labelValues.push(String(row[o.labelField]).trim());
    }
    if (o.unlabelled) {
      if (texts.length === 0) throw dataError(`${path}: no row has a text (${fields.join(', ')})`);
      if (!o.spec)
        throw usageError(`${path}: a text transfer set needs labelled text data (--data)`);
      const limited = o.trainLimit !== undefined ? texts.slice(0, o.trainLimit) : texts;
      const notes = [
        `${rows.length} rows`,
        ...(empty ? [`${empty} rows with an empty text skipped`] : []),
        ...(cut ? [`${cut} texts cut to ${o.maxChars} characters`] : []),
      ];
      return withRecordsHash(
        buildUnlabelledTexts(limited, { name: path, source: path, spec: o.spec, notes }),
      );
    }
    if (texts.length === 0)
      throw dataError(
        `${path}: no row has both a label ('${o.labelField}') and a text (${fields.join(', ')})`,
      );
    const classNames = classNamesOf(labelValues);
    const index = new Map(classNames.map((c, i) => [c, i]));
    const fitted = o.tokenizerFile ? readTokenizerFile(o.tokenizerFile) : undefined;
    if (o.tokenizerFile && !fitted)
      throw usageError(`tokenizerFile ${o.tokenizerFile}: no such file`);
    const notes = [
      `${rows.length} rows`,
      ...(noLabel ? [`${noLabel} rows without a label skipped`] : []),
      ...(empty ? [`${empty} rows with an empty text skipped`] : []),
      ...(cut ? [`${cut} texts cut to ${o.maxChars} characters`] : []),
    ];
    const dataset = buildTextDataset(
      { texts, labels: Int32Array.from(labelValues, (v) => index.get(v)!) },
      {
        name: path,
        source: path,
        classNames,
        length: fitted?.length ?? o.sequenceLength,
        tokenizer: { type: o.tokenizer, vocabularySize: o.vocabularySize },
        fitted: fitted?.tokenizer,
        textDescription: `${fields.join(' + ')} (≤ ${o.maxChars} chars)`,
        notes,
        seed: o.splitSeed ?? 1,
        augmentCopies: o.augmentCopies,
        testShare: o.testShare,
        validationSize: o.validationSize,
        trainLimit: o.trainLimit,
        testLimit: o.testLimit,
        splits: o.splits,
      },
    );
    return withRecordsHash(dataset); // the store identity of its rows
  },
});
