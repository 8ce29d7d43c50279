/**
 * A small time-series chart as inline SVG: one line, optionally a shaded band around it (a
 * clock offset ± its error bound). No library: an agent page draws two of these with at most
 * a few hundred points. Okabe-Ito colours, readable on the dark background.
 */
const SVG = 'http://www.w3.org/2000/svg';
const WIDTH = 560;
const HEIGHT = 150;
const LEFT = 56;
const RIGHT = 8;
const TOP = 8;
const BOTTOM = 22;

export interface ChartPoint {
  readonly at: number;
  readonly value: number;
  /** Half-width of the band at this point (an error bound); absent: no band. */
  readonly band?: number;
}

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>, text?: string): SVGElementTagNameMap[K] {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, String(value));
  if (text !== undefined) node.textContent = text;
  return node;
}

/** Three decimals at most, fewer for big numbers: axis labels stay short. */
const label = (v: number): string => (Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(2));

export function lineChart(unsorted: readonly ChartPoint[], options: { title: string; unit: string; colour: string; testId: string }): SVGSVGElement {
  // By time: after the lead's clock stepped back, the ring's order is not the clock's.
  const points = [...unsorted].sort((a, b) => a.at - b.at);
  const root = svg('svg', { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, width: '100%', role: 'img', 'aria-label': `${options.title}, ${points.length} samples`, 'data-testid': options.testId, 'data-points': points.length });
  if (points.length === 0) {
    root.append(svg('text', { x: WIDTH / 2, y: HEIGHT / 2, fill: '#9aa7b4', 'font-size': 13, 'text-anchor': 'middle' }, 'no samples yet'));
    return root;
  }
  const lows = points.map((p) => p.value - (p.band ?? 0));
  const highs = points.map((p) => p.value + (p.band ?? 0));
  let lo = Math.min(...lows);
  let hi = Math.max(...highs);
  if (hi - lo < 1e-6) {
    lo -= 1;
    hi += 1;
  }
  const t0 = points[0]!.at;
  const t1 = Math.max(t0 + 1, points[points.length - 1]!.at);
  const plotW = WIDTH - LEFT - RIGHT;
  const plotH = HEIGHT - TOP - BOTTOM;
  const x = (at: number) => LEFT + ((at - t0) / (t1 - t0)) * plotW;
  const y = (v: number) => TOP + (1 - (v - lo) / (hi - lo)) * plotH;

  root.append(
    svg('line', { x1: LEFT, x2: LEFT, y1: TOP, y2: TOP + plotH, stroke: '#2c343d' }),
    svg('line', { x1: LEFT, x2: LEFT + plotW, y1: TOP + plotH, y2: TOP + plotH, stroke: '#2c343d' }),
    svg('text', { x: LEFT - 4, y: TOP + 10, fill: '#9aa7b4', 'font-size': 11, 'text-anchor': 'end' }, label(hi)),
    svg('text', { x: LEFT - 4, y: TOP + plotH, fill: '#9aa7b4', 'font-size': 11, 'text-anchor': 'end' }, label(lo)),
    svg('text', { x: LEFT, y: HEIGHT - 6, fill: '#9aa7b4', 'font-size': 11 }, new Date(t0).toISOString().slice(11, 19)),
    svg('text', { x: LEFT + plotW, y: HEIGHT - 6, fill: '#9aa7b4', 'font-size': 11, 'text-anchor': 'end' }, `${new Date(t1).toISOString().slice(11, 19)} · ${options.unit}`),
  );
  if (lo < 0 && hi > 0) root.append(svg('line', { x1: LEFT, x2: LEFT + plotW, y1: y(0), y2: y(0), stroke: '#9aa7b4', 'stroke-dasharray': '3 3' }));
  if (points.some((p) => p.band !== undefined)) {
    const upper = points.map((p) => `${x(p.at).toFixed(1)},${y(p.value + (p.band ?? 0)).toFixed(1)}`);
    const lower = points.map((p) => `${x(p.at).toFixed(1)},${y(p.value - (p.band ?? 0)).toFixed(1)}`).reverse();
    root.append(svg('polygon', { points: [...upper, ...lower].join(' '), fill: options.colour, 'fill-opacity': 0.2, 'data-testid': `${options.testId}-band` }));
  }
  root.append(svg('polyline', { points: points.map((p) => `${x(p.at).toFixed(1)},${y(p.value).toFixed(1)}`).join(' '), fill: 'none', stroke: options.colour, 'stroke-width': 2 }));
  const last = points[points.length - 1]!;
  root.append(svg('circle', { cx: x(last.at), cy: y(last.value), r: 3, fill: options.colour }));
  return root;
}
