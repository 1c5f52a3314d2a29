// `distillery tune`: successive-halving search of a method's hyper-parameters on the validation
// split, with a saved teacher; prints the search table and saves the best config.
import { flagsToConfig, parseMethodFlags, type Flags } from '../options.ts';

export interface TuneFlags extends Flags {
  search?: string[];
  trials?: number;
  eta?: number;
  minRungEpochs?: number;
  finalTopK?: number;
}

export async function tuneCommand(flags: TuneFlags, extraArgs: string[]): Promise<void> {
  const { resolveConfig, readConfigFile } = await import('../../config.ts');
  const { tune, parseSearch, DEFAULT_SPACE } = await import('../../tune/tune.ts');
  const { renderTable } = await import('../../report/table.ts');
  const { usageError } = await import('../../errors.ts');
  const teacher = flags.teacher?.[0];
  if ((flags.teacher?.length ?? 0) > 1)
    throw usageError('tune takes one --teacher (ensembles: distill)');
  if (!teacher && !flags.teacherLogits)
    throw usageError(
      'tune needs --teacher <model-dir> (a saved teacher, e.g. runs/<run>/models/teacher) or --teacher-logits <store>',
    );
  const methodFlags = parseMethodFlags(extraArgs);
  const config = resolveConfig(
    flags.config ? readConfigFile(flags.config) : {},
    flagsToConfig(flags),
    {
      method: Object.fromEntries(methodFlags.map((f) => [f.key, f.value])),
    },
  );
  const space = flags.search?.length ? parseSearch(flags.search) : DEFAULT_SPACE;
  const quiet = flags.json;
  const results = await tune({
    config,
    teacherDir: teacher,
    space,
    trials: flags.trials,
    eta: flags.eta,
    minRungEpochs: flags.minRungEpochs,
    finalTopK: flags.finalTopK,
    events: {
      onInfo: (m) => void (quiet || process.stderr.write(m + '\n')),
      onCandidate: (r) =>
        void (
          quiet ||
          process.stderr.write(
            `rung ${r.rung} (${r.epochs} epochs) #${r.id} ${JSON.stringify(r.params)}: val acc ${(100 * r.validationAccuracy).toFixed(2)}%\n`,
          )
        ),
    },
  });
  if (flags.json) {
    process.stdout.write(JSON.stringify(results, null, 2) + '\n');
    return;
  }
  const keys = Object.keys(results.rows[0]?.params ?? {});
  process.stdout.write(
    renderTable(
      ['#', ...keys, 'epochs', 'val acc', ''],
      results.rows.map((r) => [
        String(r.id),
        ...keys.map((k) => String(r.params[k])),
        String(r.epochs),
        `${(100 * r.validationAccuracy).toFixed(2)}%`,
        r === results.best ? 'best' : '',
      ]),
    ) + '\n',
  );
  process.stdout.write(
    `Best config: ${results.bestConfigPath}\nReproduce: distillery distill ${teacher ? `--teacher ${teacher}` : `--teacher-logits ${flags.teacherLogits}`} --config ${results.bestConfigPath}\n`,
  );
}
