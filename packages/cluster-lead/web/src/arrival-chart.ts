/**
 * The arrival errors of one operation, as a CDF (uPlot) or a histogram (inline SVG), with a
 * toggle between them; the CDF first. Only READY agents have an arrival error.
 */
import { arrivalCdf, type CdfContext } from './arrival-cdf.js';
import { el } from './dom.js';
import { arrivalHistogram } from './histogram.js';

type View = 'cdf' | 'histogram';

export function arrivalChart(byMode: ReadonlyMap<string, readonly number[]>, context: CdfContext): HTMLElement {
  const body = el('div', { class: 'chart-body' });
  const buttons = (['cdf', 'histogram'] as const).map((view) => el('button', { type: 'button', 'data-view': view, 'aria-pressed': 'false' }, view === 'cdf' ? 'CDF' : 'Histogram'));
  const show = (view: View) => {
    for (const b of buttons) b.setAttribute('aria-pressed', String(b.dataset.view === view));
    body.replaceChildren(view === 'cdf' ? arrivalCdf(byMode, context) : arrivalHistogram(byMode));
  };
  for (const b of buttons) b.addEventListener('click', () => show(b.dataset.view as View));
  show('cdf');
  return el('div', { class: 'arrival-chart' }, el('div', { class: 'buttons toggle', role: 'group', 'aria-label': 'Arrival errors as', 'data-testid': 'arrival-view' }, ...buttons), body);
}
