// Table source: CSV / TSV (csv-parse) and Parquet (hyparquet) files with a label column. Numeric
// columns are standardised and categorical ones one-hot encoded with training-split statistics
// (see columns.ts); the split is stratified and seeded unless a split column is given.
import { basename } from 'node:path';
import { z } from 'zod';
import type { Dataset } from '../dataset.ts';
import { defineDataSource, type CommonDataOptions } from '../source.ts';
import { loadRecordsDataset, recordOptionsShape } from './columns.ts';
import { readRecords, recordFormatOf } from './records.ts';

export const tableSchema = z.object(recordOptionsShape).strict();

/** Library form: `csvTable({ path: 'table.csv', labelColumn: 'species' })` (also .tsv / .parquet). */
export async function csvTable(
  options: z.input<typeof tableSchema> & CommonDataOptions & { path: string },
): Promise<Dataset> {
  const keys = Object.keys(recordOptionsShape);
  const own = Object.fromEntries(Object.entries(options).filter(([k]) => keys.includes(k)));
  const common = Object.fromEntries(Object.entries(options).filter(([k]) => !keys.includes(k)));
  return tableSource.load({ ...(common as CommonDataOptions), ...tableSchema.parse(own) });
}

export const tableSource = defineDataSource({
  name: 'table',
  description: 'a .csv, .tsv or .parquet table with a label column (--label-column)',
  schema: tableSchema,
  needsPath: true,
  detect: (path) => ['csv', 'tsv', 'parquet'].includes(recordFormatOf(path) ?? ''),
  load: async (o) => {
    const format = recordFormatOf(o.path!);
    const records = await readRecords(
      o.path!,
      format === 'parquet' || format === 'tsv' ? format : 'csv',
    );
    return loadRecordsDataset(records, o, basename(o.path!));
  },
});
