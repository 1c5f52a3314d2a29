// Where an export may be written: never over, around or inside its source model (compared by
// real path, so a symlink to the model folder is caught), and never into a non-empty folder unless the caller
// says to overwrite it (--force), so a run's teacher or another export is not replaced by mistake.
import { existsSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve, sep } from 'node:path';
import { usageError } from '../errors.ts';

/** The real path of `path`, resolving symlinks in the part of it that exists. */
export function realPath(path: string): string {
  const absolute = resolve(path);
  if (existsSync(absolute)) return realpathSync(absolute);
  const parent = dirname(absolute);
  return parent === absolute ? absolute : join(realPath(parent), basename(absolute));
}

/** Throws a usage error if exporting `modelDir` into `outDir` would overwrite something. */
export function checkExportTarget(
  modelDir: string,
  outDir: string,
  options: { overwrite?: boolean; flag?: string } = {},
): void {
  const flag = options.flag ?? '--out';
  const source = realPath(modelDir);
  const target = realPath(outDir);
  if (target === source)
    throw usageError(
      `${flag} ${outDir} is the model folder itself${target !== resolve(outDir) ? ` (${modelDir}, through a symlink)` : ''}: choose another folder`,
    );
  if (source.startsWith(target + sep))
    throw usageError(
      `${flag} ${outDir} contains the model folder ${modelDir}: choose another folder`,
    );
  // Inside the source: the export would become part of the model folder it reads (a run's
  // sealed stage model, which later copies and exports would carry along).
  if (target.startsWith(source + sep))
    throw usageError(
      `${flag} ${outDir} is inside the model folder ${modelDir}: choose a folder outside it`,
    );
  if (!existsSync(target)) return;
  if (!statSync(target).isDirectory())
    throw usageError(`${flag} ${outDir} is a file, not a folder: choose a folder`);
  const names = readdirSync(target);
  if (names.length > 0 && !options.overwrite) {
    const what = names.includes('model.json') ? 'a model' : `${names.length} file(s)`;
    throw usageError(
      `${flag} ${outDir} is not empty (it holds ${what}): choose a new or empty folder, or pass --force to overwrite it`,
    );
  }
}
