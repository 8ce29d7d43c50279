/**
 * One agent's page (#/agents/<id>): its impedance and clock offset over the last minutes (the
 * lead's in-memory history, GET /v1/agents/:id/history) with the clock estimator's error bound
 * as a band, its health (temperature, throttling, under-voltage), its sensors' latest readings,
 * its conflicts and its recent operation outcomes. Redrawn when the feed reports an event of
 * this agent, and at most every REFRESH_MS otherwise (history moves with every heartbeat,
 * which the feed does not carry).
 */
import { el } from './dom.js';
import { getJson, HttpProblem } from './http.js';
import { lineChart } from './line-chart.js';

interface Throttle {
  under_voltage: boolean;
  throttled: boolean;
  freq_capped: boolean;
  soft_temp_limit: boolean;
  under_voltage_since_boot: boolean;
  throttled_since_boot: boolean;
}

export interface AgentJson {
  agent_id: string;
  agent_class: string;
  cluster_id: string;
  sector_id: string;
  state: string;
  capabilities: string[];
  last_heartbeat_at: number | null;
  impedance: { impedance_score: number | null; current_latency_ms: number | null; reliability_score: number | null };
  clock: { offset_ms: number; error_bound_ms: number; drift_ppm: number; samples: number } | null;
  health: { state: string; score: number };
  system_health: { temperature_c: number | null; cpu_load_pct: number | null; memory_used_pct: number | null; throttle: Throttle | null; conditions: string[]; degraded: boolean };
}

interface HistoryJson {
  capacity: number;
  spacing_ms: number;
  samples: { at: number; impedance_score: number | null; offset_ms: number | null; error_bound_ms: number | null }[];
  outcomes: { at: number; operation_id: string | null; result: string; processing_ms: number | null }[];
}

interface SensorsJson {
  sensors: { sensor_id: string; kind: string; value: unknown; unit?: string; error?: string; sampled_at: number }[];
}

interface ConflictRow {
  conflict_id: string;
  received_at: number;
  operation_id: string | null;
  type: string;
  priority: number;
}

const REFRESH_MS = 10_000;
const CONFLICTS_SHOWN = 10;

export const fixed = (v: number | null | undefined, digits = 3): string => (v === null || v === undefined ? '—' : v.toFixed(digits));
export const clockTime = (at: number): string => new Date(at).toISOString().slice(11, 19);

/** Whatever comes back, or what the lead said instead (a route the lead does not serve is not an error of the page). */
async function optional<T>(path: string): Promise<T | string> {
  try {
    return await getJson<T>(path);
  } catch (problem) {
    if (problem instanceof HttpProblem && problem.status === 404) return 'not available on this lead';
    throw problem;
  }
}

function fact(label: string, value: string, testId: string): HTMLElement {
  return el('div', { class: 'stat' }, el('dt', {}, label), el('dd', { 'data-testid': testId }, value));
}

function throttleText(t: Throttle | null): string {
  if (t === null) return 'not reported';
  const now = [t.throttled && 'throttled', t.freq_capped && 'frequency capped', t.soft_temp_limit && 'soft temperature limit'].filter((s): s is string => typeof s === 'string');
  if (now.length > 0) return now.join(', ');
  return t.throttled_since_boot ? 'no (throttled since boot)' : 'no';
}

function underVoltageText(t: Throttle | null): string {
  if (t === null) return 'not reported';
  if (t.under_voltage) return 'yes';
  return t.under_voltage_since_boot ? 'no (since boot: yes)' : 'no';
}

export class AgentPage {
  readonly element = el('section', { class: 'card agent-page', 'aria-label': 'Agent', 'data-testid': 'agent-page' });
  private agentId = '';
  private lastDrawn = 0;

  /** Shows one agent; undefined hides nothing and fetches nothing. */
  open(agentId: string): void {
    this.agentId = agentId;
    this.element.replaceChildren(el('p', { class: 'hint' }, `Loading ${agentId}…`));
    this.refresh();
  }

  /** A lead event about this agent, or a status tick: redraw (ticks at most every REFRESH_MS). */
  changed(agentId: string | undefined): void {
    if (this.agentId === '' || !this.element.isConnected) return;
    if (agentId === this.agentId || (agentId === undefined && Date.now() - this.lastDrawn >= REFRESH_MS)) this.refresh();
  }

  private refresh(): void {
    const id = this.agentId;
    this.lastDrawn = Date.now();
    this.load(id).catch((problem: unknown) => {
      if (id !== this.agentId) return;
      const message = problem instanceof HttpProblem && problem.status === 404 ? `No agent "${id}" on this lead.` : problem instanceof Error ? problem.message : String(problem);
      this.element.replaceChildren(el('a', { href: '#/' }, '← All agents'), el('p', { class: 'error', 'data-testid': 'agent-error' }, message));
    });
  }

  private async load(id: string): Promise<void> {
    const path = `/v1/agents/${encodeURIComponent(id)}`;
    const [agent, history, sensors, conflicts] = await Promise.all([
      getJson<AgentJson>(path),
      optional<HistoryJson>(`${path}/history`),
      optional<SensorsJson>(`${path}/sensors`),
      optional<{ conflicts: ConflictRow[] }>(`/v1/conflicts?agent=${encodeURIComponent(id)}&page_size=${CONFLICTS_SHOWN}`),
    ]);
    if (id !== this.agentId) return;
    this.draw(agent, history, sensors, conflicts);
  }

  private draw(agent: AgentJson, history: HistoryJson | string, sensors: SensorsJson | string, conflicts: { conflicts: ConflictRow[] } | string): void {
    const s = agent.system_health;
    const samples = typeof history === 'string' ? [] : history.samples;
    const impedance = samples.filter((p) => p.impedance_score !== null).map((p) => ({ at: p.at, value: p.impedance_score! }));
    const offsets = samples.filter((p) => p.offset_ms !== null).map((p) => ({ at: p.at, value: p.offset_ms!, band: p.error_bound_ms ?? 0 }));
    this.element.replaceChildren(
      el('a', { href: '#/' }, '← All agents'),
      el('h2', {}, el('code', { 'data-testid': 'agent-id' }, agent.agent_id), ' ', el('span', { class: `state state-${agent.state}`, 'data-testid': 'agent-state' }, agent.state)),
      el('p', { class: 'hint' }, `class ${agent.agent_class} · cluster ${agent.cluster_id} · sector ${agent.sector_id} · last heartbeat ${agent.last_heartbeat_at === null ? 'never' : clockTime(agent.last_heartbeat_at)} · ${agent.capabilities.join(', ')}`),
      el(
        'dl',
        { class: 'status-grid' },
        fact('Impedance score', fixed(agent.impedance.impedance_score), 'agent-impedance'),
        fact('Clock offset (ms)', fixed(agent.clock?.offset_ms), 'agent-offset'),
        fact('Error bound (ms)', agent.clock === null ? '—' : `± ${fixed(agent.clock.error_bound_ms)}`, 'agent-error-bound'),
        fact('Health', `${agent.health.state} · score ${agent.health.score.toFixed(2)}`, 'agent-health'),
      ),
      el('h3', {}, 'Impedance score'),
      lineChart(impedance, { title: 'Impedance score', unit: 'score', colour: '#56B4E9', testId: 'impedance-chart' }),
      el('h3', {}, 'Clock offset, with the error bound shaded'),
      lineChart(offsets, { title: 'Clock offset and error bound', unit: 'ms', colour: '#E69F00', testId: 'offset-chart' }),
      el('p', { class: 'hint', 'data-testid': 'history-count' }, typeof history === 'string' ? `History: ${history}` : `${samples.length} samples of ${history.capacity}, one per ${(history.spacing_ms / 1000).toFixed(0)} s at most (kept in the lead's memory)`),
      el('h3', {}, 'Health'),
      el(
        'dl',
        { class: 'status-grid' },
        fact('Temperature', s.temperature_c === null ? 'not reported' : `${s.temperature_c.toFixed(1)} °C`, 'agent-temperature'),
        fact('Throttling', throttleText(s.throttle), 'agent-throttling'),
        fact('Under-voltage', underVoltageText(s.throttle), 'agent-under-voltage'),
        fact('CPU / memory', `${fixed(s.cpu_load_pct, 0)} % / ${fixed(s.memory_used_pct, 0)} %`, 'agent-load'),
      ),
      ...(s.conditions.length === 0 ? [] : [el('p', { class: s.degraded ? 'error' : 'hint', 'data-testid': 'agent-conditions' }, `Conditions: ${s.conditions.join(', ')}${s.degraded ? ' (counted as degraded)' : ''}`)]),
      el('h3', {}, 'Sensors'),
      this.sensorsTable(sensors),
      el('h3', {}, 'Conflicts'),
      this.conflictsList(conflicts),
      el('h3', {}, 'Recent outcomes'),
      this.outcomesTable(history),
    );
  }

  private sensorsTable(sensors: SensorsJson | string): HTMLElement {
    if (typeof sensors === 'string') return el('p', { class: 'hint' }, `Sensors: ${sensors}`);
    if (sensors.sensors.length === 0) return el('p', { class: 'hint', 'data-testid': 'agent-sensors' }, 'No sensor reading stored.');
    const rows = sensors.sensors.map((r) =>
      el('tr', { 'data-sensor': r.sensor_id }, el('td', {}, el('code', {}, r.sensor_id)), el('td', {}, r.kind), el('td', { class: 'num' }, r.error ?? `${JSON.stringify(r.value)}${r.unit === undefined ? '' : ` ${r.unit}`}`), el('td', {}, clockTime(r.sampled_at))),
    );
    return el('div', { class: 'table-wrap' }, el('table', { 'data-testid': 'agent-sensors' }, el('thead', {}, el('tr', {}, ...['Sensor', 'Kind', 'Value', 'Read at'].map((h) => el('th', { scope: 'col' }, h)))), el('tbody', {}, ...rows)));
  }

  private conflictsList(conflicts: { conflicts: ConflictRow[] } | string): HTMLElement {
    if (typeof conflicts === 'string') return el('p', { class: 'hint' }, `Conflicts: ${conflicts}`);
    if (conflicts.conflicts.length === 0) return el('p', { class: 'hint', 'data-testid': 'agent-conflicts' }, 'No conflict logged.');
    return el(
      'ul',
      { class: 'ops', 'data-testid': 'agent-conflicts' },
      ...conflicts.conflicts.map((c) => el('li', { 'data-conflict': c.conflict_id }, `${clockTime(c.received_at)} · ${c.type} · priority ${c.priority}`, c.operation_id === null ? '' : ` · ${c.operation_id}`)),
      el('li', {}, el('a', { href: `#/conflicts?agent=${encodeURIComponent(this.agentId)}` }, 'All of its conflicts →')),
    );
  }

  private outcomesTable(history: HistoryJson | string): HTMLElement {
    if (typeof history === 'string') return el('p', { class: 'hint' }, `Outcomes: ${history}`);
    if (history.outcomes.length === 0) return el('p', { class: 'hint', 'data-testid': 'agent-outcomes' }, 'No operation outcome since the lead started.');
    const rows = history.outcomes.map((o) =>
      el('tr', {}, el('td', {}, clockTime(o.at)), el('td', {}, o.operation_id === null ? '—' : el('code', {}, o.operation_id)), el('td', {}, el('span', { class: `outcome outcome-${o.result}` }, o.result)), el('td', { class: 'num' }, fixed(o.processing_ms, 1))),
    );
    return el('div', { class: 'table-wrap' }, el('table', { 'data-testid': 'agent-outcomes' }, el('thead', {}, el('tr', {}, ...['At', 'Operation', 'Outcome', 'Processing ms'].map((h) => el('th', { scope: 'col' }, h)))), el('tbody', {}, ...rows)));
  }
}
