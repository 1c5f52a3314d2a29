// How the report shows one test example, declared per preprocessing kind of the data's input
// spec: images as PNG thumbnails (grayscale or colour), table rows as their column values (the
// standardisation and one-hot undone with the spec's own statistics, i.e. as the model sees the
// row), texts as an excerpt of the raw message. A kind that is not listed has no example view.
// Adding a kind = one entry in `exampleViews`.
import type { Dataset } from '../data/dataset.ts';
import { featuresAsFloat } from '../data/dataset.ts';
import type { Preprocessing, TablePreprocessing } from '../data/spec.ts';
import { exampleImage, pngDataUri } from './png.ts';

/** One example as the report shows it. */
export type ExampleView =
  | { kind: 'image'; image: string }
  | { kind: 'row'; cells: string[] }
  | { kind: 'text'; text: string; characters: number };

export interface ExampleViewer {
  /** 'image' | 'row' | 'text': how the examples are laid out. */
  layout: ExampleView['kind'];
  /** Column headers of a 'row' layout. */
  columns?: string[];
  view(index: number): ExampleView;
}

/** Longest excerpt of a text shown (characters, after collapsing whitespace). */
export const TEXT_EXCERPT_CHARS = 320;

type ViewerFactory = (data: Dataset, preprocessing: Preprocessing) => ExampleViewer | undefined;

export const exampleViews: Record<string, ViewerFactory> = {
  image: (data) => {
    const x = featuresAsFloat(data.test);
    if (data.test.count === 0 || !exampleImage(x, 0, data.inputShape)) return undefined;
    return {
      layout: 'image',
      view: (i) => ({ kind: 'image', image: pngDataUri(exampleImage(x, i, data.inputShape)!) }),
    };
  },
  table: (data, preprocessing) => {
    const { columns } = preprocessing as TablePreprocessing;
    const x = featuresAsFloat(data.test);
    const width = x.length / Math.max(data.test.count, 1);
    return {
      layout: 'row',
      columns: columns.map((c) => c.name),
      view: (i) => ({
        kind: 'row',
        cells: tableRow(x.subarray(i * width, (i + 1) * width), columns),
      }),
    };
  },
  tokens: (data) => {
    const texts = data.test.texts;
    if (!texts) return undefined;
    return {
      layout: 'text',
      view: (i) => ({ kind: 'text', ...excerpt(texts[i]) }),
    };
  },
};

/** The viewer for the data's first input, or undefined when its kind has none. */
export function exampleViewer(data: Dataset): ExampleViewer | undefined {
  const preprocessing = data.spec.inputs[0]?.preprocessing;
  if (!preprocessing) return undefined;
  return exampleViews[preprocessing.kind]?.(data, preprocessing);
}

/** A text with runs of whitespace collapsed, at most TEXT_EXCERPT_CHARS long (a cut ends with …). */
export function excerpt(text: string): { text: string; characters: number } {
  const flat = text.replace(/\s+/g, ' ').trim();
  const chars = [...flat]; // by code point, so a cut never splits a surrogate pair
  return {
    text:
      chars.length > TEXT_EXCERPT_CHARS
        ? `${chars
            .slice(0, TEXT_EXCERPT_CHARS - 1)
            .join('')
            .trimEnd()}…`
        : flat,
    characters: [...text].length,
  };
}

/** A table row from its features: numeric = x·std + mean, categorical = the hot value. */
export function tableRow(features: Float32Array, columns: TablePreprocessing['columns']): string[] {
  const out: string[] = [];
  let offset = 0;
  for (const c of columns) {
    if (c.type === 'numeric') {
      out.push(formatNumber(features[offset] * c.std + c.mean, c.std));
      offset += 1;
    } else {
      const hot = c.vocabulary.findIndex((_, k) => features[offset + k] > 0.5);
      out.push(hot === -1 ? '(unknown)' : c.vocabulary[hot]);
      offset += c.vocabulary.length;
    }
  }
  return out;
}

/**
 * A value rounded to 1/10,000 of its column's std: float32 noise of the round trip goes
 * (13.645000267 → 13.645, 2e-12 → 0), the digits that tell rows apart stay.
 */
function formatNumber(v: number, std: number): string {
  const decimals = Math.min(12, Math.max(0, 4 - Math.floor(Math.log10(std))));
  return String(Number(v.toFixed(decimals)) || 0); // || 0: no '-0'
}
