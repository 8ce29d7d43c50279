/**
 * Breakers over time with uPlot: one row per breaker, x the lead's clock, a band per state
 * (closed green, half-open yellow, open vermillion; palette.ts). uPlot draws the axes and the
 * grid; the bands are drawn in its draw hook, and listed as text under the chart.
 */
import uPlot from 'uplot';
import type { BreakerRow } from './breaker-bands.js';
import { chartWidth, darkAxis, followWidth } from './chart-frame.js';
import { el } from './dom.js';
import { BREAKER_COLOURS, INK } from './palette.js';

const ROW_PX = 30;
const hhmmss = (at: number) => new Date(at).toISOString().slice(11, 19);
const hhmm = (at: number) => new Date(at).toISOString().slice(11, 16);

export function breakerTimeline(rows: readonly BreakerRow[], start: number, now: number): HTMLElement {
  const height = 80 + rows.length * ROW_PX;
  const host = el('div', { class: 'chart' });
  const legend = el('p', { class: 'hint chart-legend' }, ...Object.keys(BREAKER_COLOURS).map((state) => el('span', { class: `swatch breaker-${state}` }, state)), ' · times UTC');
  const list = el(
    'ul',
    { class: 'band-list' },
    ...rows.map((row) =>
      el('li', { 'data-breaker': row.key, 'data-states': row.states.join(' ') }, el('code', {}, row.label), ': ', row.bands.map((b, i) => (i === 0 ? b.state : `→ ${b.state} ${hhmmss(b.from)}`)).join(' ')),
    ),
  );
  const figure = el('figure', { class: 'chart-figure', 'data-testid': 'breaker-timeline', 'data-rows': String(rows.length) }, host, legend, list);
  const options: uPlot.Options = {
    width: 640,
    height,
    ms: 1,
    series: [{}, { label: 'state', show: false }],
    scales: { x: { time: true, range: [start, now] }, y: { range: [-0.5, rows.length - 0.5] } },
    axes: [
      darkAxis('time (UTC)', { values: (_u, splits) => splits.map(hhmm) }),
      darkAxis('', { size: 130, splits: () => rows.map((_r, i) => i), values: (_u, splits) => splits.map((i) => rows[i]?.label ?? ''), grid: { show: false } }),
    ],
    legend: { show: false },
    cursor: { show: false },
    hooks: {
      draw: [
        (u) => {
          const ctx = u.ctx;
          // Bars take 60 % of the pitch between rows, whatever the chart's height came to.
          const bar = Math.abs(u.valToPos(0, 'y', true) - u.valToPos(1, 'y', true)) * 0.6;
          ctx.save();
          rows.forEach((row, i) => {
            const y = u.valToPos(i, 'y', true) - bar / 2;
            for (const band of row.bands) {
              const x0 = u.valToPos(band.from, 'x', true);
              const x1 = u.valToPos(band.to, 'x', true);
              ctx.fillStyle = BREAKER_COLOURS[band.state] ?? INK.muted;
              ctx.fillRect(x0, y, Math.max(uPlot.pxRatio, x1 - x0), bar);
            }
          });
          ctx.restore();
        },
      ],
    },
  };
  const chart = new uPlot(options, [[start, now], [null, null]], host);
  chart.ctx.canvas.setAttribute('role', 'img');
  chart.ctx.canvas.setAttribute('aria-label', `Breaker states from ${hhmmss(start)} to ${hhmmss(now)} UTC; listed below.`);
  requestAnimationFrame(() => {
    chart.setSize({ width: chartWidth(host, 1100), height });
    followWidth(chart, host, height, 1100);
  });
  return figure;
}
