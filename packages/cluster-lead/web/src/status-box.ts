/** The spec's status box: the mesh at a glance, redrawn from every status the live feed sends. */
import type { MeshStatusBox } from '../../src/api/response-schemas.js';
import { el } from './dom.js';

/** GET /v1/status, the part the box reads; the type is the API's own answer schema. */
export interface StatusBody {
  lead_id: string;
  cluster_id: string;
  mesh: MeshStatusBox;
}

const FIELDS = [
  ['agents', 'Agents active'],
  ['sectors', 'Sectors healthy'],
  ['impedance', 'Mean impedance'],
  ['conflicts', 'Conflicts (1 h)'],
  ['mode', 'Mode'],
  ['cascade', 'Last cascade'],
] as const;

export type StatusField = (typeof FIELDS)[number][0];

/** The text each field shows; the browser test compares these with GET /v1/status. */
export function statusTexts(status: StatusBody): Record<StatusField, string> {
  const m = status.mesh;
  return {
    agents: `${m.agents_active} / ${m.agents_total}`,
    sectors: `${m.sectors_healthy} / ${m.sectors_total}`,
    impedance: m.mean_impedance === null ? '—' : m.mean_impedance.toFixed(3),
    conflicts: String(m.conflicts_last_hour),
    mode: m.frozen ? `${m.mode} (frozen)` : m.mode,
    cascade: m.last_cascade === null ? 'none' : `${m.last_cascade.status} ${new Date(m.last_cascade.at).toISOString().slice(11, 19)}`,
  };
}

export class StatusBox {
  readonly element: HTMLElement;
  private readonly values = new Map<StatusField, HTMLElement>();
  private readonly title = el('h2', {}, 'Mesh');

  constructor() {
    const list = el('dl', { class: 'status-grid' });
    for (const [field, label] of FIELDS) {
      const value = el('dd', { 'data-testid': `status-${field}` }, '…');
      this.values.set(field, value);
      list.append(el('div', { class: 'stat' }, el('dt', {}, label), value));
    }
    this.element = el('section', { class: 'card', 'aria-label': 'Status', 'data-testid': 'status-box' }, this.title, list);
  }

  render(status: StatusBody): void {
    this.title.textContent = `Mesh · lead ${status.lead_id} · cluster ${status.cluster_id}`;
    const texts = statusTexts(status);
    for (const [field, node] of this.values) node.textContent = texts[field];
    this.element.dataset.mode = status.mesh.mode;
    this.element.classList.toggle('frozen', status.mesh.frozen);
  }
}
