// Builds the native addon with node-gyp, offline: points node-gyp at the headers that ship with
// this Node installation (include/node beside the binary) instead of downloading them.
// Usage: node native/build.mjs   (npm run build:native)
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const gyp = join(dirname(require.resolve('node-gyp/package.json')), 'bin', 'node-gyp.js');

const args = [gyp, 'rebuild', '--jobs=max'];
const nodeDir = join(dirname(process.execPath), '..');
if (existsSync(join(nodeDir, 'include', 'node', 'node_api.h'))) args.push(`--nodedir=${nodeDir}`);

const result = spawnSync(process.execPath, args, { cwd: here, stdio: 'inherit' });
process.exit(result.status ?? 1);
