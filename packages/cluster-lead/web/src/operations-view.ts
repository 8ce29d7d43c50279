/**
 * Operations: the latest from GET /v1/operations, and for the one picked its arrival errors per
 * release mode (CDF or histogram), quorum, stragglers and skips with their reasons. The list is
 * fetched again when the status box's operation counts move (the feed), not on a timer.
 */
import { el } from './dom.js';
import { arrivalChart } from './arrival-chart.js';
import type { CdfContext } from './arrival-cdf.js';
import { getJson } from './http.js';

interface Job {
  operation_id: string;
  kind: string;
  state: string;
  created_at: number;
  result?: ScatterFigures;
}

interface ScatterFigures {
  status?: string;
  counts?: { selected?: number; sent?: number; ready?: number; stragglers?: number; skipped?: number };
  quorum?: { achieved?: boolean; decision?: string; rates?: { ready?: number } };
  /** Agents sent per release mode. */
  modes?: Record<string, number>;
  responders?: { agent_id: string; mode: string; outcome: string; arrival_error_ms: number }[];
  stragglers?: string[];
  skipped?: { agent_id: string; reason: string; detail: string }[];
}

const LIST_SIZE = 10;

export class OperationsView {
  readonly element: HTMLElement;
  private readonly list = el('ul', { class: 'ops', 'data-testid': 'operations-list' });
  private readonly detail = el('div', { 'data-testid': 'operation-detail' });
  private lastCounts = '';

  constructor() {
    this.element = el('section', { class: 'card', 'aria-label': 'Operations' }, el('h2', {}, 'Operations'), this.list, this.detail);
  }

  /** The status box's operation counts: a change means an operation started or ended. */
  countsChanged(counts: { in_flight: number; queued: number } | undefined): void {
    const key = JSON.stringify(counts ?? null);
    if (key === this.lastCounts) return;
    this.lastCounts = key;
    this.refresh().catch((problem: unknown) => this.list.replaceChildren(el('li', { class: 'error' }, problem instanceof Error ? problem.message : String(problem))));
  }

  async refresh(): Promise<void> {
    const body = await getJson<{ operations: Job[] }>(`/v1/operations?page_size=${LIST_SIZE}`);
    if (body.operations.length === 0) {
      this.list.replaceChildren(el('li', { class: 'hint' }, 'No operation yet.'));
      return;
    }
    this.list.replaceChildren(
      ...body.operations.map((job) => {
        const open = el('button', { type: 'button', class: 'link', 'data-operation': job.operation_id }, job.operation_id);
        open.addEventListener('click', () => {
          this.show(job.operation_id).catch((problem: unknown) => this.detail.replaceChildren(el('p', { class: 'error' }, problem instanceof Error ? problem.message : String(problem))));
        });
        return el('li', {}, open, ` ${job.kind} · `, el('span', { class: `job job-${job.state}` }, job.state), ` · ${new Date(job.created_at).toISOString().slice(11, 19)}`);
      }),
    );
  }

  private async show(id: string): Promise<void> {
    const job = await getJson<Job>(`/v1/operations/${encodeURIComponent(id)}`);
    const figures = job.result ?? {};
    const byMode = new Map<string, number[]>();
    for (const r of figures.responders ?? []) {
      if (r.outcome !== 'ready') continue;
      const errors = byMode.get(r.mode) ?? [];
      errors.push(r.arrival_error_ms);
      byMode.set(r.mode, errors);
    }
    const c = figures.counts ?? {};
    const skipped = figures.skipped ?? [];
    this.detail.replaceChildren(
      el('h3', {}, `${job.operation_id} · ${job.state}`),
      el(
        'p',
        { 'data-testid': 'operation-figures' },
        `sent ${c.sent ?? 0} of ${c.selected ?? 0} · ready ${c.ready ?? 0} · quorum ${figures.quorum?.decision ?? '—'}${figures.quorum?.achieved === true ? ' (achieved)' : ' (not achieved)'} · stragglers ${figures.stragglers?.length ?? 0} · skipped ${skipped.length}`,
      ),
      byMode.size === 0 ? el('p', { class: 'hint' }, 'No READY arrival to draw.') : arrivalChart(byMode, chartContext(figures)),
      ...(skipped.length === 0 ? [] : [el('ul', { class: 'skips' }, ...skipped.slice(0, 20).map((s) => el('li', {}, el('code', {}, s.agent_id), ` ${s.reason}: ${s.detail}`)))]),
    );
  }
}

function chartContext(figures: ScatterFigures): CdfContext {
  const ready = figures.quorum?.rates?.ready;
  return {
    ...(figures.modes === undefined ? {} : { sentByMode: figures.modes }),
    ...(ready === undefined ? {} : { quorum: { readyShare: ready, decision: figures.quorum?.decision ?? '—' } }),
    stragglers: figures.stragglers?.length ?? 0,
  };
}
