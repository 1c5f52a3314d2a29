// The report's charts as vega-lite specs, rendered to standalone SVG strings in Node (vega's
// headless renderer: no canvas, no browser, no scripts in the output). Specs only hold data the
// caller passes; nothing is fetched.
import type { TopLevelSpec } from 'vega-lite';
import type { EpochRecord } from '../train/loop.ts';
import type { Calibration } from './calibration.ts';

const CONFIG = {
  font: 'system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif',
  view: { stroke: '#ddd' },
  axis: { labelFontSize: 11, titleFontSize: 12, titleFontWeight: 500, gridColor: '#eee' },
  legend: { labelFontSize: 11, titleFontSize: 12 },
  title: { fontSize: 13, fontWeight: 600, anchor: 'start' },
  header: { labelFontSize: 12, labelFontWeight: 600, titleFontSize: 12 },
} as const;

/** Fixed colours per model, so a model looks the same in every chart of a report. */
export const MODEL_COLORS: Record<string, string> = {
  teacher: '#4c78a8',
  scratch: '#f58518',
  distilled: '#54a24b',
};

function modelColorScale(models: string[]) {
  const fallback = ['#b279a2', '#e45756', '#72b7b2', '#eeca3b', '#9d755d', '#bab0ac'];
  return {
    domain: models,
    range: models.map((m, i) => MODEL_COLORS[m] ?? fallback[i % fallback.length]),
  };
}

/**
 * Renders a vega-lite spec to an SVG string. `idPrefix` makes the SVG's internal ids (clip
 * paths, gradients) unique, since several SVGs inlined in one page share one id namespace.
 */
export async function renderChart(spec: TopLevelSpec, idPrefix: string): Promise<string> {
  // vega loads on first use, so that modules importing this one stay quick to load.
  const [vega, { compile }] = await Promise.all([import('vega'), import('vega-lite')]);
  const full = { config: CONFIG, ...spec } as TopLevelSpec;
  const view = new vega.View(vega.parse(compile(full).spec), { renderer: 'none' });
  try {
    return prefixIds(await view.toSVG(), idPrefix);
  } finally {
    view.finalize();
  }
}

export function prefixIds(svg: string, prefix: string): string {
  const ids = new Set([...svg.matchAll(/\bid="([^"]+)"/g)].map((m) => m[1]));
  const rename = (id: string) => (ids.has(id) ? `${prefix}-${id}` : id);
  return svg
    .replace(/\bid="([^"]+)"/g, (_, id) => `id="${rename(id)}"`)
    .replace(/url\(#([^)]+)\)/g, (_, id) => `url(#${rename(id)})`)
    .replace(/href="#([^"]+)"/g, (_, id) => `href="#${rename(id)}"`);
}

const epochAxis = { field: 'epoch', type: 'quantitative', axis: { tickMinStep: 1, format: 'd' } };

/** One panel per model: each loss term (and their sum, if several) per epoch. */
export function lossCurvesSpec(metrics: Record<string, EpochRecord[]>): TopLevelSpec {
  const values = Object.entries(metrics).flatMap(([model, history]) =>
    history.flatMap((r) => {
      const terms = Object.entries(r.terms).map(([term, value]) => ({
        model,
        epoch: r.epoch,
        term,
        value,
      }));
      return terms.length > 1
        ? [...terms, { model, epoch: r.epoch, term: 'total', value: r.loss }]
        : terms;
    }),
  );
  return {
    data: { values },
    facet: {
      column: { field: 'model', type: 'nominal', sort: Object.keys(metrics), title: null },
    },
    spec: {
      width: 250,
      height: 170,
      mark: { type: 'line', point: true, strokeWidth: 2 },
      encoding: {
        x: epochAxis,
        y: {
          field: 'value',
          type: 'quantitative',
          title: 'training loss',
          scale: { zero: false },
          axis: { format: '.3~g' },
        },
        color: { field: 'term', type: 'nominal', title: 'loss term' },
        tooltip: [{ field: 'term' }, { field: 'epoch' }, { field: 'value', format: '.4f' }],
      },
    },
    resolve: { scale: { y: 'independent' } },
  } as TopLevelSpec;
}

/** Per-epoch values of one kind, one line per stage (a panel per metric when there are several). */
function perEpochSpec(
  values: { model: string; epoch: number; metric: string; value: number }[],
  models: string[],
  options: { title: string; format: string; log?: boolean },
): TopLevelSpec {
  const metrics = [...new Set(values.map((v) => v.metric))];
  const encoding = {
    x: epochAxis,
    y: {
      field: 'value',
      type: 'quantitative',
      title: metrics.length === 1 ? metrics[0] : null,
      axis: { format: options.format },
      scale: options.log ? { type: 'log' } : { zero: false },
    },
    color: { field: 'model', type: 'nominal', title: 'model', scale: modelColorScale(models) },
    tooltip: [{ field: 'model' }, { field: 'epoch' }, { field: 'value', format: '.4~g' }],
  };
  const mark = { type: 'line', point: true, strokeWidth: 2 };
  if (metrics.length === 1)
    return {
      width: 420,
      height: 220,
      title: options.title,
      data: { values },
      mark,
      encoding,
    } as TopLevelSpec;
  return {
    title: options.title,
    data: { values },
    facet: { column: { field: 'metric', type: 'nominal', sort: metrics, title: null } },
    spec: { width: 250, height: 170, mark, encoding },
    resolve: { scale: { y: 'independent' } },
  } as TopLevelSpec;
}

/** 'validationAccuracy' → 'validation accuracy'. */
const words = (key: string) => key.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();

/**
 * Every validation metric the epochs recorded (fields named validation…), one line per stage;
 * undefined when no epoch has one.
 */
export function validationCurvesSpec(
  metrics: Record<string, EpochRecord[]>,
): TopLevelSpec | undefined {
  const values = Object.entries(metrics).flatMap(([model, history]) =>
    history.flatMap((r) =>
      Object.entries(r)
        .filter(
          ([k, v]) => k.startsWith('validation') && typeof v === 'number' && Number.isFinite(v),
        )
        .map(([k, v]) => ({ model, epoch: r.epoch, metric: words(k), value: v as number })),
    ),
  );
  if (values.length === 0) return undefined;
  const accuracyOnly = values.every((v) => /accuracy/.test(v.metric));
  return perEpochSpec(values, Object.keys(metrics), {
    title: 'validation metrics per epoch',
    format: accuracyOnly ? '.0%' : '.3~g',
  });
}

/** The learning rate of each epoch (its mean over the steps), one line per stage. */
export function learningRateSpec(metrics: Record<string, EpochRecord[]>): TopLevelSpec | undefined {
  const values = Object.entries(metrics).flatMap(([model, history]) =>
    history
      .filter((r) => typeof r.learningRate === 'number' && r.learningRate > 0)
      .map((r) => ({ model, epoch: r.epoch, metric: 'learning rate', value: r.learningRate! })),
  );
  if (values.length === 0) return undefined;
  const rates = values.map((v) => v.value);
  // A log scale when the rates span more than a decade (warm-up, step decay), else linear.
  const log = Math.max(...rates) / Math.min(...rates) > 10;
  return perEpochSpec(values, Object.keys(metrics), {
    title: 'learning rate per epoch (mean over its steps)',
    format: '.2~e',
    log,
  });
}

/** The steps' auxiliary metrics (e.g. a learned temperature), a panel per metric; or undefined. */
export function auxiliaryMetricsSpec(
  metrics: Record<string, EpochRecord[]>,
): TopLevelSpec | undefined {
  const values = Object.entries(metrics).flatMap(([model, history]) =>
    history.flatMap((r) =>
      Object.entries(r.metrics ?? {})
        .filter(([, v]) => Number.isFinite(v))
        .map(([metric, value]) => ({ model, epoch: r.epoch, metric, value })),
    ),
  );
  if (values.length === 0) return undefined;
  return perEpochSpec(values, Object.keys(metrics), {
    title: 'logged metrics per epoch (not part of the loss)',
    format: '.3~g',
  });
}

/** Reliability diagram (accuracy per confidence bin, gap to the diagonal) over a histogram. */
export function reliabilitySpec(model: string, calibration: Calibration): TopLevelSpec {
  const bins = calibration.bins.map((b) => ({
    ...b,
    share: calibration.examples ? b.count / calibration.examples : 0,
  }));
  const filled = bins.filter((b) => b.count > 0);
  const x = {
    field: 'lower',
    type: 'quantitative',
    title: 'top-1 confidence',
    scale: { domain: [0, 1] },
  };
  const color = MODEL_COLORS[model] ?? '#4c78a8';
  return {
    title: `${model}: ECE ${(100 * calibration.ece).toFixed(2)}%`,
    spacing: 6,
    vconcat: [
      {
        width: 230,
        height: 230,
        layer: [
          {
            // The bin's accuracy, up to where it meets the bin's mean confidence…
            data: { values: filled },
            transform: [{ calculate: 'min(datum.accuracy, datum.confidence)', as: 'base' }],
            mark: { type: 'bar', color, stroke: 'white', strokeWidth: 0.5 },
            encoding: {
              x: { ...x, title: null, axis: { labels: false } },
              x2: { field: 'upper' },
              y: {
                field: 'base',
                type: 'quantitative',
                title: 'accuracy',
                scale: { domain: [0, 1] },
              },
              // Ranged bars (x, x2) need an explicit base, else vega-lite draws thin strips.
              y2: { datum: 0 },
            },
          },
          {
            // …and the gap between them (above the diagonal: under-confident; below: over-).
            data: { values: filled },
            mark: {
              type: 'bar',
              color: '#e45756',
              opacity: 0.45,
              stroke: '#c0392b',
              strokeWidth: 0.7,
            },
            encoding: {
              x: { ...x, title: null },
              x2: { field: 'upper' },
              y: { field: 'accuracy', type: 'quantitative' },
              y2: { field: 'confidence' },
            },
          },
          {
            data: { values: [{ a: 0, b: 1 }] },
            mark: { type: 'rule', color: '#555', strokeDash: [4, 4] },
            encoding: {
              x: { field: 'a', type: 'quantitative' },
              y: { field: 'a', type: 'quantitative' },
              x2: { field: 'b' },
              y2: { field: 'b' },
            },
          },
        ],
      },
      {
        width: 230,
        height: 55,
        data: { values: bins },
        mark: { type: 'bar', color: '#999', stroke: 'white', strokeWidth: 0.5 },
        encoding: {
          x,
          x2: { field: 'upper' },
          y: {
            field: 'share',
            type: 'quantitative',
            title: 'examples',
            axis: { format: '.0%', tickCount: 2 },
          },
          y2: { datum: 0 },
        },
      },
    ],
  } as TopLevelSpec;
}

/** Confusion matrix heatmap: colour = share of the true class's examples, text = count. */
export function confusionSpec(
  title: string,
  matrix: number[][],
  classNames: string[],
  options: { legend?: boolean } = {},
): TopLevelSpec {
  const values = matrix.flatMap((row, actual) => {
    const total = row.reduce((a, b) => a + b, 0) || 1;
    return row.map((count, predicted) => ({
      actual: classNames[actual],
      predicted: classNames[predicted],
      count,
      share: count / total,
    }));
  });
  const size = Math.max(200, Math.min(340, 26 * classNames.length));
  return {
    title,
    width: size,
    height: size,
    data: { values },
    encoding: {
      x: {
        field: 'predicted',
        type: 'ordinal',
        sort: classNames,
        title: 'predicted',
        axis: { labelAngle: classNames.some((c) => c.length > 2) ? -40 : 0 },
      },
      y: { field: 'actual', type: 'ordinal', sort: classNames, title: 'true class' },
    },
    layer: [
      {
        mark: { type: 'rect', stroke: 'white', strokeWidth: 0.5 },
        encoding: {
          color: {
            // Empty cells stay blank, so the eye goes to the errors there are.
            condition: { test: 'datum.count === 0', value: '#fafafa' },
            field: 'share',
            type: 'quantitative',
            title: 'share of class',
            // sqrt, so that a few errors among hundreds of right answers still show.
            scale: { scheme: 'blues', type: 'sqrt', domain: [0, 1] },
            legend: options.legend === false ? null : { format: '.0%', gradientLength: 120 },
          },
        },
      },
      {
        transform: [{ filter: 'datum.count > 0' }],
        mark: { type: 'text', fontSize: classNames.length > 12 ? 8 : 10 },
        encoding: {
          text: { field: 'count', type: 'quantitative' },
          color: { condition: { test: 'datum.share > 0.45', value: 'white' }, value: '#222' },
        },
      },
    ],
  } as TopLevelSpec;
}

export interface RunAccuracy {
  run: string;
  model: string;
  accuracy: number;
}

/** Test accuracy of each model of each run, as dots on a shared axis (differences are small). */
export function runAccuracySpec(values: RunAccuracy[]): TopLevelSpec {
  const runs = [...new Set(values.map((v) => v.run))];
  const models = [...new Set(values.map((v) => v.model))];
  return {
    title: 'test accuracy per run',
    width: 520,
    height: Math.max(60, 28 * runs.length),
    data: { values },
    mark: { type: 'point', filled: true, size: 90, opacity: 0.9 },
    encoding: {
      y: { field: 'run', type: 'nominal', sort: runs, title: null },
      x: {
        field: 'accuracy',
        type: 'quantitative',
        title: 'test accuracy',
        axis: { format: '.1%' },
        scale: { zero: false, padding: 12 },
      },
      color: { field: 'model', type: 'nominal', title: 'model', scale: modelColorScale(models) },
      shape: { field: 'model', type: 'nominal', title: 'model', scale: { domain: models } },
    },
  } as TopLevelSpec;
}

/** Validation accuracy per epoch of several runs, one panel per model. */
export function runCurvesSpec(
  values: { run: string; model: string; epoch: number; accuracy: number }[],
): TopLevelSpec {
  const runs = [...new Set(values.map((v) => v.run))];
  return {
    data: { values },
    facet: {
      column: { field: 'model', type: 'nominal', sort: Object.keys(MODEL_COLORS), title: null },
    },
    spec: {
      width: 250,
      height: 170,
      mark: { type: 'line', point: true, strokeWidth: 2 },
      encoding: {
        x: epochAxis,
        y: {
          field: 'accuracy',
          type: 'quantitative',
          title: 'validation accuracy',
          axis: { format: '.0%' },
          scale: { zero: false },
        },
        color: { field: 'run', type: 'nominal', sort: runs, title: 'run' },
      },
    },
  } as TopLevelSpec;
}
