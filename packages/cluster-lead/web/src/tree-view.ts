/**
 * The lead tree (#/tree): this lead, its parent if it has one, and the child leads that send
 * it summaries (GET /v1/tree), each with its subtree's figures: agents active of total, mode,
 * mean impedance, when it last reported. A child's own children are inside its figures; its
 * own dashboard shows them. Redrawn from the status ticks of the feed, at most every REFRESH_MS.
 */
import { el } from './dom.js';
import { getJson } from './http.js';

interface ChildLead {
  lead_id: string;
  cluster_id: string;
  sector_id: string | null;
  liveness: 'live' | 'stale';
  received_at: number;
  agent_count: number;
  by_state: { active: number; degraded: number; offline: number; quarantined: number };
  impedance: { mean: number };
  mode: string;
  frozen: boolean;
}

export interface TreeJson {
  lead_id: string;
  cluster_id: string;
  sector_id: string | null;
  parent_lead_id: string | null;
  agents_active: number;
  agents_total: number;
  mode: string;
  frozen: boolean;
  children: ChildLead[];
}

const REFRESH_MS = 5_000;

/** The line each node shows; the browser test compares it with GET /v1/tree. */
export const leadSummary = (active: number, total: number, mode: string, frozen: boolean): string => `${active} / ${total} agents active · ${mode}${frozen ? ' (frozen)' : ''}`;

export class TreeView {
  readonly element = el('section', { class: 'card', 'aria-label': 'Lead tree', 'data-testid': 'tree-view' }, el('h2', {}, 'Lead tree'));
  private lastDrawn = 0;

  open(): void {
    this.refresh();
  }

  /** A status tick: redraw at most every REFRESH_MS while shown. */
  tick(): void {
    if (this.element.isConnected && Date.now() - this.lastDrawn >= REFRESH_MS) this.refresh();
  }

  private refresh(): void {
    this.lastDrawn = Date.now();
    getJson<TreeJson>('/v1/tree')
      .then((tree) => this.draw(tree))
      .catch((problem: unknown) => this.element.replaceChildren(el('h2', {}, 'Lead tree'), el('p', { class: 'error' }, problem instanceof Error ? problem.message : String(problem))));
  }

  private draw(tree: TreeJson): void {
    const self = el(
      'li',
      { 'data-lead': tree.lead_id, class: 'tree-self' },
      el('strong', {}, tree.lead_id),
      ` · cluster ${tree.cluster_id}${tree.sector_id === null ? '' : ` · sector ${tree.sector_id}`} (this lead) · `,
      el('span', { 'data-testid': `lead-summary-${tree.lead_id}` }, leadSummary(tree.agents_active, tree.agents_total, tree.mode, tree.frozen)),
      tree.children.length === 0 ? el('p', { class: 'hint' }, 'No child lead has reported to this lead.') : el('ul', { class: 'tree' }, ...tree.children.map((c) => this.child(c))),
    );
    const top = tree.parent_lead_id === null ? el('ul', { class: 'tree' }, self) : el('ul', { class: 'tree' }, el('li', { class: 'hint' }, `parent: ${tree.parent_lead_id}`, el('ul', { class: 'tree' }, self)));
    this.element.replaceChildren(el('h2', {}, 'Lead tree'), top);
  }

  private child(c: ChildLead): HTMLElement {
    const routable = c.by_state.active + c.by_state.degraded;
    return el(
      'li',
      { 'data-lead': c.lead_id, class: `tree-child liveness-${c.liveness}` },
      el('strong', {}, c.lead_id),
      ` · cluster ${c.cluster_id}${c.sector_id === null ? '' : ` · sector ${c.sector_id}`} · `,
      el('span', { 'data-testid': `lead-summary-${c.lead_id}` }, leadSummary(c.by_state.active, c.agent_count, c.mode, c.frozen)),
      el('span', { class: 'hint' }, ` · ${routable} routable · impedance ${c.impedance.mean.toFixed(1)} · ${c.liveness}, last summary ${new Date(c.received_at).toISOString().slice(11, 19)}`),
    );
  }
}
