// Test helpers for the report: run the CLI to make a real run folder, and check a report page
// against its results.json (sections, comparison numbers, no NaN / undefined / null, no network).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { RunResults } from '../run/record.ts';
import { comparisonFormats, type ReportData } from './html.ts';

const BIN = join(import.meta.dirname, '../../bin/distillery.mjs');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `distillery …` in a child process (asynchronously, so tests can share the wait). */
export function runCli(args: string[]): Promise<CliResult> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [BIN, ...args]);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 300_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr });
    });
  });
}

/** Runs a training command with --json and returns its results. */
export async function runJson(args: string[]): Promise<RunResults> {
  const r = await runCli([...args, '--json']);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as RunResults;
}

/** Sections, no NaN / undefined / null, no scripts or network references, unique ids. */
export function assertCleanPage(html: string): void {
  for (const id of ['comparison', 'curves', 'errors', 'calibration', 'reproduce'])
    assert.match(html, new RegExp(`<h2 id="${id}">`), id);
  for (const word of ['NaN', 'undefined', 'null', 'Infinity'])
    assert.ok(
      !new RegExp(`\\b${word}\\b`).test(html),
      `the page says ${word}: ${context(html, word)}`,
    );
  assert.ok(!/<script|<link|@import|<iframe/i.test(html), 'no scripts or external resources');
  const withoutNamespaces = html.replace(/xmlns(:\w+)?="http:\/\/www\.w3\.org\/[^"]*"/g, '');
  assert.ok(!/src="(?!data:)/.test(withoutNamespaces), 'every image is a data URI');
  const ids = [...html.matchAll(/\bid="([^"]+)"/g)].map((m) => m[1]);
  assert.equal(new Set(ids).size, ids.length, 'ids are unique');
}

function context(html: string, word: string): string {
  const i = html.search(new RegExp(`\\b${word}\\b`));
  return html.slice(Math.max(0, i - 80), i + 40);
}

/** The comparison table's numeric cells per model: key → [exact value, text shown]. */
export function comparisonCells(html: string): Map<string, Record<string, [number, string]>> {
  const out = new Map<string, Record<string, [number, string]>>();
  for (const [, name, cells] of html.matchAll(/<tr data-model="([^"]+)"[^>]*>(.*?)<\/tr>/g)) {
    const row: Record<string, [number, string]> = {};
    for (const [, key, value, text] of cells.matchAll(
      /<td data-key="(\w+)" data-value="([^"]*)"[^>]*>([^<]*)</g,
    ))
      row[key] = [Number(value), text];
    out.set(name, row);
  }
  return out;
}

/** Every number the comparison table shows for the run's models is the one in results.json. */
export function assertTableMatchesResults(html: string, results: RunResults, data: ReportData) {
  const cells = comparisonCells(html);
  for (const recorded of results.evaluation.rows) {
    const row = cells.get(recorded.name);
    assert.ok(row, `a row for ${recorded.name}`);
    for (const [key, format] of Object.entries(comparisonFormats)) {
      const expected =
        key === 'ece'
          ? data.models.find((m) => m.name === recorded.name)?.calibration.ece
          : (recorded[key as keyof typeof recorded] as number | undefined);
      if (expected === undefined) {
        assert.equal(row[key], undefined, `${recorded.name} ${key}: no value, a dash`);
        continue;
      }
      assert.equal(row[key]?.[0], expected, `${recorded.name} ${key}`);
      assert.equal(row[key][1], format(expected), `${recorded.name} ${key} text`);
    }
  }
}
