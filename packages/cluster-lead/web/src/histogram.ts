/**
 * Arrival-error histogram of one operation, one row of bars per release mode, drawn as inline
 * SVG: bins over a range symmetric around T, with T marked. The other view of arrival-cdf.ts
 * (the CDF, uPlot); both colour a mode alike (palette.ts, Okabe-Ito).
 */
import { modeStyle } from './palette.js';

const SVG = 'http://www.w3.org/2000/svg';
const BINS = 21;
const WIDTH = 520;
const ROW = 70;
const LEFT = 110;

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>, text?: string): SVGElementTagNameMap[K] {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, String(value));
  if (text !== undefined) node.textContent = text;
  return node;
}

/** A round half-range in ms that holds every error (1, 2, 5 × 10^n). */
function halfRange(errors: readonly number[]): number {
  const most = Math.max(1, ...errors.map((e) => Math.abs(e)));
  const power = 10 ** Math.floor(Math.log10(most));
  return [1, 2, 5, 10].map((m) => m * power).find((r) => r >= most) ?? 10 * power;
}

export function arrivalHistogram(byMode: ReadonlyMap<string, readonly number[]>): SVGSVGElement {
  const all = [...byMode.values()].flat();
  const half = halfRange(all);
  const binMs = (2 * half) / BINS;
  const plot = WIDTH - LEFT - 10;
  const height = byMode.size * ROW + 30;
  const root = svg('svg', { viewBox: `0 0 ${WIDTH} ${height}`, width: '100%', role: 'img', 'aria-label': `Arrival error per release mode, ±${half} ms around T`, 'data-testid': 'arrival-histogram' });
  [...byMode.entries()].forEach(([mode, errors], row) => {
    const counts = new Array<number>(BINS).fill(0);
    for (const e of errors) counts[Math.min(BINS - 1, Math.max(0, Math.floor((e + half) / binMs)))]! += 1;
    const top = row * ROW + 8;
    const tallest = Math.max(1, ...counts);
    root.append(svg('text', { x: 0, y: top + ROW / 2, fill: '#e6edf3', 'font-size': 13 }, `${mode} (${errors.length})`));
    counts.forEach((n, i) => {
      if (n === 0) return;
      const h = ((ROW - 16) * n) / tallest;
      const bar = svg('rect', { x: LEFT + (i * plot) / BINS + 1, y: top + ROW - 12 - h, width: plot / BINS - 2, height: h, fill: modeStyle(mode, row).colour, 'data-mode': mode, 'data-count': n });
      bar.append(svg('title', {}, `${mode}: ${n} agents between ${(i * binMs - half).toFixed(1)} and ${((i + 1) * binMs - half).toFixed(1)} ms`));
      root.append(bar);
    });
  });
  const axis = byMode.size * ROW;
  const t = LEFT + plot / 2;
  root.append(
    svg('line', { x1: t, x2: t, y1: 0, y2: axis, stroke: '#e6edf3', 'stroke-dasharray': '4 3' }),
    svg('text', { x: t, y: axis + 14, fill: '#e6edf3', 'font-size': 12, 'text-anchor': 'middle' }, 'T'),
    svg('text', { x: LEFT, y: axis + 14, fill: '#9aa7b4', 'font-size': 12 }, `−${half} ms`),
    svg('text', { x: LEFT + plot, y: axis + 14, fill: '#9aa7b4', 'font-size': 12, 'text-anchor': 'end' }, `+${half} ms`),
  );
  return root;
}
