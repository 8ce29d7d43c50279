/**
 * The conflict log (#/conflicts): GET /v1/conflicts, newest first, paged with its tokens,
 * filtered by agent, operation and type. The lead's event bus carries no conflict events, so
 * the first page is fetched again when the status box's count of conflicts in the last hour
 * moves (the feed sends the status every 2 s).
 */
import { el } from './dom.js';
import { getJson } from './http.js';

interface ConflictRow {
  seq: number;
  conflict_id: string;
  received_at: number;
  agent_id: string;
  operation_id: string | null;
  type: string;
  priority: number;
  report: unknown;
}

export const CONFLICTS_PAGE = 20;

export class ConflictsView {
  readonly element: HTMLElement;
  private readonly agent = el('input', { type: 'search', placeholder: 'agent id', 'aria-label': 'Agent', 'data-testid': 'conflicts-agent' });
  private readonly operation = el('input', { type: 'search', placeholder: 'operation id', 'aria-label': 'Operation', 'data-testid': 'conflicts-operation' });
  private readonly type = el('input', { type: 'search', placeholder: 'type', 'aria-label': 'Type', 'data-testid': 'conflicts-type' });
  private readonly rows = el('tbody', { 'data-testid': 'conflicts-rows' });
  private readonly prev = el('button', { type: 'button', 'data-testid': 'conflicts-prev' }, '← Newer');
  private readonly next = el('button', { type: 'button', 'data-testid': 'conflicts-next' }, 'Older →');
  private readonly pageLabel = el('span', { 'data-testid': 'conflicts-page' }, 'page 1');
  private readonly message = el('p', { class: 'hint', role: 'status', 'data-testid': 'conflicts-message' });
  private tokens: (string | undefined)[] = [undefined];
  private page = 0;
  private lastCount: number | undefined;

  constructor() {
    const form = el('form', { class: 'filters' }, this.agent, this.operation, this.type, el('button', { type: 'submit' }, 'Apply'));
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      this.restart();
    });
    this.prev.addEventListener('click', () => void this.show(this.page - 1));
    this.next.addEventListener('click', () => void this.show(this.page + 1));
    const head = el('tr', {}, ...['Received', 'Agent', 'Operation', 'Type', 'Priority', 'Conflict id'].map((h) => el('th', { scope: 'col' }, h)));
    this.element = el(
      'section',
      { class: 'card', 'aria-label': 'Conflicts', 'data-testid': 'conflicts-view' },
      el('h2', {}, 'Conflicts'),
      form,
      el('div', { class: 'table-wrap' }, el('table', { 'data-testid': 'conflicts-table' }, el('thead', {}, head), this.rows)),
      el('div', { class: 'pager' }, this.prev, this.pageLabel, this.next),
      this.message,
    );
  }

  /** Opens the view with the filters a link carried (#/conflicts?agent=...). */
  open(filters: URLSearchParams): void {
    this.agent.value = filters.get('agent') ?? '';
    this.operation.value = filters.get('operation') ?? '';
    this.type.value = filters.get('type') ?? '';
    this.restart();
  }

  /** The status box's conflict count: a change means the log moved. */
  countChanged(count: number): void {
    const moved = this.lastCount !== undefined && count !== this.lastCount;
    this.lastCount = count;
    if (moved && this.page === 0 && this.element.isConnected) void this.show(0);
  }

  private restart(): void {
    this.tokens = [undefined];
    void this.show(0);
  }

  private async show(page: number): Promise<void> {
    if (page < 0 || page >= this.tokens.length) return;
    this.message.textContent = '';
    const query = new URLSearchParams({ page_size: String(CONFLICTS_PAGE) });
    if (this.agent.value.trim() !== '') query.set('agent', this.agent.value.trim());
    if (this.operation.value.trim() !== '') query.set('operation', this.operation.value.trim());
    if (this.type.value.trim() !== '') query.set('type', this.type.value.trim());
    const token = this.tokens[page];
    if (token !== undefined) query.set('page_token', token);
    try {
      const body = await getJson<{ conflicts: ConflictRow[]; next_page_token?: string }>(`/v1/conflicts?${query.toString()}`);
      this.page = page;
      this.tokens.length = page + 1;
      if (body.next_page_token !== undefined) this.tokens.push(body.next_page_token);
      this.draw(body.conflicts, body.next_page_token !== undefined);
    } catch (problem) {
      this.message.textContent = problem instanceof Error ? problem.message : String(problem);
    }
  }

  private draw(conflicts: ConflictRow[], more: boolean): void {
    this.rows.replaceChildren(
      ...conflicts.map((c) => {
        const row = el(
          'tr',
          { 'data-conflict': c.conflict_id },
          el('td', {}, new Date(c.received_at).toISOString().slice(0, 19).replace('T', ' ')),
          el('td', {}, el('a', { href: `#/agents/${encodeURIComponent(c.agent_id)}` }, c.agent_id)),
          el('td', {}, c.operation_id === null ? '—' : el('code', {}, c.operation_id)),
          el('td', {}, c.type),
          el('td', { class: 'num' }, String(c.priority)),
          el('td', {}, el('code', {}, c.conflict_id)),
        );
        row.title = JSON.stringify(c.report);
        return row;
      }),
    );
    if (conflicts.length === 0) this.message.textContent = 'No conflict matches.';
    this.pageLabel.textContent = `page ${this.page + 1}`;
    this.prev.disabled = this.page === 0;
    this.next.disabled = !more;
  }
}
