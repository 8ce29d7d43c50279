// The demo's field sensors: the latest reading of every sensor, read from each lead that serves
// agents (GET /v1/sensors; the root serves none), summed up in one line (sensors, relays on,
// failed readings) and the few most recent readings as rows.
import type { LeadHandle } from '../../test/harness/index.js';

/** GET /v1/sensors, one reading (the fields shown). */
export interface ReadingJson {
  agent_id: string;
  sensor_id: string;
  kind: string;
  value: number | boolean | string | null;
  unit?: string;
  error?: string;
  sampled_at: number;
}

export interface SensorBoard {
  sensors: number;
  agents: number;
  relaysOn: number;
  relays: number;
  failing: number;
  /** Most recently sampled first. */
  recent: ReadingJson[];
  /** Leads that did not answer this time. */
  unreachable: string[];
}

/** One page per lead (the API's largest): a demo lead serves a few hundred sensors. */
const PAGE_SIZE = 1_000;
export const RECENT_ROWS = 4;

export function sensorBoardOf(readings: readonly ReadingJson[], unreachable: string[] = []): SensorBoard {
  const outputs = readings.filter((r) => r.kind === 'gpio.output');
  return {
    sensors: readings.length,
    agents: new Set(readings.map((r) => r.agent_id)).size,
    relaysOn: outputs.filter((r) => r.value === true).length,
    relays: outputs.length,
    failing: readings.filter((r) => r.value === null).length,
    recent: [...readings].sort((a, b) => b.sampled_at - a.sampled_at).slice(0, RECENT_ROWS),
    unreachable,
  };
}

export async function readSensorBoard(leads: readonly LeadHandle[]): Promise<SensorBoard> {
  const answers = await Promise.all(leads.map(async (lead) => ({ lead, body: await lead.api.getOk<{ sensors: ReadingJson[] }>(`/v1/sensors?page_size=${PAGE_SIZE}`) })));
  const readings = answers.flatMap((a) => a.body?.sensors ?? []);
  return sensorBoardOf(readings, answers.filter((a) => a.body === undefined).map((a) => a.lead.leadId));
}

function valueText(r: ReadingJson): string {
  if (r.value === null) return `failed${r.error === undefined ? '' : `: ${r.error}`}`;
  if (typeof r.value === 'boolean') return r.kind === 'gpio.output' ? (r.value ? 'on' : 'off') : r.value ? 'active' : 'inactive';
  if (typeof r.value === 'number') return `${r.value.toFixed(Number.isInteger(r.value) ? 0 : 2)}${r.unit === undefined ? '' : ` ${r.unit}`}`;
  return r.value;
}

/** The screen's sensor section: a summary line and the most recent readings. */
export function sensorLines(board: SensorBoard | null, now: number): string[] {
  if (board === null) return ['sensors: waiting for the leads'];
  const summary = `${board.sensors} sensors on ${board.agents} agents   relays on ${board.relaysOn}/${board.relays}   failed readings ${board.failing}${board.unreachable.length > 0 ? `   unreachable: ${board.unreachable.join(', ')}` : ''}`;
  const rows = board.recent.map((r) => `  ${r.agent_id.padEnd(16)} ${r.sensor_id.padEnd(12)} ${valueText(r).padEnd(12)} ${((now - r.sampled_at) / 1000).toFixed(1).padStart(6)} s ago`);
  return [summary, ...(rows.length === 0 ? ['  (no readings yet)'] : rows)];
}
