// Node's file-system errors (ENOSPC, EROFS, EACCES, ENOTDIR, …) as one-line io errors: what failed,
// on which path, why in words, and what to do. main.ts maps any such error that escapes to exit 6,
// so a disk that fills up mid-run never ends in a stack trace.
import { DistilleryError, ioError } from '../errors.ts';

const REASONS: Record<string, string> = {
  ENOSPC: 'no space left on the device; free some space or write elsewhere',
  EDQUOT: 'disk quota exceeded; free some space or write elsewhere',
  EROFS: 'the file system is read-only',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOTDIR: 'a part of the path is a file, not a folder',
  EISDIR: 'it is a folder, not a file',
  EEXIST: 'it already exists',
  ENOENT: 'no such file or folder',
  ENOTEMPTY: 'the folder is not empty',
  EMFILE: 'too many open files',
  ENFILE: 'too many open files in the system',
  EIO: 'input/output error (failing disk?)',
  ELOOP: 'too many symbolic links',
  ENAMETOOLONG: 'the name is too long',
};

/** Whether `e` is a Node system error of the file system. */
export function isSystemError(e: unknown): e is NodeJS.ErrnoException {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' && code in REASONS && !(e instanceof DistilleryError);
}

/**
 * A one-line io error for a system error (`context` says what was being done, `hint` how to fix
 * it); any other error is returned unchanged, to be rethrown.
 */
export function describeSystemError(e: unknown, context?: string, hint?: string): Error {
  if (!isSystemError(e)) return e as Error;
  const code = e.code!;
  const dest = (e as { dest?: string }).dest;
  const path = e.path ? `${e.path}${dest ? ` → ${dest}` : ''}` : '';
  const what = context ?? `${e.syscall ?? 'file operation'} ${path}`.trim();
  const where = context && path && !context.includes(e.path!) ? ` (${path})` : '';
  return ioError(`${what}${where}: ${REASONS[code]} [${code}]${hint ? `; ${hint}` : ''}`);
}
