// Reads both sides' records out of a stopped mesh's directory: the agents' files and logs, and
// the lead's operations history (its SQLite database, read-only).
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { acksFromArrivals, acksFromHistory, acksFromLog, type AgentAck, type HistoryRow, type LeadAck } from './ack-ledger.js';

/** The lead's database file in a local mesh (cluster-lead store/database.ts, DATABASE_FILE). */
const LEAD_DB = join('lead-data', 'lead.db');

async function readIfThere(path: string): Promise<string> {
  return existsSync(path) ? readFile(path, 'utf8') : '';
}

export interface AgentFiles {
  /** Each sim's arrivals file and log. */
  sims: { arrivals: string; log: string }[];
  /** Every log file of every daemon run. */
  daemonLogs: string[];
}

export async function readAgentAcks(files: AgentFiles): Promise<AgentAck[]> {
  const acks: AgentAck[] = [];
  for (const sim of files.sims) {
    acks.push(...acksFromArrivals(await readIfThere(sim.arrivals)));
    acks.push(...acksFromLog(await readIfThere(sim.log), 'sim', ['transit', 'conflict']));
  }
  for (const log of files.daemonLogs) acks.push(...acksFromLog(await readIfThere(log), 'daemon', ['ready', 'transit', 'conflict']));
  return acks;
}

export function readHistory(meshDir: string): HistoryRow[] {
  const db = new Database(join(meshDir, LEAD_DB), { readonly: true, fileMustExist: true });
  try {
    const rows = db.prepare('SELECT operation_id, status, result FROM operations').all() as { operation_id: string; status: string; result: string | null }[];
    return rows.map((r) => ({ operationId: r.operation_id, status: r.status, result: r.result === null ? null : (JSON.parse(r.result) as unknown) }));
  } finally {
    db.close();
  }
}

export function leadAcks(rows: readonly HistoryRow[]): LeadAck[] {
  return rows.flatMap(acksFromHistory);
}

/** Lines of a log whose `event` is one of `events` (JSON lines; others skipped). */
export async function logEvents(path: string, events: readonly string[]): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  for (const line of (await readIfThere(path)).split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      const r = JSON.parse(line) as Record<string, unknown>;
      if (typeof r.event === 'string' && events.includes(r.event)) out.push(r);
    } catch {
      // cut by a kill
    }
  }
  return out;
}
