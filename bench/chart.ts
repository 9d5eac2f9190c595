import { writeFileSync } from 'node:fs';

/** A grouped bar chart (SVG): one group per label, one bar per series. */
export function barChart(path: string, title: string, labels: readonly string[], series: readonly { name: string; color: string; values: readonly number[] }[], unit: string): void {
  const w = Math.max(640, 90 * labels.length + 120);
  const h = 360;
  const top = 40, bottom = 70, left = 60;
  const max = Math.max(...series.flatMap((s) => s.values.filter(Number.isFinite)), 1e-9);
  const groupWidth = (w - left - 20) / labels.length;
  const barWidth = (groupWidth * 0.8) / series.length;
  const y = (v: number) => top + (h - top - bottom) * (1 - v / max);
  const esc = (s: string) => s.replace(/[<>&]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;' })[c]!);
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" font-family="sans-serif">`,
    `<rect width="${w}" height="${h}" fill="white"/>`,
    `<text x="10" y="22" font-size="14" font-weight="bold">${esc(title)}</text>`,
    `<text x="6" y="${top + 4}" font-size="10" fill="#555">${max.toPrecision(3)} ${esc(unit)}</text>`,
    `<line x1="${left}" y1="${h - bottom}" x2="${w - 10}" y2="${h - bottom}" stroke="#999"/>`,
  ];
  labels.forEach((label, i) => {
    const x0 = left + i * groupWidth + groupWidth * 0.1;
    series.forEach((s, k) => {
      const v = s.values[i]!;
      if (!Number.isFinite(v)) return;
      const x = x0 + k * barWidth;
      parts.push(`<rect x="${x.toFixed(1)}" y="${y(v).toFixed(1)}" width="${(barWidth - 2).toFixed(1)}" height="${(h - bottom - y(v)).toFixed(1)}" fill="${s.color}"/>`);
      parts.push(`<text x="${(x + barWidth / 2).toFixed(1)}" y="${(y(v) - 3).toFixed(1)}" font-size="9" text-anchor="middle">${v.toPrecision(3)}</text>`);
    });
    parts.push(`<text x="${(x0 + groupWidth * 0.4).toFixed(1)}" y="${h - bottom + 14}" font-size="10" text-anchor="middle">${esc(label)}</text>`);
  });
  series.forEach((s, k) => parts.push(`<rect x="${left + 150 * k}" y="${h - 24}" width="10" height="10" fill="${s.color}"/><text x="${left + 150 * k + 14}" y="${h - 15}" font-size="11">${esc(s.name)}</text>`));
  parts.push('</svg>');
  writeFileSync(path, parts.join('\n'));
}
