/**
 * An operation's arrival errors as a CDF per release mode, drawn with uPlot: x the error in ms
 * (T at 0), y the share of the mode's agents READY by then. Rules mark T, the quorum's ready
 * share and 100 % of those sent; the gap under that line is the agents that never got READY.
 */
import uPlot from 'uplot';
import { cdfData } from './cdf-data.js';
import { chartWidth, darkAxis, drawRule, followWidth } from './chart-frame.js';
import { el } from './dom.js';
import { INK, OKABE_ITO, modeStyle } from './palette.js';

const HEIGHT = 300;

export interface CdfContext {
  /** Agents sent per release mode (the result's `modes`); absent, a curve is of its READY agents. */
  readonly sentByMode?: Readonly<Record<string, number>>;
  /** Share of all agents sent that were READY, and the decision, from the result's quorum. */
  readonly quorum?: { readonly readyShare: number; readonly decision: string };
  readonly stragglers: number;
}

const percent = (share: number) => `${Math.round(share * 1000) / 10} %`;

/** The chart in a figure with a caption, for the detail of one operation. */
export function arrivalCdf(byMode: ReadonlyMap<string, readonly number[]>, context: CdfContext): HTMLElement {
  const data = cdfData(byMode, context.sentByMode);
  const host = el('div', { class: 'chart' });
  const summary = data.curves.map((c, i) => `${modeStyle(c.mode, i).label}: ${c.points} READY of ${c.sent} sent`).join('; ');
  const figure = el(
    'figure',
    { class: 'chart-figure', 'data-testid': 'arrival-cdf' },
    host,
    el(
      'figcaption',
      { class: 'hint' },
      ...data.curves.map((c, i) => el('span', { class: 'series-note', 'data-mode': c.mode, 'data-points': String(c.points), 'data-sent': String(c.sent) }, `${modeStyle(c.mode, i).label}: ${c.points} READY of ${c.sent} sent`)),
      el('span', { class: 'series-note', 'data-testid': 'cdf-stragglers' }, `stragglers (no ACK by the deadline): ${context.stragglers}`),
    ),
  );
  const series: uPlot.Series[] = [
    { label: 'error (ms)', value: (_u, v) => (v === null ? '—' : `${v.toFixed(2)} ms`) },
    ...data.curves.map((c, i): uPlot.Series => {
      const style = modeStyle(c.mode, i);
      return { label: style.label, stroke: style.colour, width: 2, dash: style.dash, paths: uPlot.paths.stepped!({ align: 1 }), points: { show: false }, value: (_u, v) => (v === null ? '—' : percent(v)) };
    }),
  ];
  const options: uPlot.Options = {
    width: 640,
    height: HEIGHT,
    series,
    scales: { x: { time: false }, y: { range: [0, 1.05] } },
    axes: [darkAxis('arrival error (ms), T = 0'), darkAxis('READY by then (% of sent)', { values: (_u, splits) => splits.map((v) => `${Math.round(v * 100)}`), size: 50 })],
    legend: { live: true },
    cursor: { points: { show: false }, drag: { x: false, y: false } },
    hooks: {
      draw: [
        (u) => {
          drawRule(u, { y: 1, colour: INK.muted, dash: [2, 4], label: '100 % of sent' });
          if (context.quorum !== undefined) drawRule(u, { y: context.quorum.readyShare, colour: OKABE_ITO.green, dash: [6, 3], label: `quorum ${context.quorum.decision}: ${percent(context.quorum.readyShare)} READY` });
          drawRule(u, { x: 0, colour: INK.text, dash: [4, 3], label: 'T' });
        },
      ],
    },
  };
  const chart = new uPlot(options, [data.x, ...data.curves.map((c) => c.share)], host);
  figure.dataset.series = String(chart.series.length - 1);
  // The canvas is the picture; the legend and caption stay readable text.
  chart.ctx.canvas.setAttribute('role', 'img');
  chart.ctx.canvas.setAttribute('aria-label', `Arrival error CDF per release mode, T at 0 ms. ${summary}. Stragglers ${context.stragglers}.`);
  // Sized once the figure is in the page (its card's width), then kept so.
  requestAnimationFrame(() => {
    chart.setSize({ width: chartWidth(host), height: HEIGHT });
    followWidth(chart, host, HEIGHT);
  });
  return figure;
}
