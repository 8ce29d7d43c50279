/**
 * What the dashboard's uPlot charts share: the dark theme of the axes, a width that follows the
 * card, and lines drawn over the plot (T, quorum) in canvas pixels.
 */
import uPlot from 'uplot';
import { INK } from './palette.js';

const FONT = '12px system-ui, sans-serif';
const LABEL_FONT = '13px system-ui, sans-serif';

/** An axis on the dark background, labelled with its unit. */
export function darkAxis(label: string, extra: Partial<uPlot.Axis> = {}): uPlot.Axis {
  return { label, stroke: INK.muted, font: FONT, labelFont: LABEL_FONT, grid: { stroke: INK.grid, width: 1 }, ticks: { stroke: INK.grid, width: 1 }, ...extra };
}

/** Width for a chart in `host`: the card's, within bounds (uPlot needs numbers, not CSS). */
export function chartWidth(host: HTMLElement, max = 760): number {
  return Math.max(280, Math.min(max, Math.floor(host.clientWidth || max)));
}

/** Keeps the chart as wide as its host when the window (or a phone) changes size. */
export function followWidth(chart: uPlot, host: HTMLElement, height: number, max?: number): void {
  const observer = new ResizeObserver(() => {
    if (!host.isConnected) {
      observer.disconnect();
      return;
    }
    const width = chartWidth(host, max);
    if (width !== chart.width) chart.setSize({ width, height });
  });
  observer.observe(host);
}

/** A straight line across the plot with a label at its end, in the plot's own values. */
export function drawRule(u: uPlot, rule: { x?: number; y?: number; colour: string; dash: number[]; label: string }): void {
  const ctx = u.ctx;
  const { left, top, width, height } = u.bbox;
  const ratio = uPlot.pxRatio;
  ctx.save();
  ctx.strokeStyle = rule.colour;
  ctx.fillStyle = rule.colour;
  ctx.lineWidth = ratio;
  ctx.setLineDash(rule.dash.map((d) => d * ratio));
  ctx.font = `${Math.round(12 * ratio)}px system-ui, sans-serif`;
  ctx.beginPath();
  if (rule.x !== undefined) {
    const x = Math.round(u.valToPos(rule.x, 'x', true));
    ctx.moveTo(x, top);
    ctx.lineTo(x, top + height);
    ctx.stroke();
    ctx.textAlign = 'left';
    ctx.fillText(rule.label, x + 4 * ratio, top + height - 6 * ratio);
  } else if (rule.y !== undefined) {
    const y = Math.round(u.valToPos(rule.y, 'y', true));
    ctx.moveTo(left, y);
    ctx.lineTo(left + width, y);
    ctx.stroke();
    ctx.textAlign = 'left';
    ctx.fillText(rule.label, left + 6 * ratio, y - 5 * ratio);
  }
  ctx.restore();
}
