// Used by `npm start`: builds the optional native backend once if OpenBLAS is installed and the
// addon is not built yet; otherwise says how to get it and lets Distillery run on wasm.
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

const addon = new URL('../native/build/Release/distillery_native.node', import.meta.url);
if (existsSync(addon)) process.exit(0);
const blas = spawnSync(
  'sh',
  [
    '-c',
    'ls /usr/include/*/cblas.h /usr/include/cblas.h /usr/include/openblas/cblas.h 2>/dev/null',
  ],
  {
    encoding: 'utf8',
  },
);
if (!blas.stdout.trim()) {
  process.stderr.write(
    "distillery: the fast native backend is not built (needs OpenBLAS: 'apt-get install libopenblas-dev', then 'npm run build:native'); running on wasm, which is several times slower\n",
  );
  process.exit(0);
}
process.stderr.write(
  'distillery: building the native OpenBLAS backend once (npm run build:native)…\n',
);
const build = spawnSync(
  process.execPath,
  [new URL('../native/build.mjs', import.meta.url).pathname],
  {
    stdio: ['ignore', 'ignore', 'inherit'],
  },
);
if (build.status !== 0) process.stderr.write('distillery: native build failed; running on wasm\n');
