// ROC curves for the report: with two classes, the positive class (index 1, e.g. spam) against
// the other, scored by the logit difference as evaluate scores it; with more, each class against
// the rest (one-vs-rest), scored by its softmax probability, with the macro-average AUC. The area
// is the trapezoid rule over every distinct threshold, which equals the rank statistic of
// eval/classification.ts (ties counted half). Curves are thinned for drawing, never for the area.
import type { TopLevelSpec } from 'vega-lite';
import { MODEL_COLORS } from './charts.ts';
import { softmaxRows } from './calibration.ts';
import { escapeHtml, percent, simpleTable } from './markup.ts';
import type { ModelEvaluation } from '../eval/evaluate.ts';

export interface RocPoint {
  fpr: number;
  tpr: number;
}

export interface RocCurve {
  points: RocPoint[];
  auc: number;
}

/** The curve of `scores` (higher = more positive) for the labels `positive`; NaN AUC if one-sided. */
export function rocCurve(scores: ArrayLike<number>, positive: ArrayLike<boolean>): RocCurve {
  const order = Array.from({ length: scores.length }, (_, i) => i).sort(
    (a, b) => scores[b] - scores[a],
  );
  let positives = 0;
  for (let i = 0; i < positive.length; i++) if (positive[i]) positives++;
  const negatives = scores.length - positives;
  if (positives === 0 || negatives === 0) return { points: [], auc: NaN };
  const points: RocPoint[] = [{ fpr: 0, tpr: 0 }];
  let tp = 0;
  let fp = 0;
  let auc = 0;
  for (let i = 0; i < order.length;) {
    // Every example at this threshold moves together (a diagonal step for ties).
    let j = i;
    while (j < order.length && scores[order[j]] === scores[order[i]]) {
      if (positive[order[j]]) tp++;
      else fp++;
      j++;
    }
    const last = points[points.length - 1];
    const next = { fpr: fp / negatives, tpr: tp / positives };
    auc += ((next.fpr - last.fpr) * (next.tpr + last.tpr)) / 2;
    points.push(next);
    i = j;
  }
  return { points, auc };
}

export interface ModelRoc {
  model: string;
  /** One curve per positive class: [class 1] when binary, every class when one-vs-rest. */
  curves: { positive: number; curve: RocCurve }[];
  /** The binary AUC, or the mean over classes with both positives and negatives. */
  auc: number;
}

/** ROC curves of a model's test logits ([n, classes] row-major). */
export function modelRoc(
  model: string,
  logits: Float32Array,
  labels: Int32Array,
  classes: number,
): ModelRoc {
  const n = labels.length;
  if (classes === 2) {
    const score = new Float64Array(n); // [n] log-odds of class 1
    for (let i = 0; i < n; i++) score[i] = logits[i * 2 + 1] - logits[i * 2];
    const curve = rocCurve(
      score,
      Array.from(labels, (l) => l === 1),
    );
    return { model, curves: [{ positive: 1, curve }], auc: curve.auc };
  }
  const probs = softmaxRows(logits, classes); // [n, classes]
  const curves = Array.from({ length: classes }, (_, c) => {
    const score = new Float64Array(n);
    for (let i = 0; i < n; i++) score[i] = probs[i * classes + c];
    return {
      positive: c,
      curve: rocCurve(
        score,
        Array.from(labels, (l) => l === c),
      ),
    };
  });
  const finite = curves.map((c) => c.curve.auc).filter(Number.isFinite);
  const auc = finite.length ? finite.reduce((a, b) => a + b, 0) / finite.length : NaN;
  return { model, curves, auc };
}

/** At most `limit` points of a curve, first and last kept (drawing only). */
export function thin(points: RocPoint[], limit = 240): RocPoint[] {
  if (points.length <= limit) return points;
  const step = (points.length - 1) / (limit - 1);
  return Array.from({ length: limit }, (_, k) => points[Math.round(k * step)]);
}

const auc3 = (v: number) => (Number.isFinite(v) ? v.toFixed(3) : '–');

/**
 * Binary: one panel, a line per model, AUC in the legend. One-vs-rest: one panel per model, a
 * line per class.
 */
export function rocSpec(rocs: ModelRoc[], classNames: string[]): TopLevelSpec {
  const binary = rocs.every((r) => r.curves.length === 1);
  const diagonal = {
    data: { values: [{ a: 0, b: 1 }] },
    mark: { type: 'rule', color: '#999', strokeDash: [4, 4] },
    encoding: {
      x: { field: 'a', type: 'quantitative' },
      y: { field: 'a', type: 'quantitative' },
      x2: { field: 'b' },
      y2: { field: 'b' },
    },
  };
  const axes = {
    x: {
      field: 'fpr',
      type: 'quantitative',
      title: 'false-positive rate',
      scale: { domain: [0, 1] },
    },
    y: {
      field: 'tpr',
      type: 'quantitative',
      title: 'true-positive rate',
      scale: { domain: [0, 1] },
    },
    order: { field: 'i', type: 'quantitative' },
  };
  if (binary) {
    const label = (r: ModelRoc) => `${r.model} (AUC ${auc3(r.auc)})`;
    const values = rocs.flatMap((r) =>
      thin(r.curves[0].curve.points).map((p, i) => ({ ...p, i, model: label(r) })),
    );
    return {
      title: `ROC: ${classNames[1] ?? '1'} against ${classNames[0] ?? '0'}`,
      width: 300,
      height: 300,
      layer: [
        diagonal,
        {
          data: { values },
          mark: { type: 'line', strokeWidth: 2, interpolate: 'linear' },
          encoding: {
            ...axes,
            color: {
              field: 'model',
              type: 'nominal',
              title: 'model',
              legend: { labelLimit: 320 },
              scale: {
                domain: rocs.map(label),
                range: rocs.map((r, i) => MODEL_COLORS[r.model] ?? FALLBACK[i % FALLBACK.length]),
              },
            },
          },
        },
      ],
    } as TopLevelSpec;
  }
  const values = rocs.flatMap((r) =>
    r.curves.flatMap(({ positive, curve }) =>
      thin(curve.points, 120).map((p, i) => ({
        ...p,
        i,
        model: `${r.model} (mean AUC ${auc3(r.auc)})`,
        class: classNames[positive] ?? String(positive),
      })),
    ),
  );
  return {
    data: { values },
    facet: {
      column: {
        field: 'model',
        type: 'nominal',
        sort: rocs.map((r) => `${r.model} (mean AUC ${auc3(r.auc)})`),
        title: null,
      },
    },
    spec: {
      width: 220,
      height: 220,
      mark: { type: 'line', strokeWidth: 1.5, interpolate: 'linear' },
      encoding: {
        ...axes,
        color: { field: 'class', type: 'nominal', title: 'class', sort: classNames },
      },
    },
  } as TopLevelSpec;
}

const FALLBACK = ['#b279a2', '#e45756', '#72b7b2', '#eeca3b', '#9d755d', '#bab0ac'];

/** The ROC section: the chart, then the AUCs (results.json's where it has them). */
export async function rocSection(
  models: { name: string; logits: Float32Array; classes: number }[],
  labels: Int32Array,
  classNames: string[],
  recorded: ModelEvaluation[],
): Promise<string> {
  const { renderChart } = await import('./charts.ts');
  const rocs = models.map((m) => modelRoc(m.name, m.logits, labels, m.classes));
  if (rocs.length === 0 || !rocs.some((r) => Number.isFinite(r.auc))) return '';
  const chart = await renderChart(rocSpec(rocs, classNames), 'roc');
  const row = (name: string) => recorded.find((r) => r.name === name);
  const binary = rocs.every((r) => r.curves.length === 1);
  if (binary) {
    const [negative, positive] = [classNames[0] ?? '0', classNames[1] ?? '1'];
    const table = simpleTable(
      [
        'model',
        'ROC-AUC',
        `precision (${positive})`,
        `recall (${positive})`,
        `F1 (${positive})`,
        `false-positive rate on ${negative}`,
      ],
      rocs.map((r) => {
        const b = row(r.model)?.binary;
        return [
          r.model,
          auc4(b && Number.isFinite(b.rocAuc) ? b.rocAuc : r.auc),
          b ? percent(b.precision) : '–',
          b ? percent(b.recall) : '–',
          b ? percent(b.f1) : '–',
          b ? percent(b.falsePositiveRate) : '–',
        ];
      }),
    );
    return `<h2 id="roc">ROC curves</h2>
<p>${escapeHtml(positive)} against ${escapeHtml(negative)} on the test split: each model ranks the examples by its log-odds of ${escapeHtml(positive)}; the curve is the true-positive rate against the false-positive rate over every threshold, the area under it (AUC) the chance that a random ${escapeHtml(positive)} example scores above a random ${escapeHtml(negative)} one. Precision, recall, F1 and the false-positive rate are at the argmax threshold (p(${escapeHtml(positive)}) &gt; 0.5), from results.json.</p>
<div class="figures"><figure>${chart}</figure></div>
${table}`;
  }
  const table = simpleTable(
    ['class', ...rocs.map((r) => `AUC ${r.model}`)],
    [
      ...classNames.map((name, c) => [name, ...rocs.map((r) => auc4(r.curves[c].curve.auc))]),
      ['mean', ...rocs.map((r) => auc4(r.auc))],
    ],
  );
  return `<h2 id="roc">ROC curves</h2>
<p>Each class against the rest (one-vs-rest) on the test split, the examples ranked by the model's softmax probability of that class; one panel per model, the mean AUC over classes in its title. Computed from the models' predictions when this report was written.</p>
<div class="figures"><figure>${chart}</figure></div>
<details><summary>AUC per class</summary><div class="table-wrap">${table}</div></details>`;
}

const auc4 = (v: number) => (Number.isFinite(v) ? v.toFixed(4) : '–');
