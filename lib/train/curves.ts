import { writeTextFile } from '../files.js';
import type { MetricRecord } from './metrics.js';
import { expectArray, expectNumber, expectString, invalid } from '../validate.js';

export interface Series {
  label: string;
  color: string;
  points: Array<[number, number]>;
}

const esc = (s: string) => s.replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c]!);

const fmtX = (x: number) => (Number.isInteger(x) ? String(x) : x.toFixed(0));

function panel(x0: number, y0: number, w: number, h: number, title: string, series: Series[], log = false, xLabel = 'step'): string {
  const pts = series.flatMap((s) => s.points).filter(([, y]) => Number.isFinite(y) && (!log || y > 0));
  if (pts.length === 0) return `<text x="${x0 + 10}" y="${y0 + 20}" font-size="12">${esc(title)}: no data yet</text>`;
  const xs = pts.map(([x]) => x);
  const ys = pts.map(([, y]) => (log ? Math.log10(y) : y));
  const [xmin, xmax] = [Math.min(...xs), Math.max(...xs) || 1];
  let [ymin, ymax] = [Math.min(...ys), Math.max(...ys)];
  if (ymin === ymax) [ymin, ymax] = [ymin - 1, ymax + 1];
  const px = (x: number) => x0 + 50 + ((x - xmin) / (xmax - xmin || 1)) * (w - 60);
  const py = (y: number) => y0 + h - 25 - (((log ? Math.log10(y) : y) - ymin) / (ymax - ymin)) * (h - 50);
  const fmt = (v: number) => (log ? 10 ** v : v).toPrecision(3);
  const parts = [
    `<rect x="${x0}" y="${y0}" width="${w}" height="${h}" fill="white" stroke="#ccc"/>`,
    `<text x="${x0 + 10}" y="${y0 + 16}" font-size="13" font-weight="bold">${esc(title)}${log ? ' (log scale)' : ''}</text>`,
    `<text x="${x0 + 4}" y="${y0 + 30}" font-size="10" fill="#555">${fmt(ymax)}</text>`,
    `<text x="${x0 + 4}" y="${y0 + h - 25}" font-size="10" fill="#555">${fmt(ymin)}</text>`,
    `<text x="${x0 + 50}" y="${y0 + h - 8}" font-size="10" fill="#555">${esc(xLabel)} ${fmtX(xmin)}</text>`,
    `<text x="${x0 + w - 90}" y="${y0 + h - 8}" font-size="10" fill="#555">${esc(xLabel)} ${fmtX(xmax)}</text>`,
  ];
  series.forEach((s, i) => {
    const valid = s.points.filter(([, y]) => Number.isFinite(y) && (!log || y > 0));
    if (valid.length === 0) return;
    const d = valid.map(([x, y], k) => `${k ? 'L' : 'M'}${px(x).toFixed(1)},${py(y).toFixed(1)}`).join(' ');
    parts.push(`<path d="${d}" fill="none" stroke="${s.color}" stroke-width="1.5"/>`);
    if (valid.length < 30) for (const [x, y] of valid) parts.push(`<circle cx="${px(x).toFixed(1)}" cy="${py(y).toFixed(1)}" r="2.5" fill="${s.color}"/>`);
    parts.push(`<text x="${x0 + w - 160}" y="${y0 + 16 + 13 * i}" font-size="11" fill="${s.color}">${esc(s.label)}</text>`);
  });
  return parts.join('\n');
}

/** Draws loss, perplexity and accuracy curves from metric records into an SVG file. */
export async function writeCurves(path: string, records: readonly MetricRecord[], title = 'training'): Promise<void> {
  expectString(path, 'path');
  expectArray(records, 'records', 'array of metric records', (r, name) => {
    if (r === null || typeof r !== 'object' || Array.isArray(r)) invalid('metric record ({ type, step, ... })', name, r);
    expectNumber((r as { step?: unknown }).step, `${name}.step`);
  });
  expectString(title, 'title');
  const steps = records.filter((r) => r.type === 'step');
  const evals = records.filter((r) => r.type === 'eval');
  const of = (rs: readonly MetricRecord[], key: string): Array<[number, number]> => rs.filter((r) => typeof r[key] === 'number').map((r) => [r.step, r[key] as number]);
  const w = 720;
  const h = 220;
  const svg = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${3 * h + 40}" font-family="sans-serif">`,
    `<text x="10" y="24" font-size="15" font-weight="bold">${esc(title)}</text>`,
    panel(0, 36, w, h, 'loss', [
      { label: 'train focal loss', color: '#1f77b4', points: of(steps, 'loss') },
      { label: 'held-out focal loss', color: '#d62728', points: of(evals, 'loss') },
    ], true),
    panel(0, 36 + h, w, h, 'perplexity', [
      { label: 'train PPL', color: '#1f77b4', points: of(steps, 'ppl') },
      { label: 'held-out PPL', color: '#d62728', points: of(evals, 'ppl') },
    ], true),
    panel(0, 36 + 2 * h, w, h, 'accuracy', [
      { label: 'train token accuracy', color: '#1f77b4', points: of(steps, 'tokenAccuracy') },
      { label: 'held-out token accuracy', color: '#d62728', points: of(evals, 'tokenAccuracy') },
      { label: 'held-out exact match', color: '#2ca02c', points: of(evals, 'exactMatch') },
    ]),
    '</svg>',
  ].join('\n');
  await writeTextFile(path, svg);
}

/**
 * Several runs on shared axes (e.g. held-out PPL against wall time): one panel per entry of
 * `panels`, each a list of series. Used by experiments that compare models.
 */
export async function writeComparison(
  path: string,
  title: string,
  panels: readonly { title: string; series: Series[]; log?: boolean; xLabel?: string }[],
): Promise<void> {
  const w = 720;
  const h = 240;
  const svg = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${panels.length * h + 40}" font-family="sans-serif">`,
    `<text x="10" y="24" font-size="15" font-weight="bold">${esc(title)}</text>`,
    ...panels.map((p, i) => panel(0, 36 + i * h, w, h, p.title, p.series, p.log ?? false, p.xLabel ?? 'step')),
    '</svg>',
  ].join('\n');
  await writeTextFile(path, svg);
}
