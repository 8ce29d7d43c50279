// A small, dependency-free SVG of empirical CDFs: one panel per network profile, one line per
// release mode, the error on a log axis (hold errors are fractions of a millisecond, naive ones
// hundreds of milliseconds; a linear axis would show one of them as a wall).

export interface CdfSeries {
  name: string;
  /** Non-negative samples, sorted ascending. */
  sorted: readonly number[];
}

export interface CdfPanel {
  title: string;
  series: readonly CdfSeries[];
}

const PANEL_W = 420;
const PANEL_H = 260;
const MARGIN = { left: 52, right: 16, top: 44, bottom: 40 };
const COLUMNS = 2;
/** The axis spans these powers of ten (ms); samples outside are clamped to the edges. */
const DECADES = { min: -2, max: 4 };
const COLOURS = ['#1b9e77', '#d95f02', '#7570b3', '#e7298a', '#66a61e'];

const escape = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const fixed = (x: number): string => x.toFixed(1);

/** x position within the plot area of a value in ms, log scale, clamped. */
export function logX(ms: number, width: number): number {
  const decade = Math.log10(Math.max(ms, 10 ** DECADES.min));
  const clamped = Math.min(DECADES.max, Math.max(DECADES.min, decade));
  return ((clamped - DECADES.min) / (DECADES.max - DECADES.min)) * width;
}

/** The polyline points of one series: a step for each sample, y the share at or below it. */
export function cdfPoints(sorted: readonly number[], width: number, height: number): string {
  if (sorted.length === 0) return '';
  const points: string[] = [`${fixed(logX(sorted[0]!, width))},${fixed(height)}`];
  sorted.forEach((value, i) => {
    const x = fixed(logX(value, width));
    points.push(`${x},${fixed(height - (i / sorted.length) * height)}`, `${x},${fixed(height - ((i + 1) / sorted.length) * height)}`);
  });
  return points.join(' ');
}

function panel(p: CdfPanel, index: number): string {
  const w = PANEL_W - MARGIN.left - MARGIN.right;
  const h = PANEL_H - MARGIN.top - MARGIN.bottom;
  const ox = (index % COLUMNS) * PANEL_W + MARGIN.left;
  const oy = Math.floor(index / COLUMNS) * PANEL_H + MARGIN.top;
  const parts: string[] = [`<g transform="translate(${ox},${oy})">`, `<text x="${w / 2}" y="-26" text-anchor="middle" font-weight="bold">${escape(p.title)}</text>`];
  parts.push(`<rect width="${w}" height="${h}" fill="none" stroke="#999"/>`);
  for (let d = DECADES.min; d <= DECADES.max; d++) {
    const x = fixed(logX(10 ** d, w));
    parts.push(`<line x1="${x}" x2="${x}" y1="0" y2="${h}" stroke="#eee"/>`, `<text x="${x}" y="${h + 14}" text-anchor="middle" font-size="10">${10 ** d >= 1 ? 10 ** d : (10 ** d).toFixed(-d)}</text>`);
  }
  for (const share of [0, 0.5, 0.9, 0.99, 1]) {
    const y = fixed(h - share * h);
    parts.push(`<line x1="0" x2="${w}" y1="${y}" y2="${y}" stroke="#eee"/>`, `<text x="-4" y="${y}" text-anchor="end" font-size="10" dominant-baseline="middle">${share}</text>`);
  }
  parts.push(`<text x="${w / 2}" y="${h + 30}" text-anchor="middle" font-size="11">|true arrival error| (ms, log scale)</text>`);
  p.series.forEach((s, i) => {
    const colour = COLOURS[i % COLOURS.length]!;
    parts.push(`<polyline fill="none" stroke="${colour}" stroke-width="1.5" points="${cdfPoints(s.sorted, w, h)}"/>`);
    // The legend sits above the plot: inside it, some curve always crosses it.
    parts.push(`<text x="${i * 120}" y="-8" font-size="11" fill="${colour}">${escape(s.name)} (n=${s.sorted.length})</text>`);
  });
  parts.push('</g>');
  return parts.join('\n');
}

export function cdfSvg(title: string, panels: readonly CdfPanel[]): string {
  const rows = Math.max(1, Math.ceil(panels.length / COLUMNS));
  const width = PANEL_W * COLUMNS;
  const height = PANEL_H * rows + 24;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${width / 2}" y="16" text-anchor="middle" font-size="13">${escape(title)}</text>`,
    `<g transform="translate(0,20)">`,
    ...panels.map(panel),
    '</g>',
    '</svg>',
    '',
  ].join('\n');
}
