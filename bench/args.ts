// Command-line options of the benchmarks, parsed by Node's own util.parseArgs (strict: an unknown
// or misspelt flag stops the benchmark with one line instead of being silently ignored).
import { parseArgs } from 'node:util';

/** String options by name (`--name value`), plus boolean `flags` (`--no-write`). */
export function benchArgs(
  names: string[],
  flags: string[] = [],
): { get(name: string): string | undefined; has(flag: string): boolean } {
  let values: Record<string, unknown>;
  try {
    ({ values } = parseArgs({
      options: Object.fromEntries([
        ...names.map((n) => [n, { type: 'string' as const }]),
        ...flags.map((f) => [f, { type: 'boolean' as const }]),
      ]),
      strict: true,
    }));
  } catch (e) {
    const known = [...names.map((n) => `--${n} <value>`), ...flags.map((f) => `--${f}`)];
    console.error(`${(e as Error).message} (options: ${known.join(', ')})`);
    process.exit(2);
  }
  return {
    get: (name) => values[name] as string | undefined,
    has: (flag) => values[flag] === true,
  };
}
