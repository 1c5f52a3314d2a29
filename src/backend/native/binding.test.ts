// The addon is optional: with it missing or broken, importing the native backend never throws,
// nativeAvailable() is false, registerNativeBackend() returns false and says why. Runs in child
// processes with DISTILLERY_NATIVE_ADDON pointing at a missing and at a corrupt file, so it holds
// whether or not the addon is built here.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const indexPath = fileURLToPath(new URL('./index.ts', import.meta.url));

function probe(addonPath: string): { available: boolean; registered: boolean; error: string } {
  const script = `
    const m = await import(${JSON.stringify(indexPath)});
    const out = { available: m.nativeAvailable(), registered: m.registerNativeBackend(), error: m.nativeLoadError() };
    process.stdout.write(JSON.stringify(out));`;
  const result = spawnSync(
    process.execPath,
    ['--import', 'tsx', '--input-type=module', '-e', script],
    {
      env: { ...process.env, DISTILLERY_NATIVE_ADDON: addonPath },
      encoding: 'utf8',
    },
  );
  assert.equal(result.status, 0, result.stderr);
  return JSON.parse(result.stdout) as { available: boolean; registered: boolean; error: string };
}

describe('native addon missing or broken', () => {
  test('missing: not available, not registered, reason given', () => {
    const r = probe(join(tmpdir(), 'no-such-dir', 'distillery_native.node'));
    assert.deepEqual([r.available, r.registered], [false, false]);
    assert.match(r.error, /not built/);
  });

  test('corrupt file: not available, not registered, load error given', () => {
    const dir = mkdtempSync(join(tmpdir(), 'distillery-addon-'));
    const path = join(dir, 'distillery_native.node');
    writeFileSync(path, 'not a shared object');
    const r = probe(path);
    assert.deepEqual([r.available, r.registered], [false, false]);
    assert.match(r.error, /failed to load/);
  });
});
