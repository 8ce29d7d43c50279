// SCALE_RESTART_TRACE=1: one line a second while a restarted lead gets its fleet back, to see
// where the agents are: the lead's heartbeat and handshake counters, its agents in session, and
// each sim's last totals line (agents in session, beats held and missed by reason).
import { setTimeout as sleep } from 'node:timers/promises';
import { lastSimTotals, type LeadApi } from '../../harness/index.js';
import { metricValues } from '../lib/metric-values.js';

/** The lead's families traced (mesh_lead_<name>), by label where they have one. */
const FAMILIES = ['heartbeats_accepted_total', 'heartbeats_in_session_total', 'sessions_opened_total', 'heartbeats_refused_total', 'session_handshakes_refused_total', 'limit_hits_total', 'agents_in_session'];

async function leadCounters(api: LeadApi): Promise<Record<string, number> | string> {
  try {
    const page = await api.request('GET', '/metrics');
    if (page.status !== 200) return `HTTP ${page.status}`;
    const out: Record<string, number> = {};
    for (const family of FAMILIES) {
      const name = family.replace(/_total$/, '').replace('heartbeats_', 'hb_').replace('session_handshakes_', 'hs_');
      for (const [label, value] of Object.entries(metricValues(String(page.body), `mesh_lead_${family}`))) {
        if (value !== 0) out[label === '' ? name : `${name}:${label}`] = value;
      }
    }
    return out;
  } catch (error) {
    return error instanceof Error ? error.message.slice(0, 60) : 'down';
  }
}

async function simTotals(dir: string, sims: number): Promise<unknown[]> {
  const out: unknown[] = [];
  for (let k = 0; k < sims; k++) {
    const last = await lastSimTotals(dir, k);
    out.push(last === null ? null : { in: last.sim.inSession, held: last.sim.heldByReason, missed: last.sim.missedByReason, hsFail: last.sim.sessionHandshakesFailed, refused: last.sim.refusedByCode });
  }
  return out;
}

/** Writes a line a second through `write` until `done.stop`. */
export async function traceRestart(api: LeadApi, dir: string, sims: number, done: { stop: boolean }, write: (line: string) => void): Promise<void> {
  const from = performance.now();
  while (!done.stop) {
    const t = ((performance.now() - from) / 1000).toFixed(1);
    const [lead, simLines] = await Promise.all([leadCounters(api), simTotals(dir, sims)]);
    write(`[restart-trace] t=${t} lead=${JSON.stringify(lead)} sims=${JSON.stringify(simLines)}\n`);
    await sleep(1_000);
  }
}
