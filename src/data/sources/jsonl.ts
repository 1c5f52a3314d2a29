// JSON Lines source: one JSON object per line, its fields the columns (numeric / categorical,
// encoded as tables are, see columns.ts). Text fields belong to the text kinds (issue 9), which
// reuse `readRecords` and the column encoder; here a text field must be left out (ignoreColumns).
import { basename } from 'node:path';
import { z } from 'zod';
import { defineDataSource } from '../source.ts';
import { loadRecordsDataset, recordOptionsShape } from './columns.ts';
import { readRecords, recordFormatOf } from './records.ts';

export const jsonlSchema = z.object(recordOptionsShape).strict();

export const jsonlSource = defineDataSource({
  name: 'jsonl',
  description: 'a .jsonl file of records (one JSON object per line) with a label field',
  schema: jsonlSchema,
  needsPath: true,
  detect: (path) => recordFormatOf(path) === 'jsonl',
  load: async (o) => loadRecordsDataset(await readRecords(o.path!, 'jsonl'), o, basename(o.path!)),
});
