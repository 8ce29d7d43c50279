// A delegation, then a cascade, in flight on the active lead of an HA pair (`mesh-lead run`,
// store.backend jetstream, three-node cluster, real agent daemons) when that lead is killed
// with SIGKILL. Their retry loop and waiters lived in the dead lead's memory, so the standby
// that takes the lease must end them FAILED with error FAILED_OVER (never SUCCEEDED), list them,
// and then run a new job of the same kind itself. Each case starts its own pair, on its own
// lease key and stream prefix.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor, type LeadApi } from '../../../../test/harness/index.js';
import { INTAKE_OPEN_MESSAGE } from '../../src/main.js';
import { killLead, logged, type LeadProc } from './support/ha-leads.js';
import { allActive, startOpsMesh, type OpsLead, type OpsMesh } from './support/ops-mesh.js';

const DAEMONS = 3;
const HEARTBEAT_MS = 500;
const TTL_MS = 2_000;
const START_MS = 60_000;
/** How long the resumed scatter of a delegation's attempt waits for redelivered ACKs past its deadline. */
const RESUME_GRACE_MS = 2_000;

interface JobJson {
  operation_id: string;
  kind: string;
  state: string;
  outcome?: string;
  error?: { code: string; message: string };
  result?: Record<string, unknown> & { interrupted?: { by: string; failed_over?: string } };
}

const DECIDED = new Set(['SUCCEEDED', 'FAILED', 'CANCELLED']);

let mesh: OpsMesh;

beforeAll(async () => {
  mesh = await startOpsMesh({ daemons: DAEMONS, heartbeatMs: HEARTBEAT_MS, tempPrefix: 'mesh30k-job-failover-' });
}, 120_000);

afterAll(async () => {
  await mesh?.dispose();
});

/** A fresh HA pair: A active with every daemon active on it, B standing by and following A's streams. */
async function startPair(tag: string, scatter: Record<string, unknown> = {}): Promise<{ a: OpsLead; b: OpsLead }> {
  // The previous case's leads are gone; this pair has its own lease and streams.
  await mesh.killLeads();
  const options = { leaseKey: tag, prefix: tag, ttlMs: TTL_MS, scatter: { resume_grace_ms: RESUME_GRACE_MS, ...scatter } };
  const a = await mesh.startLead(`${tag}-a`, options);
  await logged(a.lead, INTAKE_OPEN_MESSAGE, START_MS);
  const b = await mesh.startLead(`${tag}-b`, options);
  await logged(b.lead, 'standing by for the lease', START_MS);
  await logged(b.lead, 'following the replicated operations', START_MS);
  await allActive(a.api, DAEMONS, START_MS);
  return { a, b };
}

async function job(api: LeadApi, id: string): Promise<{ status: number; body: JobJson }> {
  return api.get<JobJson>(`/v1/operations/${encodeURIComponent(id)}`);
}

/** The job once decided on `api`'s lead; every state read on the way is pushed to `seen`. */
function decided(api: LeadApi, id: string, timeoutMs: number, seen: string[] = []): Promise<JobJson> {
  return waitFor(`job ${id} decided`, timeoutMs, async () => {
    const res = await job(api, id);
    if (res.status !== 200) return undefined;
    seen.push(res.body.state);
    return DECIDED.has(res.body.state) ? res.body : undefined;
  });
}

/** B shows A's job as it was published (a standby's board lists the active lead's jobs). */
function followed(b: OpsLead, id: string, kind: string): Promise<JobJson> {
  return waitFor(`B to follow job ${id}`, 10_000, async () => {
    const res = await job(b.api, id);
    return res.status === 200 && res.body.kind === kind && res.body.state === 'RUNNING' ? res.body : undefined;
  });
}

async function listedIds(api: LeadApi, state: string): Promise<string[]> {
  const res = await api.get<{ operations: JobJson[] }>(`/v1/operations?state=${state}&page_size=100`);
  expect(res.status).toBe(200);
  return res.body.operations.map((o) => o.operation_id);
}

function loggedFor(lead: LeadProc, message: string, operationId: string, timeoutMs: number): Promise<Record<string, unknown>> {
  return waitFor(`${lead.name} to log "${message}" for ${operationId}`, timeoutMs, () => lead.lines.find((line) => line.msg === message && line.operation_id === operationId));
}

/** Takes over: B holds the lease and has settled the jobs it followed from A. */
/**
 * Kills A; once B holds the lease and settled the one job it followed, that job is decided
 * FAILED_OVER (never SUCCEEDED on the way) and listed among the failed.
 */
async function takeOverAndExpectFailedOver(a: OpsLead, b: OpsLead, jobId: string, kind: string): Promise<void> {
  await killLead(a.lead);
  await logged(b.lead, 'lease acquired', 4 * TTL_MS);
  const settled = await logged(b.lead, 'jobs followed from the previous lead settled', 10_000);
  expect(settled).toMatchObject({ failedOver: 1 });
  const seen: string[] = [];
  const view = await decided(b.api, jobId, 10_000, seen);
  expect(seen).not.toContain('SUCCEEDED');
  expectFailedOver(view, kind);
  expect(await listedIds(b.api, 'FAILED')).toContain(jobId);
}

function expectFailedOver(view: JobJson, kind: string): void {
  expect(view).toMatchObject({ kind, state: 'FAILED', error: { code: 'FAILED_OVER' }, result: { interrupted: { by: 'failover', failed_over: 'not_resumable' } } });
}

describe('a delegation or cascade in flight when the active lead is killed (store.backend jetstream)', () => {
  it('a delegation ends FAILED_OVER on the standby, its unanswered attempt is no success, and a new delegation runs there', async () => {
    const { a, b } = await startPair('dlgfo');
    const target = mesh.daemons.at(-1)!;
    const pid = target.proc.child.pid!;
    const delegationId = `dlg-fo-${Date.now()}`;
    const attemptId = `${delegationId}-a1`;
    // The target is paused before the delegation: its COORDINATE waits in its socket, so the
    // one attempt (6 s timeout) is still waiting for an ACK when A dies, and the task is not done.
    process.kill(pid, 'SIGSTOP');
    try {
      const started = await a.api.post('/v1/delegations', { delegation_id: delegationId, task: { verb: 'observe' }, to: { agent_id: target.files.agentId }, timeout_ms: 6_000, max_attempts: 1 });
      expect(started.status, JSON.stringify(started.body)).toBe(202);
      await loggedFor(a.lead, 'operation started', attemptId, 10_000);
      await followed(b, delegationId, 'delegation');
      // The standby serves reads (the job above) and refuses to start work of its own.
      const onStandby = await b.api.post('/v1/delegations', { delegation_id: `${delegationId}-b`, task: { verb: 'observe' }, to: { agent_id: 'pi-0' }, timeout_ms: 6_000, max_attempts: 1 });
      expect(onStandby.status, JSON.stringify(onStandby.body)).toBe(503);

      await takeOverAndExpectFailedOver(a, b, delegationId, 'delegation');

      // The attempt's scatter resumes on B, from the replicated journal; its agent never answered.
      const attempt = await decided(b.api, attemptId, 6_000 + RESUME_GRACE_MS + 10_000);
      expect(attempt.state).toBe('FAILED');
      expect(attempt.result).toMatchObject({ interrupted: { by: 'failover' }, responders: [] });
    } finally {
      process.kill(pid, 'SIGCONT');
    }

    // The paused agent now runs its stale COORDINATE (or refuses it as too old): its ACK is a late
    // one for B, kept beside the decided result, and neither record turns into a success.
    await waitFor(`the late work of ${attemptId} settled`, 20_000, async () =>
      b.lead.lines.find((line) => line.msg === 'late ack' && line.operation_id === attemptId) ??
      (await mesh.daemonLine(target.files.agentId, (line) => line.event === 'coordinate.refused' && line.operation === attemptId)),
    );
    await allActive(b.api, DAEMONS, 20_000);
    expectFailedOver((await job(b.api, delegationId)).body, 'delegation');
    expect((await job(b.api, attemptId)).body.state).toBe('FAILED');

    const nextId = `dlg-after-${Date.now()}`;
    const next = await b.api.post('/v1/delegations', { delegation_id: nextId, task: { verb: 'observe' }, to: { agent_id: 'pi-0' }, timeout_ms: 10_000, max_attempts: 1 });
    expect(next.status, JSON.stringify(next.body)).toBe(202);
    const after = await decided(b.api, nextId, 20_000);
    expect(after, JSON.stringify(after)).toMatchObject({ kind: 'delegation', state: 'SUCCEEDED', result: { status: 'SUCCEEDED', agent_id: 'pi-0' } });
  }, 90_000);

  it('a cascade ends FAILED_OVER on the standby, stays so once its own agents answer there, and a new cascade runs there', async () => {
    // The hold group message leaves as soon as the operation starts (its margin exceeds T's distance).
    const { a, b } = await startPair('casfo', { hold_margin_ms: 10_000 });
    const cascadeId = `cas-fo-${Date.now()}`;
    // T a few seconds out in hold mode: the cascade is in flight until T + window.
    const targetTime = Date.now() + 5_000;
    const started = await a.api.post('/v1/cascades', { cascade_id: cascadeId, verb: 'observe', selector: { all: true }, release_mode: 'hold', target_time: targetTime, window_ms: 1_000 });
    expect(started.status, JSON.stringify(started.body)).toBe(202);
    // Every agent holds the cascade's own scatter (it has the cascade's id) for T.
    for (const daemon of mesh.daemons) {
      await mesh.daemonLogged(daemon.files.agentId, `the COORDINATE of ${cascadeId}`, (line) => line.event === 'coordinate.received' && line.operation === cascadeId, 10_000);
    }
    await followed(b, cascadeId, 'cascade');
    expect(Date.now()).toBeLessThan(targetTime);

    await takeOverAndExpectFailedOver(a, b, cascadeId, 'cascade');
    // B never ran it: no cascade resource there, and its status names no cascade.
    expect((await b.api.get(`/v1/cascades/${cascadeId}`)).status).toBe(404);

    // The agents still answer at T, to B, which resumed the scatter and counts every ACK; the
    // cascade job (its children's reports, its merge) stays FAILED_OVER.
    const resumed = await loggedFor(b.lead, 'operation completed', cascadeId, 20_000);
    expect(resumed).toMatchObject({ interrupted: true, ready: DAEMONS });
    expectFailedOver((await job(b.api, cascadeId)).body, 'cascade');
    expect((await b.api.get<{ mesh: { last_cascade: unknown } }>('/v1/status')).body.mesh).toMatchObject({ last_cascade: null });

    const nextId = `cas-after-${Date.now()}`;
    // T named, a second out: a T the cascade picks itself has 100 ms of slack (cascade.slack_ms), which
    // a very loaded test machine can still overrun before the scatter plans, skipping every agent.
    const next = await b.api.post('/v1/cascades', { cascade_id: nextId, verb: 'observe', selector: { all: true }, release_mode: 'hold', target_time: Date.now() + 1_000, window_ms: 1_000 });
    expect(next.status, JSON.stringify(next.body)).toBe(202);
    const after = await decided(b.api, nextId, 30_000);
    expect(after, JSON.stringify(after)).toMatchObject({ kind: 'cascade', state: 'SUCCEEDED', result: { status: 'SUCCESS', counts: { sent: DAEMONS, ready: DAEMONS } } });
    expect((await b.api.get<{ mesh: { last_cascade: unknown } }>('/v1/status')).body.mesh).toMatchObject({ last_cascade: { cascade_id: nextId, status: 'SUCCESS' } });
  }, 90_000);
});
