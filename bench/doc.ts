// Writes one benchmark's section into docs/benchmarks.md between `<!-- name:start -->` and
// `<!-- name:end -->`, replacing the previous one or appending it; the rest of the file is kept.
// writeBetweenMarkers does the same inside another doc, between `<!-- name -->` and `<!-- /name -->`.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const doc = join(dirname(fileURLToPath(import.meta.url)), '..', 'docs', 'benchmarks.md');

export function writeDocSection(name: string, markdown: string): void {
  const start = `<!-- ${name}:start -->`;
  const end = `<!-- ${name}:end -->`;
  const section = `${start}\n${markdown.trimEnd()}\n${end}\n`;
  const current = existsSync(doc) ? readFileSync(doc, 'utf8') : '# Benchmarks\n';
  const from = current.indexOf(start);
  const to = current.indexOf(end);
  writeFileSync(
    doc,
    from >= 0 && to > from
      ? `${current.slice(0, from)}${section}${current.slice(to + end.length).replace(/^\n/, '')}`
      : `${current.trimEnd()}\n\n${section}`,
  );
}

/**
 * Replaces what stands between `<!-- name -->` and `<!-- /name -->` in `path` (a doc with its own
 * hand-written reading around the table); a doc without both markers is left as it is.
 */
export function writeBetweenMarkers(path: string, name: string, markdown: string): void {
  const begin = `<!-- ${name} -->`;
  const end = `<!-- /${name} -->`;
  const md = existsSync(path) ? readFileSync(path, 'utf8') : '';
  const i = md.indexOf(begin);
  const j = md.indexOf(end);
  if (i >= 0 && j > i)
    writeFileSync(path, md.slice(0, i + begin.length) + '\n' + markdown + '\n' + md.slice(j));
}
