// Writes one benchmark's section into docs/benchmarks.md between `<!-- name:start -->` and
// `<!-- name:end -->`, replacing the previous one or appending it; the rest of the file is kept.
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
