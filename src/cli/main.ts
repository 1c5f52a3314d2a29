// The `distillery` command line: a declarative command table (./commands/index.ts) over the
// library's own functions. Command modules, and TensorFlow.js with them, load only when a command
// runs, so `--help` is instant. This file is the only place that maps errors to exit codes.
import { Command } from 'commander';
import { commands } from './commands/index.ts';
import { describeSystemError, isSystemError } from '../io/system-errors.ts';

const EXIT_CODES = { usage: 2, data: 3, model: 4, training: 5, io: 6 } as const;

export function buildProgram(): Command {
  const program = new Command('distillery')
    .exitOverride()
    .description('Knowledge distillation for TypeScript on TensorFlow.js (Hinton et al. 2015)')
    .showHelpAfterError('(run with --help for usage)');
  for (const spec of commands) {
    const cmd = program.command(spec.name).description(spec.description);
    spec.configure(cmd);
    cmd.action(spec.action);
  }
  return program;
}

// `distillery methods | head`: a closed pipe is the reader's choice, not an error.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});

export async function main(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv);
    return 0;
  } catch (e) {
    const err = e as {
      code?: string;
      exitCode?: number;
      kind?: keyof typeof EXIT_CODES;
      message?: string;
    };
    if (err.code?.startsWith('commander.')) {
      // commander printed the message (or help) already.
      return err.code === 'commander.helpDisplayed' || err.code === 'commander.version' ? 0 : 2;
    }
    if (isSystemError(e)) {
      // A file-system failure that no command described (disk full, read-only, …): still one line.
      process.stderr.write(`distillery: ${describeSystemError(e).message}\n`);
      return EXIT_CODES.io;
    }
    if (err.kind && err.kind in EXIT_CODES) {
      process.stderr.write(`distillery: ${err.message}\n`);
      return EXIT_CODES[err.kind];
    }
    process.stderr.write(`distillery: unexpected error: ${(e as Error).stack ?? String(e)}\n`);
    return 1;
  }
}

process.exitCode = await main(process.argv);
