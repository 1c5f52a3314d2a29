// The report's small HTML helpers, shared by every page and section: escaping, percentages and a
// plain table (cells escaped).

export function escapeHtml(text: unknown): string {
  return String(text)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
}

export const percent = (x: number, digits = 2) => `${(100 * x).toFixed(digits)}%`;

export function simpleTable(head: string[], rows: (string | number)[][], textColumns = 1): string {
  const cell = (tag: string, v: string | number, i: number) =>
    `<${tag}${i < textColumns ? ' class="text"' : ''}>${escapeHtml(v)}</${tag}>`;
  return `<table><thead><tr>${head.map((h, i) => cell('th', h, i)).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((v, i) => cell('td', v, i)).join('')}</tr>`)
    .join('')}</tbody></table>`;
}
