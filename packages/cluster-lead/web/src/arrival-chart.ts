/**
 * The arrival errors of one operation, as a CDF (uPlot) or a histogram (inline SVG), with a
 * toggle between them; the CDF first. Only READY agents have an arrival error. The CDF's code
 * (and uPlot) is a chunk loaded the first time one is drawn.
 */
import type * as CdfChart from './arrival-cdf.js';
import type { CdfContext } from './arrival-cdf.js';
import { el } from './dom.js';
import { arrivalHistogram } from './histogram.js';

let cdfModule: Promise<typeof CdfChart> | undefined;
const loadCdf = () => (cdfModule ??= import('./arrival-cdf.js'));

type View = 'cdf' | 'histogram';

export function arrivalChart(byMode: ReadonlyMap<string, readonly number[]>, context: CdfContext): HTMLElement {
  const body = el('div', { class: 'chart-body' });
  const buttons = (['cdf', 'histogram'] as const).map((view) => el('button', { type: 'button', 'data-view': view, 'aria-pressed': 'false' }, view === 'cdf' ? 'CDF' : 'Histogram'));
  let shown: View = 'cdf';
  const show = (view: View) => {
    shown = view;
    for (const b of buttons) b.setAttribute('aria-pressed', String(b.dataset.view === view));
    if (view === 'histogram') {
      body.replaceChildren(arrivalHistogram(byMode));
      return;
    }
    loadCdf().then(
      // The toggle may have moved on while the chunk loaded.
      (m) => shown === 'cdf' && body.replaceChildren(m.arrivalCdf(byMode, context)),
      (problem: unknown) => body.replaceChildren(el('p', { class: 'error' }, `The chart could not load: ${problem instanceof Error ? problem.message : String(problem)}`)),
    );
  };
  for (const b of buttons) b.addEventListener('click', () => show(b.dataset.view as View));
  show('cdf');
  return el('div', { class: 'arrival-chart' }, el('div', { class: 'buttons toggle', role: 'group', 'aria-label': 'Arrival errors as', 'data-testid': 'arrival-view' }, ...buttons), body);
}
