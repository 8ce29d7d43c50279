// Reads both sides of the sensor ledger from a running mesh: what each agent says it took (a
// daemon's debug log lines, which survive SIGKILL; every agent's last heartbeat summary, through
// the lead's API) and the readings the lead stored (each sensor's history, paged).
import type { LeadApi } from '../../harness/index.js';
import { logEvents } from './agent-records.js';
import { sensorLedger, seqsThrough, type ProducedStream, type SensorLedger, type StoredReading } from './sensor-ledger.js';

/** The daemon's debug line for a reading written to its outbox (pi-daemon logging/events.ts, SENSOR_READING). */
const READING_EVENT = 'sensor.reading';
const HISTORY_PAGE = 1_000;
/** The operator's rate budget is shared with nothing at this point, but it is small: back off on 429. */
const RETRY_MS = 500;
const RETRIES = 40;

async function getJson<T>(api: LeadApi, path: string): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    const res = await api.request<T>('GET', path).catch(() => undefined);
    if (res?.status === 200) return res.body;
    if (attempt >= RETRIES) throw new Error(`GET ${path}: ${res === undefined ? 'no answer' : `HTTP ${res.status}`} after ${RETRIES} retries`);
    await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
  }
}

/** A daemon's readings per sensor, one stream per log file (one file per run of the process). */
export async function streamsFromDaemonLogs(agentId: string, logFiles: readonly string[]): Promise<ProducedStream[]> {
  const out: ProducedStream[] = [];
  for (const [run, file] of logFiles.entries()) {
    const bySensor = new Map<string, number[]>();
    for (const line of await logEvents(file, [READING_EVENT])) {
      if (typeof line.sensor !== 'string' || typeof line.seq !== 'number') continue;
      const seqs = bySensor.get(line.sensor) ?? [];
      seqs.push(line.seq);
      bySensor.set(line.sensor, seqs);
    }
    for (const [sensorId, seqs] of bySensor) out.push({ agentId, sensorId, boot: `run ${run + 1}`, seqs, complete: true });
  }
  return out;
}

interface SensorsView {
  sensors: { sensor_id: string }[];
  heartbeat: { sensors: { sensor_id: string; seq: number }[] } | null;
}

/**
 * What the agent's last heartbeat says it took (seq 0 up to the last it reports: the agents here
 * start with no state), and the sensors the lead has readings of. `boot` names the record.
 */
export async function agentSensors(api: LeadApi, agentId: string, boot: string): Promise<{ reported: ProducedStream[]; sensorIds: string[] }> {
  const view = await getJson<SensorsView>(api, `/v1/agents/${encodeURIComponent(agentId)}/sensors`);
  const reported = (view.heartbeat?.sensors ?? []).map((s) => ({ agentId, sensorId: s.sensor_id, boot, seqs: seqsThrough(s.seq), complete: false }));
  const sensorIds = [...new Set([...view.sensors.map((s) => s.sensor_id), ...reported.map((s) => s.sensorId)])];
  return { reported, sensorIds };
}

interface HistoryPage {
  readings: { seq: number; boot_id?: string }[];
  next_page_token?: string;
}

/** Every reading of one sensor the lead holds, through the history route, page by page. */
export async function storedHistory(api: LeadApi, agentId: string, sensorId: string): Promise<StoredReading[]> {
  const out: StoredReading[] = [];
  let token: string | undefined;
  do {
    const path = `/v1/agents/${encodeURIComponent(agentId)}/sensors/${encodeURIComponent(sensorId)}/history?page_size=${HISTORY_PAGE}${token === undefined ? '' : `&page_token=${encodeURIComponent(token)}`}`;
    const page = await getJson<HistoryPage>(api, path);
    out.push(...page.readings.map((r) => ({ agentId, sensorId, seq: r.seq, bootId: r.boot_id ?? '' })));
    token = page.next_page_token;
  } while (token !== undefined);
  return out;
}

export interface SensorRecords {
  produced: ProducedStream[];
  stored: StoredReading[];
}

/**
 * Both sides for these agents. The daemons' logs come first so that a reading they list is
 * attributed to the run that took it; the heartbeat summaries add what a cut log line would hide.
 */
export async function readSensorRecords(api: LeadApi, agentIds: readonly string[], daemonLogs: ReadonlyMap<string, readonly string[]>): Promise<SensorRecords> {
  const produced: ProducedStream[] = [];
  const stored: StoredReading[] = [];
  for (const [agentId, files] of daemonLogs) produced.push(...(await streamsFromDaemonLogs(agentId, files)));
  for (const agentId of agentIds) {
    const { reported, sensorIds } = await agentSensors(api, agentId, daemonLogs.has(agentId) ? 'heartbeat summary' : 'sim');
    produced.push(...reported);
    for (const sensorId of sensorIds) stored.push(...(await storedHistory(api, agentId, sensorId)));
  }
  return { produced, stored };
}

/** After the measured period, how long readings still missing at the lead may take to arrive (outboxes draining). */
const SETTLE_MS = 30_000;
const RECHECK_MS = 1_000;

export interface SensorFigures {
  /** What sensors the agents ran, in words. */
  configured: string;
  /** From the first count until nothing was missing any more (or the settle limit). */
  settleMs: number;
  ledger: SensorLedger;
}

/**
 * Counts every reading the agents took against those the lead stored; the sensors with readings
 * still missing have their history read again until none is missing, or the settle limit.
 */
export async function countSensorReadings(api: LeadApi, agentIds: readonly string[], daemonLogs: ReadonlyMap<string, readonly string[]>, configured: string): Promise<SensorFigures> {
  const { produced, stored } = await readSensorRecords(api, agentIds, daemonLogs);
  const started = Date.now();
  let held = stored;
  let ledger = sensorLedger(produced, held);
  while (ledger.lost > 0 && Date.now() - started < SETTLE_MS) {
    await new Promise((resolve) => setTimeout(resolve, RECHECK_MS));
    const missing = new Map(ledger.lostBy.map((l) => [`${l.agentId}/${l.sensorId}`, l]));
    const fresh: StoredReading[] = [];
    for (const l of missing.values()) fresh.push(...(await storedHistory(api, l.agentId, l.sensorId)));
    held = [...held.filter((r) => !missing.has(`${r.agentId}/${r.sensorId}`)), ...fresh];
    ledger = sensorLedger(produced, held);
  }
  return { configured, settleMs: Date.now() - started, ledger };
}
