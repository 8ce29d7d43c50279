/**
 * The agents list: pages from GET /v1/agents (its page tokens), filtered by state, class,
 * cluster and capability, or one agent by id. Refreshed when the live feed reports an agent event, at most once a second.
 */
import { el } from './dom.js';
import { getJson, HttpProblem } from './http.js';

interface AgentRow {
  agent_id: string;
  agent_class: string;
  cluster_id: string;
  sector_id: string;
  state: string;
  routable: boolean;
  last_heartbeat_at: number | null;
  impedance: { impedance_score: number | null };
  health?: { state: string };
}

const CLASSES = ['', 'A', 'B', 'C', 'D', 'E', 'F'];
const STATES = ['', 'active', 'degraded', 'offline', 'quarantined'];
export const PAGE_SIZE = 25;
const REFRESH_MS = 1_000;

export class AgentsView {
  readonly element: HTMLElement;
  private readonly state = el('select', { 'data-testid': 'filter-state', 'aria-label': 'State' }, ...STATES.map((s) => el('option', { value: s }, s === '' ? 'any state' : s)));
  private readonly agentClass = el('select', { 'data-testid': 'filter-class', 'aria-label': 'Class' }, ...CLASSES.map((k) => el('option', { value: k }, k === '' ? 'any class' : `class ${k}`)));
  private readonly capability = el('input', { type: 'search', placeholder: 'capability', 'aria-label': 'Capability', 'data-testid': 'filter-capability' });
  private readonly cluster = el('input', { type: 'search', placeholder: 'cluster id', 'aria-label': 'Cluster', 'data-testid': 'filter-cluster' });
  private readonly search = el('input', { type: 'search', placeholder: 'agent id', 'aria-label': 'Agent id', 'data-testid': 'search-id' });
  private readonly rows = el('tbody', { 'data-testid': 'agents-rows' });
  private readonly prev = el('button', { type: 'button', 'data-testid': 'page-prev' }, '← Prev');
  private readonly next = el('button', { type: 'button', 'data-testid': 'page-next' }, 'Next →');
  private readonly pageLabel = el('span', { 'data-testid': 'page-number' }, 'page 1');
  private readonly message = el('p', { class: 'hint', role: 'status' });
  /** Token of each page shown so far: tokens[i] opens page i (undefined for the first). */
  private tokens: (string | undefined)[] = [undefined];
  private page = 0;
  /** The page last asked for, and a count of requests: only the latest answer is drawn (a refresh racing a click on Next must not win). */
  private wanted = 0;
  private requests = 0;
  private nextToken: string | undefined;
  private refreshTimer: number | undefined;

  /** `rowActions`: buttons for each row (operator sessions only, actions.ts). */
  constructor(private readonly rowActions?: (agent: AgentRow) => Node) {
    const form = el('form', { class: 'filters' }, this.state, this.agentClass, this.cluster, this.capability, this.search, el('button', { type: 'submit' }, 'Apply'));
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      this.restart();
    });
    this.state.addEventListener('change', () => this.restart());
    this.agentClass.addEventListener('change', () => this.restart());
    this.prev.addEventListener('click', () => void this.show(this.page - 1));
    this.next.addEventListener('click', () => void this.show(this.page + 1));
    const columns = ['Agent', 'Class', 'Cluster', 'Sector', 'State', 'Impedance', 'Last heartbeat', ...(rowActions === undefined ? [] : ['Actions'])];
    const head = el('tr', {}, ...columns.map((h) => el('th', { scope: 'col' }, h)));
    this.element = el(
      'section',
      { class: 'card', 'aria-label': 'Agents' },
      el('h2', {}, 'Agents'),
      form,
      el('div', { class: 'table-wrap' }, el('table', { 'data-testid': 'agents-table' }, el('thead', {}, head), this.rows)),
      el('div', { class: 'pager' }, this.prev, this.pageLabel, this.next),
      this.message,
    );
  }

  restart(): void {
    this.tokens = [undefined];
    void this.show(0);
  }

  /** An agent changed: redraw the page shown, at most once per REFRESH_MS. */
  agentChanged(): void {
    if (this.refreshTimer !== undefined) return;
    this.refreshTimer = window.setTimeout(() => {
      this.refreshTimer = undefined;
      void this.show(this.wanted);
    }, REFRESH_MS);
  }

  private async show(page: number): Promise<void> {
    if (page < 0 || page >= this.tokens.length) return;
    this.wanted = page;
    const request = ++this.requests;
    this.message.textContent = '';
    try {
      const id = this.search.value.trim();
      const { agents, next } = id === '' ? await this.fetchPage(page) : { agents: await this.fetchOne(id), next: undefined };
      if (request !== this.requests) return;
      // Page tokens change only with the answer drawn.
      if (id === '') this.tokens.length = page + 1;
      else this.tokens = [undefined];
      if (next !== undefined) this.tokens.push(next);
      this.nextToken = next;
      this.page = page;
      this.draw(agents);
    } catch (problem) {
      this.message.textContent = problem instanceof Error ? problem.message : String(problem);
    }
  }

  private async fetchPage(page: number): Promise<{ agents: AgentRow[]; next: string | undefined }> {
    const query = new URLSearchParams({ page_size: String(PAGE_SIZE) });
    if (this.state.value !== '') query.set('state', this.state.value);
    if (this.agentClass.value !== '') query.set('class', this.agentClass.value);
    if (this.cluster.value.trim() !== '') query.set('cluster', this.cluster.value.trim());
    if (this.capability.value.trim() !== '') query.set('capability', this.capability.value.trim());
    const token = this.tokens[page];
    if (token !== undefined) query.set('page_token', token);
    const body = await getJson<{ agents: AgentRow[]; next_page_token?: string }>(`/v1/agents?${query.toString()}`);
    return { agents: body.agents, next: body.next_page_token };
  }

  private async fetchOne(id: string): Promise<AgentRow[]> {
    try {
      return [await getJson<AgentRow>(`/v1/agents/${encodeURIComponent(id)}`)];
    } catch (problem) {
      if (problem instanceof HttpProblem && problem.status === 404) return [];
      throw problem;
    }
  }

  private draw(agents: AgentRow[]): void {
    this.rows.replaceChildren(
      ...agents.map((a) =>
        el(
          'tr',
          { 'data-agent': a.agent_id },
          el('td', {}, el('a', { href: `#/agents/${encodeURIComponent(a.agent_id)}`, 'data-agent-link': a.agent_id }, el('code', {}, a.agent_id))),
          el('td', {}, a.agent_class),
          el('td', {}, a.cluster_id),
          el('td', {}, a.sector_id),
          el('td', {}, el('span', { class: `state state-${a.state}` }, a.state)),
          el('td', { class: 'num' }, a.impedance.impedance_score === null ? '—' : a.impedance.impedance_score.toFixed(3)),
          el('td', {}, a.last_heartbeat_at === null ? 'never' : new Date(a.last_heartbeat_at).toISOString().slice(11, 19)),
          ...(this.rowActions === undefined ? [] : [el('td', {}, this.rowActions(a))]),
        ),
      ),
    );
    if (agents.length === 0) this.message.textContent = 'No agent matches.';
    this.pageLabel.textContent = `page ${this.page + 1}`;
    this.prev.disabled = this.page === 0;
    this.next.disabled = this.nextToken === undefined;
  }
}
