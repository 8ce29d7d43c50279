// Two `mesh-lead run` processes with config ha and store.backend jetstream on a three-node
// JetStream cluster, real agent daemons (`mesh-agent run`, SQLite outboxes) beside them. An
// operation started on the active lead A, whose T is a few seconds out, is still gathering
// ACKs when A is killed with SIGKILL; the standby B takes the lease and the operation ends on B
// with every agent's ACK (those A stored and the one an agent redelivers from its outbox), or
// FAILED_OVER; the Idempotency-Key that started it on A answers the same on B; a conflict
// logged on A is listed by B.
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { SIGNATURE_HEADER, SIGNER_HEADER, encodeMessage, subjects } from '@mesh30k/shared';
import { loadKeyPair, nodeEd25519 } from '@mesh30k/shared/node';
import { sampleMessage } from '@mesh30k/shared/testing';
import { connect, headers, type NatsConnection } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../../../test/harness/index.js';
import { INTAKE_OPEN_MESSAGE } from '../../src/main.js';
import { HA_LEAD_ID, killLead, logged } from './support/ha-leads.js';
import { startOpsMesh, type OpsLead, type OpsMesh } from './support/ops-mesh.js';

const DAEMONS = 3;
const HEARTBEAT_MS = 500;
const TTL_MS = 2_000;
const START_MS = 60_000;

interface Arrival {
  agent_id: string;
}
interface JobView {
  operation_id: string;
  state: string;
  outcome?: string;
  error?: { code: string };
  result?: { status: string; responders: Arrival[]; conflicts: Arrival[]; stragglers: string[]; interrupted?: { by: string; failed_over?: string } };
}

let mesh: OpsMesh;
let nc: NatsConnection | undefined;

function count(dbPath: string, sql: string, ...params: unknown[]): number {
  const db = new Database(dbPath, { readonly: true, fileMustExist: true });
  try {
    db.pragma('busy_timeout = 2000');
    return (db.prepare(sql).pluck().get(...params) as number | undefined) ?? 0;
  } catch {
    return 0; // not created yet
  } finally {
    db.close();
  }
}

// Long enough for the paused agent's outbox to come back; the operation ends once all have answered.
const startLead = (name: string): Promise<OpsLead> => mesh.startLead(name, { leaseKey: 'ops', prefix: 'opsfo', ttlMs: TTL_MS, scatter: { resume_grace_ms: 30_000 } });

beforeAll(async () => {
  mesh = await startOpsMesh({ daemons: DAEMONS, heartbeatMs: HEARTBEAT_MS, tempPrefix: 'mesh30k-ops-failover-' });
  nc = await connect({ servers: mesh.cluster.urls[1]! });
}, 120_000);

afterAll(async () => {
  await nc?.close();
  await mesh?.dispose();
});

/** A CONFLICT report signed by pi-0 (its key file), straight to the lead's conflict subject. */
async function reportConflict(): Promise<void> {
  const keys = await loadKeyPair(join(mesh.dir.path, 'pi-0', 'agent.key'));
  const frame = await encodeMessage(sampleMessage('CONFLICT', { sender: 'pi-0', at: Date.now() }), nodeEd25519.signerSync(keys.privateKey), 'pi-0');
  const h = headers();
  h.set(SIGNER_HEADER, frame.signerId);
  h.set(SIGNATURE_HEADER, frame.signature);
  const answer = await nc!.request(subjects.conflict(HA_LEAD_ID), frame.body, { timeout: 10_000, headers: h });
  expect(JSON.parse(new TextDecoder().decode(answer.data))).toMatchObject({ ok: true });
}

describe('an operation in flight when the active lead is killed (store.backend jetstream)', () => {
  it('ends on the standby with every ACK, answers the idempotency key the same, and keeps the conflict log', async () => {
    const a = await startLead('a');
    await logged(a.lead, INTAKE_OPEN_MESSAGE, START_MS);
    const b = await startLead('b');
    await logged(b.lead, 'standing by for the lease', START_MS);
    await logged(b.lead, 'following the replicated operations', START_MS);
    await waitFor('every daemon active on A', START_MS, async () => {
      const status = await a.api.get<{ agents: { by_state: Record<string, number> } }>('/v1/status');
      return status.body.agents?.by_state.active === DAEMONS ? true : undefined;
    });

    await reportConflict();
    const conflictsOnA = (await a.api.get<{ conflicts: Array<{ conflict_id: string }> }>('/v1/conflicts')).body.conflicts.map((c) => c.conflict_id);
    expect(conflictsOnA).toHaveLength(1);

    const operationId = `op-failover-${Date.now()}`;
    const body = { operation_id: operationId, verb: 'observe', selector: { all: true }, release_mode: 'auto', target_time: Date.now() + 4_000, window_ms: 8_000, timeout_ms: 20_000 };
    const key = { 'idempotency-key': `start-${operationId}` };
    // One daemon is paused before the operation: it is sent the COORDINATE, which waits in its
    // socket; it answers only after A is dead, from its outbox, to whichever lead listens then.
    const slow = mesh.daemons.at(-1)!;
    process.kill(slow.proc.child.pid!, 'SIGSTOP');
    let started;
    try {
      started = await a.api.post('/v1/operations', body, key);
      expect(started.status, JSON.stringify(started.body)).toBe(202);
      await waitFor("the running daemons' ACKs stored by A", 20_000, () =>
        count(join(mesh.dir.path, 'data-a', 'lead.db'), 'SELECT COUNT(*) FROM running_operation_acks WHERE operation_id = ?', operationId) === DAEMONS - 1 ? true : undefined,
      );
      await killLead(a.lead);
    } finally {
      process.kill(slow.proc.child.pid!, 'SIGCONT');
    }

    const took = await logged(b.lead, 'lease acquired', 4 * TTL_MS);
    expect(took.epoch).toEqual(expect.any(Number));
    // B resumed it from the replicated journal (its own SQLite never saw A's run otherwise).
    const resumed = await logged(b.lead, 'operation resumed after a failover', 10_000);
    expect(resumed).toMatchObject({ operation_id: operationId, by: 'failover' });
    const decided = await waitFor('the operation decided on B', 45_000, async () => {
      const res = await b.api.get<JobView>(`/v1/operations/${operationId}`);
      return res.status === 200 && res.body.state !== 'RUNNING' && res.body.state !== 'QUEUED' ? res.body : undefined;
    });
    const result = decided.result!;
    expect(result.interrupted?.by).toBe('failover');
    expect(['SUCCESS', 'PARTIAL', 'FAILED_OVER']).toContain(decided.outcome);
    // Zero ACKs lost: each daemon's ACK is in B's record, once.
    const counted = [...result.responders, ...result.conflicts].map((r) => r.agent_id).sort();
    expect(counted).toEqual(mesh.daemons.map((d) => d.files.agentId).sort());
    expect(decided.outcome).toBe('SUCCESS');
    expect(decided.state).toBe('SUCCEEDED');

    // The same POST with the same key on B answers what A answered (and starts nothing).
    const replayed = await b.api.post('/v1/operations', body, key);
    expect(replayed.status).toBe(started.status);
    expect(replayed.body).toEqual(started.body);

    // The conflict A logged is listed by B.
    const conflictsOnB = (await b.api.get<{ conflicts: Array<{ conflict_id: string }> }>('/v1/conflicts')).body.conflicts.map((c) => c.conflict_id);
    expect(conflictsOnB).toEqual(conflictsOnA);

    // A new hold-mode operation on B: it knows every daemon from the followed registry (none is
    // unheard), so its one group message carries the operation's selector and all three answer.
    const nextId = `op-after-${Date.now()}`;
    const next = await b.api.post('/v1/operations', { operation_id: nextId, verb: 'observe', selector: { all: true }, release_mode: 'hold', timeout_ms: 20_000 });
    expect(next.status, JSON.stringify(next.body)).toBe(202);
    const after = await waitFor('the new operation decided on B', 30_000, async () => {
      const res = await b.api.get<JobView>(`/v1/operations/${nextId}`);
      return res.status === 200 && res.body.state !== 'RUNNING' && res.body.state !== 'QUEUED' ? res.body : undefined;
    });
    expect([...after.result!.responders, ...after.result!.conflicts].map((r) => r.agent_id).sort()).toEqual(mesh.daemons.map((d) => d.files.agentId).sort());
    expect(b.lead.lines.find((line) => line.event === 'operation.started' && line.operation_id === nextId)).toMatchObject({ selected: DAEMONS, unheard: 0, hold_messages: 1 });
  }, 180_000);
});
