// A real lead SIGKILLed while an operation is gathering ACKs from real agent daemons
// (`mesh-agent run`, SQLite outboxes) on a private nats-server, then started again on its
// database: the operation resumes, every agent's ACK ends up in its result exactly once
// (whether the lead stored it before the kill or the agent redelivered it after), the
// operation gets a final outcome that says it was interrupted, and the outboxes drain with no
// dead letter for those ACKs.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalMesh, type LocalMesh } from '../harness/index.js';

const DAEMONS = 4;
const HEARTBEAT_MS = 500;
const POLL_MS = 5;

interface Arrival { agentId: string }
interface StoredResult {
  result: { status: string; responders: Arrival[]; conflicts: Arrival[]; stragglers: string[]; interrupted?: { by: string } } | null;
  late_acks: Arrival[];
}

/** Reads a SQLite file another process is writing (WAL): a fresh read-only connection each time. */
function query<T>(path: string, sql: string, ...params: unknown[]): T[] {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    db.pragma('busy_timeout = 2000');
    return db.prepare(sql).all(...params) as T[];
  } finally {
    db.close();
  }
}

async function until<T>(what: string, check: () => T | undefined, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await delay(POLL_MS);
  }
}

describe('lead SIGKILLed with an operation in flight', () => {
  let mesh: LocalMesh;
  let leadDb: string;
  beforeAll(async () => {
    mesh = await startLocalMesh({
      agents: 0,
      daemons: DAEMONS,
      heartbeatMs: HEARTBEAT_MS,
      // Long enough for every outbox to come back with its ACK; the operation ends as soon as all have.
      leadConfig: { scatter: { resume_grace_ms: 60_000 }, breakers: { metrics_only: true } },
    });
    leadDb = join(mesh.dir, 'lead-data', 'lead.db');
  }, 120_000);
  afterAll(async () => {
    await mesh?.stop();
  });

  it('resumes it on restart: each ACK counted once, a final interrupted outcome, outboxes drained', async () => {
    const operationId = `op-kill-${Date.now()}`;
    // One daemon is paused (SIGSTOP) just before the operation: still active at the lead, so it
    // is sent the COORDINATE, which waits in its socket; it answers only once the lead is dead.
    const slow = mesh.daemons!.at(-1)!;
    const resume = () => process.kill(slow.proc.pid!, 'SIGCONT');
    process.kill(slow.proc.pid!, 'SIGSTOP');
    try {
      const res = await mesh.api.post('/v1/operations', { operation_id: operationId, verb: 'observe', selector: { all: true }, release_mode: 'auto', target_time: Date.now() + 1_500, window_ms: 8_000, timeout_ms: 20_000 });
      expect(res.status, JSON.stringify(res.body)).toBe(202);
      // (A wide window keeps it gathering.) Killed once the others' ACKs are stored (answered); the paused daemon's is still to come.
      await until('the running daemons\' ACKs stored by the lead', () => {
        const rows = query<{ agent_id: string }>(leadDb, 'SELECT agent_id FROM running_operation_acks WHERE operation_id = ?', operationId);
        return rows.length === DAEMONS - 1 ? true : undefined;
      }, 20_000).catch(async (error: unknown) => {
        const log = (await readFile(mesh.lead!.logFiles.at(-1)!, 'utf8')).split('\n').filter((l) => l.includes(operationId) || l.includes('"level":50'));
        throw new Error(`${String(error)}; history ${JSON.stringify(query(leadDb, 'SELECT status, result FROM operations WHERE operation_id = ?', operationId)).slice(0, 3000)}; log ${log.join('\n').slice(0, 4000)}`);
      });
      await mesh.lead!.kill('SIGKILL');
    } finally {
      resume();
    }
    const afterKill = query<{ status: string }>(leadDb, 'SELECT status FROM operations WHERE operation_id = ?', operationId);
    expect(afterKill.map((r) => r.status)).toEqual(['running']);

    await mesh.lead!.start();
    const stored = await until('the operation decided after the restart', () => {
      const [row] = query<{ status: string; result: string }>(leadDb, 'SELECT status, result FROM operations WHERE operation_id = ?', operationId);
      return row?.status === 'completed' ? (JSON.parse(row.result) as StoredResult) : undefined;
    });
    const result = stored.result!;
    expect(result.interrupted?.by).toBe('lead_restart');
    const counted = [...result.responders, ...result.conflicts].map((a) => a.agentId);
    const late = stored.late_acks.map((a) => a.agentId);
    // Every daemon's ACK exactly once, in the result (the operation waited for the redelivered ones).
    expect([...counted].sort()).toEqual([...mesh.agentIds].sort());
    expect(late).toEqual([]);
    expect(result.stragglers).toEqual([]);
    // The history row and the run journal are two writes: the journal forgets the run just after.
    await until('the run journal forgets the decided operation', () => (query(leadDb, 'SELECT * FROM running_operations').length === 0 ? true : undefined));

    // The outboxes drain: each ACK confirmed with the signed reply, none dead-lettered.
    for (const daemon of mesh.daemons!) {
      const agentDb = join(daemon.dataDir, 'agent.db');
      await until(`${daemon.agentId}'s outbox to drain`, () => (query(agentDb, "SELECT seq FROM outbox WHERE kind = 'ACK'").length === 0 ? true : undefined), 30_000);
      expect(query<{ code: string }>(agentDb, 'SELECT code FROM dead_letters').map((r) => r.code), daemon.agentId).toEqual([]);
    }
  }, 120_000);
});
