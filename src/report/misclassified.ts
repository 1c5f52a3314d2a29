// The report's "examples the model gets wrong" section, laid out by the data's example view:
// a grid of thumbnails (images), a table of rows (tables), a list of message excerpts (texts).
// Every value shown is escaped; text excerpts are capped (examples.ts).
import type { ExampleView } from './examples.ts';
import { TEXT_EXCERPT_CHARS } from './examples.ts';
import { escapeHtml, percent } from './markup.ts';

export interface WrongExample {
  index: number;
  actual: number;
  predicted: number;
  confidence: number;
  teacher?: number;
  view: ExampleView;
}

export interface MisclassifiedSectionOptions {
  model: string;
  errors: number;
  examples: WrongExample[];
  layout: ExampleView['kind'];
  columns?: string[];
  className(c: number): string;
}

const NOUN = { image: 'Test images', row: 'Test rows', text: 'Test messages' } as const;

export function misclassifiedSection(o: MisclassifiedSectionOptions): string {
  const { examples, className: name } = o;
  const model = escapeHtml(o.model);
  const teacherShown = examples.some((e) => e.teacher !== undefined);
  const intro = `<h3>${NOUN[o.layout]} the ${model} model gets wrong</h3>
<p>${examples.length} of its ${o.errors} errors, most confident first${teacherShown ? `; ${o.layout === 'image' ? 'shaded cells' : 'shaded rows'} are examples the teacher gets wrong too` : ''}${o.layout === 'text' ? `; excerpts are cut at ${TEXT_EXCERPT_CHARS} characters, whitespace collapsed` : ''}.</p>`;
  const teacherWrong = (e: WrongExample) => e.teacher !== undefined && e.teacher !== e.actual;
  const teacherText = (e: WrongExample) =>
    e.teacher === undefined ? '' : escapeHtml(name(e.teacher));
  if (o.layout === 'image') {
    const cells = examples.map((e) => {
      if (e.view.kind !== 'image') return '';
      const teacherLine =
        e.teacher === undefined
          ? ''
          : `<div class="${e.teacher === e.actual ? 'right' : 'wrong'}">teacher: ${teacherText(e)}</div>`;
      return `<div class="cell${teacherWrong(e) ? ' teacher-wrong' : ''}"><img alt="test example ${e.index}" src="${e.view.image}"><div class="muted">test #${e.index}</div><div>true: <b>${escapeHtml(name(e.actual))}</b></div><div class="wrong">${model}: ${escapeHtml(name(e.predicted))} (${percent(e.confidence, 0)})</div>${teacherLine}</div>`;
    });
    return `${intro}\n<div class="grid">${cells.join('\n')}</div>`;
  }
  const head = [
    'test #',
    'true class',
    `${o.model} (confidence)`,
    ...(teacherShown ? ['teacher'] : []),
  ];
  const first = (e: WrongExample) =>
    `<td>${e.index}</td><td class="text"><b>${escapeHtml(name(e.actual))}</b></td><td class="text wrong">${escapeHtml(name(e.predicted))} (${percent(e.confidence, 0)})</td>${teacherShown ? `<td class="text">${teacherText(e)}</td>` : ''}`;
  const rowClass = (e: WrongExample) => (teacherWrong(e) ? ' class="teacher-wrong"' : '');
  if (o.layout === 'row') {
    const columns = o.columns ?? [];
    const rows = examples.map(
      (e) =>
        `<tr${rowClass(e)}>${first(e)}${e.view.kind === 'row' ? e.view.cells.map((v) => `<td>${escapeHtml(v)}</td>`).join('') : ''}</tr>`,
    );
    return `${intro}
<p class="muted">Column values as the model sees them: numbers un-standardised with the training split's mean and std, categories by their one-hot value (a missing number shows as the training mean).</p>
<div class="table-wrap"><table class="examples"><thead><tr>${[...head, ...columns].map((h, i) => `<th${i > 0 && i < head.length ? ' class="text"' : ''}>${escapeHtml(h)}</th>`).join('')}</tr></thead><tbody>${rows.join('')}</tbody></table></div>`;
  }
  const rows = examples.map((e) => {
    if (e.view.kind !== 'text') return '';
    return `<tr${rowClass(e)}>${first(e)}<td class="text message">${escapeHtml(e.view.text)}<span class="muted"> (${e.view.characters.toLocaleString('en-US')} characters)</span></td></tr>`;
  });
  return `${intro}
<div class="table-wrap"><table class="examples"><thead><tr>${[...head, 'message'].map((h, i) => `<th${i > 0 ? ' class="text"' : ''}>${escapeHtml(h)}</th>`).join('')}</tr></thead><tbody>${rows.join('')}</tbody></table></div>`;
}
