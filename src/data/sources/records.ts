// Record readers: CSV / TSV (csv-parse), Parquet (hyparquet) and JSON Lines, each into one
// shape — named columns and rows of cells with the file line of each row — so that every
// tabular kind (table, jsonl, and text kinds later) encodes from the same thing. Errors name
// the file and line. Leaves out: streaming (a file is read whole), nested Parquet types.
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { dataError } from '../../errors.ts';

export type Cell = string | number | boolean | null;

export interface Records {
  columns: string[];
  /** rows[i][j] = column j of row i; missing cells are null. */
  rows: Cell[][];
  /** 1-based file line of each row (Parquet: row number), for error messages. */
  lines: number[];
  /** The file read. */
  path: string;
}

export type RecordFormat = 'csv' | 'tsv' | 'parquet' | 'jsonl';

/** The format a file's extension names, if any. */
export function recordFormatOf(path: string): RecordFormat | undefined {
  const ext = extname(path).toLowerCase();
  if (ext === '.csv') return 'csv';
  if (ext === '.tsv' || ext === '.tab') return 'tsv';
  if (ext === '.parquet' || ext === '.pq') return 'parquet';
  if (ext === '.jsonl' || ext === '.ndjson') return 'jsonl';
  return undefined;
}

/** Reads a CSV, TSV, Parquet or JSON Lines file (format from the extension unless given). */
export async function readRecords(path: string, format = recordFormatOf(path)): Promise<Records> {
  if (format === 'parquet') return readParquet(path);
  const text = readText(path);
  if (format === 'jsonl') return parseJsonLines(text, path);
  if (format === 'csv' || format === 'tsv')
    return parseDelimited(text, path, format === 'tsv' ? '\t' : ',');
  throw dataError(`${path}: unknown table format (use .csv, .tsv, .parquet or .jsonl)`);
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw dataError(`cannot read ${path} (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}

/** CSV / TSV with a header row; ragged rows and broken quotes are one-line errors. */
export async function parseDelimited(
  text: string,
  path: string,
  delimiter: string,
): Promise<Records> {
  const { parse } = await import('csv-parse/sync');
  let parsed: { record: string[]; info: { lines: number } }[];
  try {
    parsed = parse(text, {
      delimiter,
      bom: true,
      info: true,
      skip_empty_lines: true,
      trim: true,
    }) as unknown as typeof parsed;
  } catch (e) {
    const err = e as Error & { code?: string; lines?: number; record?: string[] };
    if (err.code === 'CSV_RECORD_INCONSISTENT_FIELDS_LENGTH') {
      const header = text.slice(0, text.indexOf('\n')).split(delimiter).length;
      throw dataError(
        `${path}: line ${err.lines} has ${err.record?.length ?? '?'} fields but the header has ${header} (ragged row): fix that row, or quote fields that contain '${delimiter === '\t' ? '\\t' : delimiter}'`,
      );
    }
    throw dataError(`${path}: not valid ${delimiter === '\t' ? 'TSV' : 'CSV'} (${err.message})`);
  }
  if (parsed.length === 0) throw dataError(`${path}: empty file (a header row is expected)`);
  const [header, ...body] = parsed;
  const columns = header.record.map((c, j) => c || `column${j + 1}`);
  const duplicate = columns.find((c, j) => columns.indexOf(c) !== j);
  if (duplicate) throw dataError(`${path}: the header names column '${duplicate}' twice`);
  return {
    columns,
    rows: body.map((r) => r.record.map((v) => (v === '' ? null : v))),
    lines: body.map((r) => r.info.lines),
    path,
  };
}

/** One JSON object per line; fields become columns (in order of first appearance). */
export function parseJsonLines(text: string, path: string): Records {
  const objects: Record<string, unknown>[] = [];
  const lines: number[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (e) {
      throw dataError(`${path}: line ${i + 1} is not valid JSON (${(e as Error).message})`);
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value))
      throw dataError(`${path}: line ${i + 1} is not a JSON object (one record per line)`);
    objects.push(value as Record<string, unknown>);
    lines.push(i + 1);
  });
  if (objects.length === 0) throw dataError(`${path}: no records (one JSON object per line)`);
  return fromObjects(objects, lines, path);
}

async function readParquet(path: string): Promise<Records> {
  const { asyncBufferFromFile, parquetReadObjects } = await import('hyparquet');
  let objects: Record<string, unknown>[];
  try {
    objects = await parquetReadObjects({ file: await asyncBufferFromFile(path) });
  } catch (e) {
    throw dataError(`${path}: not a readable Parquet file (${(e as Error).message})`);
  }
  if (objects.length === 0) throw dataError(`${path}: no rows`);
  return fromObjects(
    objects,
    objects.map((_, i) => i + 1),
    path,
  );
}

function fromObjects(objects: Record<string, unknown>[], lines: number[], path: string): Records {
  const columns: string[] = [];
  const seen = new Set<string>();
  for (const o of objects)
    for (const k of Object.keys(o))
      if (!seen.has(k)) {
        seen.add(k);
        columns.push(k);
      }
  return { columns, rows: objects.map((o) => columns.map((c) => toCell(o[c]))), lines, path };
}

function toCell(v: unknown): Cell {
  if (v === undefined || v === null) return null;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean') return v;
  if (v instanceof Date) return v.toISOString();
  return JSON.stringify(v);
}
