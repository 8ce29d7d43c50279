// Delegation against a whole lead: real nats-server, temp SQLite, the lead's own registry and
// scatter engine, and protocol-speaking agents (test/lead/support/mesh-agent.ts) that answer
// COORDINATEs with READY, with a CONFLICT on demand, or not at all once killed.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { KeyResolver } from '@mesh30k/shared';
import { generateKeyFile } from '@mesh30k/shared/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir, startNats, type NatsServer, type TempDir } from '../../../../test/harness/index.js';
import { parseConfig } from '../../src/config/index.js';
import { createDelegator, DELEGATION_DEAD_LETTER_KIND, type DelegationResult, type Delegator } from '../../src/delegation/index.js';
import { silentLogger } from '../../src/lib/logger.js';
import { startLead, type Lead } from '../../src/main.js';
import { FakeLag } from '../support/lead-fixture.js';
import { createTestOperator, type TestOperator } from '../support/test-operator.js';
import { createTestRoot } from '../support/test-agents.js';
import { MeshAgent, SteppingClock } from '../lead/support/mesh-agent.js';

const LEAD_ID = 'lead-dlg';
/** Per attempt; what a stalled agent costs. */
const TIMEOUT_MS = 600;
const CONFLICT = { type: 'DATA_CONTRADICTION' as const, expected_value: '1', received_value: '2', context_hash: 'c'.repeat(64), detail: 'disagrees' };

describe('delegation through the lead (NATS, SQLite, registry, scatter engine)', () => {
  let nats: NatsServer;
  let dir: TempDir;
  let lead: Lead;
  let delegator: Delegator;
  const clock = new SteppingClock();
  let operator: TestOperator;
  const agents = new Map<string, MeshAgent>();
  const agent = (id: string) => agents.get(id)!;

  async function delegate(body: Record<string, unknown>): Promise<DelegationResult> {
    const outcome = await delegator.delegate({ task: { verb: 'act', payload: { job: 'analyze' } }, timeoutMs: TIMEOUT_MS, ...body });
    if (!outcome.ok) throw new Error(outcome.error.reason);
    return outcome.result;
  }

  beforeAll(async () => {
    nats = await startNats();
    dir = await makeTempDir('mesh30k-delegation-');
    const root = await createTestRoot();
    const leadKeys = await generateKeyFile(join(dir.path, 'lead.key'));
    await mkdir(join(dir.path, 'enrollments'));
    operator = await createTestOperator(() => clock.now());
    const config = parseConfig(
      {
        lead_id: LEAD_ID,
        api: { operators: operator.operators },
        cluster_id: 'cluster-1',
        sector_id: 'sector-1',
        nats: { servers: [nats.url], reconnect_wait_ms: 50 },
        key_path: join(dir.path, 'lead.key'),
        trust: { root_public_keys: [root.publicKeyText], enrollments: join(dir.path, 'enrollments') },
        data_dir: join(dir.path, 'data'),
        http: { host: '127.0.0.1', port: 0, allow_plain_http: true },
        guard: { restart_grace_ms: 1 },
        ingest: { verify_threads: 0, replay_ttl_ms: 120_000 },
        log: { level: 'silent' },
      },
      { env: {} },
    );
    const resolveLeadKey: KeyResolver = (id) => (id === LEAD_ID ? { ok: true, value: leadKeys.publicKey } : { ok: false, error: { code: 'UNKNOWN_SIGNER', message: id } });
    for (const id of ['pi-00', 'pi-01', 'pi-02']) {
      const a = await MeshAgent.create({ agentId: id, clusterId: 'cluster-1', sectorId: 'sector-1', leadId: LEAD_ID, clock, resolveLeadKey }, root);
      await writeFile(join(dir.path, 'enrollments', `${id}.json`), JSON.stringify(a.enrollment));
      agents.set(id, a);
    }
    lead = await startLead(config, { clock, lag: new FakeLag(), logger: silentLogger(), timers: false });
    await lead.intake;
    for (const a of agents.values()) await a.connect(nats.url);
    await Promise.all([...agents.values()].map((a) => a.heartbeat(4)));
    expect(lead.registry.status().byState.active).toBe(3);
    // Same class, links within a ms of each other: health decides. pi-02 is the healthiest.
    lead.registry.recordOutcome('pi-00', { result: 'error', reason: 'test' });
    lead.registry.recordOutcome('pi-00', { result: 'error', reason: 'test' });
    lead.registry.recordOutcome('pi-01', { result: 'error', reason: 'test' });
    expect(lead.registry.views(agents.keys()).map((v) => v.state)).toEqual(['active', 'active', 'active']);
    delegator = createDelegator({ clock, engine: lead.engine, registry: lead.registry, deadLetters: lead.store.deadLetters, logger: silentLogger() });
  }, 60_000);

  afterAll(async () => {
    for (const a of agents.values()) await a.kill();
    await lead?.stop('test done');
    await nats?.stop();
    await dir?.dispose();
  });

  it('gives the task to the best agent, which ACKs READY', async () => {
    const result = await delegate({ to: 'best_available' });
    expect(result).toMatchObject({ status: 'SUCCEEDED', agentId: 'pi-02', reason: null, deadLetterId: null });
    expect(result.attempts).toHaveLength(1);
    expect(result.attempts[0]).toMatchObject({ agentId: 'pi-02', outcome: 'ready', reason: 'READY' });
    // The attempt is an ordinary operation in the lead's history, sent in none mode to pi-02 only.
    const history = lead.store.operations.get(result.attempts[0]!.operationId);
    expect(history).toMatchObject({ status: 'completed' });
    expect(result.elapsedMs).toBeGreaterThan(0);
    for (const a of agents.values()) expect(a.errors).toEqual([]);
  });

  it('runs a delegation started through the HTTP API and reports its result there', async () => {
    const started = await operator.fetch(`${lead.api.url}/v1/delegations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ task: { verb: 'record', payload: { job: 'via-api' } }, to: 'best_available', timeout_ms: TIMEOUT_MS }),
    });
    expect(started.status).toBe(202);
    const { delegation_id: id, location, delegation_location } = (await started.json()) as { delegation_id: string; location: string; delegation_location: string };
    // Followed as a job like every other long-running request; the delegation resource stays.
    expect(location).toBe(`/v1/operations/${id}`);
    expect(started.headers.get('location')).toBe(location);
    expect(delegation_location).toBe(`/v1/delegations/${id}`);

    // The delegation finishes within one attempt's timeout: poll its job until then.
    const deadline = performance.now() + 10 * TIMEOUT_MS;
    let job: { kind: string; state: string; result?: { status: string; agent_id: string } } | undefined;
    while (performance.now() < deadline) {
      job = (await (await operator.fetch(`${lead.api.url}${location}`)).json()) as typeof job;
      if (job?.state === 'SUCCEEDED' || job?.state === 'FAILED') break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(job).toMatchObject({ kind: 'delegation', state: 'SUCCEEDED', result: { status: 'SUCCEEDED', agent_id: 'pi-02' } });
    const body = (await (await operator.fetch(`${lead.api.url}${delegation_location}`)).json()) as { state: string };
    expect(body).toMatchObject({ state: 'completed', result: { status: 'SUCCEEDED', agent_id: 'pi-02' } });

    const refused = await operator.fetch(`${lead.api.url}/v1/delegations`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ task: { verb: 'dance' } }) });
    expect(refused.status).toBe(400);
    expect(refused.headers.get('content-type')).toContain('application/problem+json');
  });

  it('reassigns a task when the chosen agent stalls, and the stall costs it health', async () => {
    await agent('pi-02').kill();
    const before = lead.registry.get('pi-02')!.health.score;
    const result = await delegate({ to: { capability: 'sensor.read' } });
    expect(result.status).toBe('SUCCEEDED');
    expect(result.attempts.map((a) => [a.agentId, a.outcome])).toEqual([
      ['pi-02', 'timeout'],
      ['pi-01', 'ready'],
    ]);
    expect(result.attempts[0]!.reason).toBe(`no ACK within ${TIMEOUT_MS} ms`);
    expect(result.attempts[0]!.elapsedMs).toBeGreaterThanOrEqual(TIMEOUT_MS - 1);
    expect(result.agentId).toBe('pi-01');
    expect(lead.registry.get('pi-02')!.health.score).toBeLessThan(before);
  });

  it('writes a dead letter with the full context when every agent fails', async () => {
    agent('pi-00').conflict = CONFLICT;
    agent('pi-01').conflict = CONFLICT;
    const result = await delegate({ delegationId: 'dlg-all-fail', to: 'best_available', maxAttempts: 5 });
    expect(result).toMatchObject({ delegationId: 'dlg-all-fail', status: 'FAILED', agentId: null, reason: 'no agent left after 3 attempt(s)' });
    expect(new Set(result.attempts.map((a) => a.agentId))).toEqual(new Set(['pi-00', 'pi-01', 'pi-02']));
    const outcomes = Object.fromEntries(result.attempts.map((a) => [a.agentId, a.outcome]));
    expect(outcomes).toEqual({ 'pi-00': 'conflict', 'pi-01': 'conflict', 'pi-02': 'timeout' });

    const letter = lead.store.deadLetters.list().find((l) => l.kind === DELEGATION_DEAD_LETTER_KIND && l.operationId === 'dlg-all-fail');
    expect(letter).toBeDefined();
    expect(letter).toMatchObject({ id: result.deadLetterId, attempts: 3, reason: 'no agent left after 3 attempt(s)', agentId: result.attempts[2]!.agentId });
    expect(letter!.payload).toMatchObject({
      delegation_id: 'dlg-all-fail',
      task: { verb: 'act', payload: { job: 'analyze' }, payload_weight: 0 },
      to: 'best_available',
      timeout_ms: TIMEOUT_MS,
      max_attempts: 5,
      attempts: result.attempts.map((a) => ({ attempt: a.attempt, agent_id: a.agentId, operation_id: a.operationId, outcome: a.outcome, reason: a.reason })),
    });
  });
});
