// A JSONL (or CSV / TSV) reader for LLM labelling: every record of the file in file order, its
// text read exactly as the `text` data kind reads it (fields joined, trimmed, cut: one definition,
// src/data/sources/text-records.ts) and its optional label, so that the per-row digests of a store
// labelled here (src/data/record-hash.ts) are the rows a `distill --data <file>` trains on.
// Unlike the text kind it keeps records without a label (label -1): an LLM labels those too.
// Leaves out: splits and tokenisation (a store of the whole file serves any split of it).
import { existsSync } from 'node:fs';
import { dataError } from '../errors.ts';
import { rowsHash, textRowHashes } from '../data/record-hash.ts';
import {
  classNamesOf,
  present,
  readRecords,
  recordText,
  textRecordsOptions,
} from '../data/sources/text-records.ts';

export interface TextRecords {
  path: string;
  texts: string[];
  /** Class index per record, -1 when the record has no label. */
  labels: Int32Array;
  /** Class names: given, or the distinct labels of the file in the text kind's order. */
  classNames: string[];
  /** Per-record digests (text and label), [count × 16]. */
  rowHashes: Uint8Array;
  /** Hash of the digests in order, the data identity. */
  hash: string;
}

export function readTextRecords(
  path: string,
  options: { textField?: string; labelField?: string; classNames?: string[] } = {},
): TextRecords {
  const textField = options.textField ?? 'text';
  const labelField = options.labelField ?? 'label';
  const { maxChars } = textRecordsOptions.parse({});
  if (!existsSync(path)) throw dataError(`${path}: no such file`);
  const rows = readRecords(path);
  if (rows.length === 0) throw dataError(`${path}: no records`);
  const texts: string[] = [];
  const values: (string | undefined)[] = [];
  rows.forEach((row, i) => {
    if (!present(row[textField]))
      throw dataError(`${path}: record ${i + 1} has no field '${textField}' (pass --text-field)`);
    texts.push(recordText(row, [textField], maxChars).text);
    values.push(present(row[labelField]) ? String(row[labelField]).trim() : undefined);
  });
  const classNames =
    options.classNames ?? classNamesOf(values.filter((l): l is string => l !== undefined));
  const labels = Int32Array.from(values, (label, i) => {
    if (label === undefined) return -1;
    const c = classNames.indexOf(label);
    if (c < 0)
      throw dataError(
        `${path}: record ${i + 1} has label '${label}', not one of ${classNames.join(', ')}`,
      );
    return c;
  });
  const rowHashes = textRowHashes(texts, labels);
  return { path, texts, labels, classNames, rowHashes, hash: rowsHash(rowHashes) };
}
