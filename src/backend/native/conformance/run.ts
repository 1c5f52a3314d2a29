// Runs tfjs-core's op test suite (Jasmine specs shipped in @tensorflow/tfjs-core/dist/tests) against
// the `native` backend, as tfjs-node does for its backend: every spec runs except those in
// ignore-list.ts, each ignored with its reason. Prints pass / fail / ignored counts.
// The specs import tfjs-core's ESM build, so they are bundled (esbuild) together with the backend
// into one module graph: a single tfjs-core instance, as in an application.
// Usage: npm run test:conformance [-- --grep <substring>]
import { build } from 'esbuild';
import Jasmine from 'jasmine';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { addonFound, loadError } from '../binding.ts';
import { ignoreList } from './ignore-list.ts';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../../../..');
const grepIndex = process.argv.indexOf('--grep');
const grep = grepIndex > 0 ? process.argv[grepIndex + 1] : undefined;

process.env.DISTILLERY_NATIVE_ADDON ??= join(root, 'native/build/Release/distillery_native.node');
if (!addonFound()) {
  // Not built (e.g. no OpenBLAS on this machine): nothing to test. A build that exists but does
  // not load fails below instead.
  console.log(`tfjs-core conformance on 'native': skipped, ${loadError()}`);
  process.exit(0);
}

// Inside the project so the bundle's require() of external packages resolves from node_modules.
const outfile = join(root, 'node_modules', '.cache', 'distillery-conformance', 'specs.mjs');
await build({
  entryPoints: [join(here, 'entry.ts')],
  bundle: true,
  platform: 'node',
  format: 'esm',
  outfile,
  mainFields: ['module', 'main'], // tfjs packages' ESM builds, so tfjs-core is loaded once
  ignoreAnnotations: true, // tfjs-core's "sideEffects" list would drop the spec imports
  external: ['jasmine-core', '*.node'],
  banner: {
    js: "import { createRequire as __bannerRequire } from 'node:module'; const require = __bannerRequire(import.meta.url);",
  },
  logLevel: 'error',
});

const counts = { passed: 0, failed: 0, excluded: 0, pending: 0 };
const failures: string[] = [];
const ignoredBy = new Map<string, number>();

const runner = new Jasmine({});
runner.exitOnCompletion = false;
runner.loadConfig({ spec_files: [outfile], random: false });
runner.env.configure({
  specFilter: (spec: { getFullName(): string }) => {
    const name = spec.getFullName();
    if (grep && !name.includes(grep)) return false;
    const entry = ignoreList.find((e) => name.includes(e.pattern));
    if (entry) ignoredBy.set(entry.pattern, (ignoredBy.get(entry.pattern) ?? 0) + 1);
    return entry === undefined;
  },
});
runner.clearReporters();
runner.addReporter({
  specDone: (result: {
    status: string;
    fullName: string;
    failedExpectations: { message: string }[];
  }) => {
    if (result.status === 'passed') counts.passed++;
    else if (result.status === 'failed') {
      counts.failed++;
      failures.push(
        `${result.fullName}\n    ${result.failedExpectations.map((e) => e.message).join('\n    ')}`,
      );
    } else if (result.status === 'excluded') counts.excluded++;
    else counts.pending++;
  },
});

const started = Date.now();
const result = await runner.execute();
for (const failure of failures) console.log(`FAIL ${failure}`);
const unused = ignoreList.filter((e) => !ignoredBy.has(e.pattern)).map((e) => e.pattern);
if (unused.length > 0 && !grep)
  console.log(`ignore-list entries that matched nothing: ${unused.join(' | ')}`);
const ignored = [...ignoredBy.values()].reduce((a, b) => a + b, 0);
console.log(
  `tfjs-core conformance on 'native': ${counts.passed} passed, ${counts.failed} failed, ` +
    `${ignored} ignored (${ignoreList.length} ignore-list entries), ${counts.pending} pending upstream` +
    (grep ? `, ${counts.excluded - ignored} not matching --grep` : '') +
    `, ${((Date.now() - started) / 1000).toFixed(0)} s`,
);
process.exit(counts.failed === 0 && result.overallStatus !== 'failed' ? 0 : 1);
