// What a text model sees of a raw RFC 822 mail: the Subject line and the body, with every other
// header, MIME part headers and boundaries, base64 blocks (attachments) and HTML markup removed,
// quoted-printable decoded, whitespace collapsed and the result capped at `maxChars`.
// Leaves out: charset conversion (the corpus is already text) and decoding base64 bodies.

export interface MailTextOptions {
  /** Characters kept of "subject\nbody" (default 4,000). */
  maxChars?: number;
}

const entities: Record<string, string> = {
  nbsp: ' ',
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
};

/** HTML → text: drops script/style/comments and tags, decodes the common entities. */
export function stripHtml(html: string): string {
  return html
    .replace(/<!--[\s\S]*?-->/g, ' ')
    .replace(/<(script|style)\b[\s\S]*?<\/\1\s*>/gi, ' ')
    .replace(/<[^>]{0,2000}>/g, ' ')
    .replace(/&(#\d{1,6}|#x[0-9a-f]{1,6}|[a-z]{2,6});/gi, (m, e: string) => {
      if (e[0] === '#') {
        const code =
          e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
        return code > 0 && code < 0x110000 ? String.fromCodePoint(code) : ' ';
      }
      return entities[e.toLowerCase()] ?? m;
    });
}

/** Quoted-printable → text (soft line breaks and =XX bytes as Latin-1). */
export function decodeQuotedPrintable(text: string): string {
  return text
    .replace(/=\r?\n/g, '')
    .replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

/** The Subject header (folded lines joined), or ''. */
export function mailSubject(headers: string): string {
  const m = /^subject:[ \t]*(.*(?:\r?\n[ \t].*)*)/im.exec(headers);
  return m ? m[1].replace(/\r?\n[ \t]+/g, ' ').trim() : '';
}

/** The text a model sees of one raw mail. */
export function mailText(raw: string, options: MailTextOptions = {}): string {
  const split = raw.search(/\r?\n\r?\n/);
  const headers = split < 0 ? raw : raw.slice(0, split);
  let body = split < 0 ? '' : raw.slice(split).trimStart();
  if (/quoted-printable/i.test(raw)) body = decodeQuotedPrintable(body);
  body = body
    .split(/\r?\n/)
    // MIME boundaries, part headers and base64 lines carry no words.
    .filter(
      (line) =>
        !/^--\S{6,}/.test(line) &&
        !/^content-[a-z-]+:/i.test(line) &&
        !/^[ \t]+(boundary|charset|name|filename)=/i.test(line) &&
        !/^[A-Za-z0-9+/=]{60,}$/.test(line.trim()),
    )
    .join('\n');
  if (/<[a-z!/][^>]*>/i.test(body)) body = stripHtml(body);
  const text = `${mailSubject(headers)}\n${body}`
    .replace(/[ \t\f\v\u00a0]+/g, ' ')
    .replace(/\s*\n\s*/g, '\n')
    .trim();
  const max = options.maxChars ?? 4000;
  return text.length > max ? text.slice(0, max) : text;
}
