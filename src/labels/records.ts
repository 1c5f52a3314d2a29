// A minimal JSONL reader for LLM labelling: one JSON object per line with a text field and an
// optional label field, read in file order. Stands in until the data sources' `records` kind
// (src/data/sources/, issue 8) lands; it reads only what an LLM teacher needs.
// Leaves out: splits, tokenisation, nested fields, other encodings than UTF-8.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dataError } from '../errors.ts';

export interface TextRecords {
  path: string;
  texts: string[];
  /** Class index per record, -1 when the record has no label. */
  labels: Int32Array;
  /** Class names: given, or the sorted distinct labels of the file. */
  classNames: string[];
  /** SHA-256 of texts and labels, the data identity. */
  hash: string;
}

export function readTextRecords(
  path: string,
  options: { textField?: string; labelField?: string; classNames?: string[] } = {},
): TextRecords {
  const textField = options.textField ?? 'text';
  const labelField = options.labelField ?? 'label';
  if (!existsSync(path)) throw dataError(`${path}: no such file`);
  const rows: { text: string; label?: string }[] = [];
  readFileSync(path, 'utf8')
    .split('\n')
    .forEach((line, i) => {
      if (line.trim() === '') return;
      let obj: Record<string, unknown>;
      try {
        obj = JSON.parse(line);
      } catch {
        throw dataError(`${path}:${i + 1}: not a JSON object (one record per line)`);
      }
      const text = obj[textField];
      if (typeof text !== 'string')
        throw dataError(`${path}:${i + 1}: no string field '${textField}' (pass --text-field)`);
      const label = obj[labelField];
      rows.push({ text, label: label === undefined || label === null ? undefined : String(label) });
    });
  if (rows.length === 0) throw dataError(`${path}: no records`);
  const classNames =
    options.classNames ??
    [...new Set(rows.map((r) => r.label).filter((l): l is string => l !== undefined))].sort();
  const labels = Int32Array.from(rows, (r, i) => {
    if (r.label === undefined) return -1;
    const c = classNames.indexOf(r.label);
    if (c < 0)
      throw dataError(
        `${path}: record ${i + 1} has label '${r.label}', not one of ${classNames.join(', ')}`,
      );
    return c;
  });
  const hash = createHash('sha256');
  for (const r of rows) hash.update(`${r.text.length}:${r.text}`);
  hash.update(new Uint8Array(labels.buffer));
  return { path, texts: rows.map((r) => r.text), labels, classNames, hash: hash.digest('hex') };
}
