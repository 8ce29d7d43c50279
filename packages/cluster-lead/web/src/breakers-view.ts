/**
 * Breakers: each one's state now (GET /v1/breakers) and over time (GET /v1/breakers/history,
 * the lead's last transitions), kept live by the feed's `breaker` events. Times are the lead's
 * clock: the page keeps the offset from its own to move "now" along between events.
 */
import type * as Timeline from './breaker-timeline.js';
import { breakerKey, breakerRows, type BreakerNow, type BreakerTransition } from './breaker-bands.js';
import { el } from './dom.js';
import { HttpProblem, getJson } from './http.js';

/** The timeline shows at least this much time before now. */
const WINDOW_MS = 15 * 60_000;
/** "Now" moves along at this pace while nothing happens. */
const REDRAW_MS = 10_000;
/** Transitions arriving close together ask for the current states once. */
const REFETCH_MS = 250;

/** The timeline's code (and uPlot) is a chunk, loaded the first time a breaker has left closed. */
let timelineModule: Promise<typeof Timeline> | undefined;
const loadTimeline = () => (timelineModule ??= import('./breaker-timeline.js'));

interface HistoryBody {
  transitions: BreakerTransition[];
  capacity: number;
  dropped: number;
  now: number;
}

export class BreakersView {
  readonly element: HTMLElement;
  private readonly rows = el('tbody', { 'data-testid': 'breakers-rows' });
  private readonly chart = el('div', { 'data-testid': 'breakers-chart' });
  private readonly message = el('p', { class: 'hint', role: 'status' });
  private readonly transitions = new Map<number, BreakerTransition>();
  private current: BreakerNow[] = [];
  private leadOffsetMs = 0;
  private refetch: number | undefined;
  private available = true;
  private drawn = 0;

  constructor() {
    const head = el('tr', {}, ...['Breaker', 'State', 'Since', 'Next check', 'Failures in window'].map((h) => el('th', { scope: 'col' }, h)));
    this.element = el('section', { class: 'card', 'aria-label': 'Breakers', 'data-testid': 'breakers' }, el('h2', {}, 'Breakers'), el('div', { class: 'table-wrap' }, el('table', {}, el('thead', {}, head), this.rows)), this.chart, this.message);
    const timer = window.setInterval(() => {
      if (!this.element.isConnected) window.clearInterval(timer);
      else if (this.available && document.visibilityState === 'visible' && this.transitions.size + this.current.length > 0) this.draw();
    }, REDRAW_MS);
  }

  /** Everything again (first load, a snapshot after a reconnect). */
  async refresh(): Promise<void> {
    try {
      const [list, history] = await Promise.all([getJson<{ breakers: BreakerNow[] }>('/v1/breakers'), getJson<HistoryBody>('/v1/breakers/history')]);
      this.available = true;
      this.current = list.breakers;
      this.leadOffsetMs = history.now - Date.now();
      this.transitions.clear();
      for (const t of history.transitions) this.transitions.set(t.seq, t);
      this.message.textContent = history.dropped > 0 ? `Older transitions dropped from the lead's log: ${history.dropped} (it keeps ${history.capacity}).` : '';
      this.draw();
    } catch (problem) {
      if (problem instanceof HttpProblem && problem.status === 404) {
        this.available = false;
        this.rows.replaceChildren();
        this.chart.replaceChildren();
        this.message.textContent = 'Breakers are not available on this lead.';
      } else this.message.textContent = problem instanceof Error ? problem.message : String(problem);
    }
  }

  /** One transition from the feed: drawn at once, the current states fetched again soon after. */
  transition(t: BreakerTransition): void {
    this.transitions.set(t.seq, t);
    const known = this.current.find((b) => breakerKey(b) === breakerKey(t));
    if (known === undefined) this.current.push({ scope: t.scope, target_id: t.target_id, state: t.to, opened_at: null, next_check_at: null, failures_in_window: 0, metrics_only: t.shadow });
    else known.state = t.to;
    this.draw();
    if (this.refetch !== undefined) return;
    this.refetch = window.setTimeout(() => {
      this.refetch = undefined;
      void this.refresh();
    }, REFETCH_MS);
  }

  private draw(): void {
    const now = Date.now() + this.leadOffsetMs;
    const log = [...this.transitions.values()];
    const start = Math.min(now - WINDOW_MS, ...log.map((t) => t.at));
    const rows = breakerRows(log, this.current, start, now);
    const at = (ms: number | null) => (ms === null ? '—' : new Date(ms).toISOString().slice(11, 19));
    this.rows.replaceChildren(
      ...this.current.map((b) =>
        el(
          'tr',
          { 'data-breaker': breakerKey(b), 'data-state': b.state },
          el('td', {}, el('code', {}, b.scope === 'global' ? 'global' : `${b.scope} ${b.target_id}`), b.metrics_only ? ' (metrics only)' : ''),
          el('td', {}, el('span', { class: `state breaker-${b.state}` }, b.state)),
          el('td', {}, at(b.opened_at)),
          el('td', {}, at(b.next_check_at)),
          el('td', { class: 'num' }, String(b.failures_in_window)),
        ),
      ),
    );
    if (this.current.length === 0) this.rows.replaceChildren(el('tr', {}, el('td', { colspan: '5', class: 'hint' }, 'No breaker has seen traffic yet.')));
    const drawing = ++this.drawn;
    if (rows.length === 0) {
      this.chart.replaceChildren(el('p', { class: 'hint' }, "No breaker has left closed in the lead's log."));
      return;
    }
    loadTimeline().then(
      // Only the latest drawing lands: transitions may arrive while the chunk loads.
      (m) => drawing === this.drawn && this.chart.replaceChildren(m.breakerTimeline(rows, start, now)),
      (problem: unknown) => (this.message.textContent = `The timeline could not load: ${problem instanceof Error ? problem.message : String(problem)}`),
    );
  }
}
