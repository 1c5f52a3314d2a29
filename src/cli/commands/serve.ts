// `distillery serve [run-dir]`: the browser demo of a run (teacher vs. distilled student, in the
// page on TensorFlow.js) on a local web server; prints its URL and runs until SIGINT / SIGTERM.
export interface ServeFlags {
  port?: number;
  host?: string;
  /** commander's --no-export: false skips writing <run>/exports/uint8. */
  export?: boolean;
}

export async function serveCommand(runDir: string | undefined, flags: ServeFlags): Promise<void> {
  const { findNewestRun } = await import('../../run/folder.ts');
  const dir = runDir ?? findNewestRun('runs');
  const { startServer } = await import('../../serve/server.ts');
  const err = (line: string) => process.stderr.write(line + '\n');
  const server = await startServer({
    runDir: dir,
    port: flags.port,
    host: flags.host,
    quantizedExport: flags.export,
    onInfo: err,
  });
  const host = flags.host ?? '127.0.0.1';
  if (!['127.0.0.1', 'localhost', '::1'].includes(host))
    err(`warning: listening on ${host}: other machines on the network can open this demo`);
  err(`serving ${server.runDir} (Ctrl-C to stop)`);
  process.stdout.write(server.url + '\n');
  await new Promise<void>((done) => {
    const stop = (signal: NodeJS.Signals) => {
      err(`${signal}: stopping the server`);
      void server.close().then(done);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}
