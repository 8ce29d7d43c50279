// The whole lead end to end: real nats-server, temp SQLite, 20 agents, everything through the
// HTTP API. Time is real (the agents hold to T on it) but the test jumps it forward for
// liveness and breaker deadlines instead of sleeping.
import { mkdir, writeFile } from 'node:fs/promises';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { join } from 'node:path';
import { type KeyResolver } from '@mesh30k/shared';
import { generateKeyFile } from '@mesh30k/shared/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir, startNats, summarize, type NatsServer, type TempDir } from '../../../../test/harness/index.js';
import { parseConfig, type LeadConfig } from '../../src/config/index.js';
import { silentLogger } from '../../src/lib/logger.js';
import { startLead, type Lead } from '../../src/main.js';
import { createTestOperator, type TestOperator } from '../support/test-operator.js';
import { FakeLag } from '../support/lead-fixture.js';
import { createTestRoot } from '../support/test-agents.js';
import { MeshAgent, SteppingClock } from './support/mesh-agent.js';

const AGENTS = 20;
const KILLED = 4;
const INTERVAL_MS = 5_000;
/** Generous: the tight figure is the benchmark's; agents, lead and NATS share one busy process. */
const ARRIVAL_BOUND_MS = 25;
const T_AHEAD_MS = 1_000;
const POLL_MS = 20;

interface OperationBody {
  operation_id: string;
  state: string;
  error?: { code: string; message: string };
  result: {
    status: string;
    decision: string;
    counts: Record<string, number>;
    skipped: { agent_id: string; reason: string; detail: string }[];
    responders: { agent_id: string; arrival_error_ms: number }[];
    stragglers: string[];
    arrival: { abs: { p50: number; p90: number; p99: number; max: number } | null; hit_rate: number | null };
  } | null;
}

describe('cluster lead end to end (API, NATS, SQLite)', () => {
  let nats: NatsServer;
  let dir: TempDir;
  let config: LeadConfig;
  let lead: Lead;
  const clock = new SteppingClock();
  const agents: MeshAgent[] = [];
  /** Longest event-loop stall during the last operation: lead, agents and NATS client share this process, so a stall delays every timer in it. */
  let stallMs = 0;

  let operator: TestOperator;
  const api = (path: string, init?: RequestInit) => operator.fetch(`${lead.api.url}${path}`, init);
  const post = (path: string, body: unknown) => api(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const live = () => agents.filter((a) => a.connected);

  async function start(): Promise<void> {
    lead = await startLead(config, { clock, lag: new FakeLag(), logger: silentLogger(), timers: false });
    await lead.intake;
  }

  /** POSTs an operation and polls GET until it is decided. */
  async function operate(body: Record<string, unknown>): Promise<OperationBody> {
    const res = await post('/v1/operations', { verb: 'record', payload: { command: 'arm' }, selector: { all: true }, release_mode: 'hold', window_ms: 2 * ARRIVAL_BOUND_MS, target_time: clock.now() + T_AHEAD_MS, timeout_ms: 5_000, priority: 2, ...body });
    expect(res.status, await res.clone().text()).toBe(202);
    const loop = monitorEventLoopDelay({ resolution: 1 });
    loop.enable();
    const location = res.headers.get('location')!;
    const { operation_id } = (await res.json()) as { operation_id: string };
    expect(location).toBe(`/v1/operations/${operation_id}`);
    for (;;) {
      const view = (await (await api(location)).json()) as OperationBody;
      if (view.state === 'SUCCEEDED' || view.state === 'FAILED') {
        loop.disable();
        stallMs = loop.max / 1e6;
        return view;
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  }

  /** Live agents beat (so only the silent ones are overdue), after the clock jumped. */
  const beatAll = () => Promise.all(live().map((a) => a.heartbeat()));

  beforeAll(async () => {
    nats = await startNats();
    dir = await makeTempDir('mesh30k-e2e-');
    const root = await createTestRoot();
    const leadKeys = await generateKeyFile(join(dir.path, 'lead.key'));
    await mkdir(join(dir.path, 'enrollments'));
    operator = await createTestOperator(() => clock.now());
    config = parseConfig(
      {
        lead_id: 'lead-e2e',
        api: { operators: operator.operators },
        cluster_id: 'cluster-1',
        sector_id: 'sector-1',
        nats: { servers: [nats.url], reconnect_wait_ms: 50 },
        key_path: join(dir.path, 'lead.key'),
        trust: { root_public_keys: [root.publicKeyText], enrollments: join(dir.path, 'enrollments') },
        data_dir: join(dir.path, 'data'),
        http: { host: '127.0.0.1', port: 0, allow_plain_http: true },
        heartbeat: { interval_ms: INTERVAL_MS },
        registry: { probe_timeout_ms: 500 },
        guard: { restart_grace_ms: 1 },
        ingest: { verify_threads: 0, replay_ttl_ms: 120_000 },
        scatter: { hold_margin_ms: 250, ack_return_slack_ms: 1_000 },
        breakers: { cluster_trip_above: KILLED - 1, half_open_max_trials: 50 },
        log: { level: 'silent' },
      },
      { env: {} },
    );
    const resolveLeadKey: KeyResolver = (id) => (id === 'lead-e2e' ? { ok: true, value: leadKeys.publicKey } : { ok: false, error: { code: 'UNKNOWN_SIGNER', message: id } });
    for (let i = 0; i < AGENTS; i++) {
      const agent = await MeshAgent.create({ agentId: `pi-${String(i).padStart(2, '0')}`, clusterId: 'cluster-1', sectorId: 'sector-1', leadId: 'lead-e2e', clock, resolveLeadKey }, root);
      await writeFile(join(dir.path, 'enrollments', `${agent.agentId}.json`), JSON.stringify(agent.enrollment));
      agents.push(agent);
    }
    await start();
    for (const agent of agents) await agent.connect(nats.url);
    await Promise.all(agents.map((a) => a.heartbeat(6)));
    expect(lead.registry.status().byState.active).toBe(AGENTS);
  }, 60_000);

  afterAll(async () => {
    for (const agent of agents) await agent.kill();
    await lead?.stop('test done');
    await nats?.dispose();
    await dir?.dispose();
  });

  it('hold mode through the API: 202, then SUCCESS with every arrival error inside the bound', async ({ annotate }) => {
    const op = await operate({ min_response_rate: 1 });
    expect(op.result).toMatchObject({ status: 'SUCCESS', decision: 'PROCEED', counts: { sent: AGENTS, ready: AGENTS, stragglers: 0 } });
    const abs = summarize(op.result!.responders.map((r) => Math.abs(r.arrival_error_ms)));
    await annotate(`hold, ${AGENTS} agents: |arrival error| p50 ${abs.p50.toFixed(2)} p90 ${abs.p90.toFixed(2)} max ${abs.max.toFixed(2)} ms, hit rate ${op.result!.arrival.hit_rate}; longest stall ${stallMs.toFixed(1)} ms`);
    for (const r of op.result!.responders) expect(Math.abs(r.arrival_error_ms), r.agent_id).toBeLessThanOrEqual(ARRIVAL_BOUND_MS + stallMs);
    const status = (await (await api('/v1/status')).json()) as { mesh: Record<string, unknown> };
    expect(status.mesh).toMatchObject({ agents_active: AGENTS, agents_total: AGENTS, sectors_healthy: 1, sectors_total: 1, mode: 'FULL', frozen: false, last_cascade: null });
    expect(agents.flatMap((a) => a.errors)).toEqual([]);
  });

  it('conflicts above the threshold give RESOLVE_CONFLICTS and land in the log and the quarantine store', async () => {
    const detail = { type: 'DATA_CONTRADICTION', expected_value: '21.5', received_value: '19.0', context_hash: 'c'.repeat(64), affects_agent_count: 500, detail: 'sensor value disagrees' } as const;
    for (const agent of agents.slice(0, 6)) agent.conflict = detail;
    const before = lead.store.conflicts.count();
    const op = await operate({});
    for (const agent of agents) agent.conflict = null;
    expect(op.result).toMatchObject({ decision: 'RESOLVE_CONFLICTS', counts: { conflicts: 6 } });
    expect(lead.store.conflicts.count()).toBe(before + 6);
    const logged = lead.store.conflicts.list({ limit: 6 });
    expect(logged.every((c) => c.operationId === op.operation_id && c.priority === 3 && c.signature.length > 0)).toBe(true);
    expect(lead.store.quarantine.list('held').length).toBe(6);
    // A CONFLICT report, delivered twice: confirmed both times, logged once.
    expect(await agents[7]!.report('conflict-report-0001', { ...detail, type: 'OTHER' })).toEqual({ ok: true });
    expect(await agents[7]!.report('conflict-report-0001', { ...detail, type: 'OTHER' })).toEqual({ ok: true });
    expect(lead.store.conflicts.count()).toBe(before + 7);
    const status = (await (await api('/v1/status')).json()) as { mesh: { conflicts_last_hour: number } };
    expect(status.mesh.conflicts_last_hour).toBe(before + 7);
  });

  it('freeze refuses operations and agents see frozen in heartbeat replies; thaw undoes both', async () => {
    const frozen = await post('/v1/freeze', { scope: 'cluster', reason: 'maintenance' });
    expect(await frozen.json()).toMatchObject({ action: 'FREEZE', scope: 'cluster', target_id: 'cluster-1', published: true, lead_frozen: true });
    expect((await agents[0]!.heartbeat()).frozen).toBe(true);
    const refused = await post('/v1/operations', { verb: 'record', payload: null, selector: { all: true } });
    expect(refused.status).toBe(409);
    expect(refused.headers.get('content-type')).toBe('application/problem+json');
    expect(await refused.json()).toMatchObject({ code: 'FROZEN', reason_code: 'FROZEN' });
    await agents[0]!.heartbeat(); // the FREEZE notice was published before this round trip
    expect(agents[0]!.control.some((m) => m.kind === 'FREEZE')).toBe(true);
    const thawed = await post('/v1/thaw', { scope: 'cluster' });
    expect(await thawed.json()).toMatchObject({ action: 'THAW', lead_frozen: false });
    expect((await agents[0]!.heartbeat()).frozen).toBe(false);
  });

  it('killed agents: a breaker opens after no_acks, they go offline, the mode degrades, the breaker closes through half-open', async () => {
    for (const agent of agents.slice(AGENTS - KILLED)) await agent.kill();
    const partial = await operate({ min_response_rate: 0.5 });
    expect(partial.result!.stragglers).toHaveLength(KILLED);
    const breakerOf = async () => ((await (await api('/v1/breakers')).json()) as { breakers: { scope: string; target_id: string; state: string }[] }).breakers.find((b) => b.scope === 'cluster')!;
    expect((await breakerOf()).state).toBe('open');
    const blocked = await operate({});
    expect(blocked.result!.counts.sent).toBe(0);
    expect(blocked.result!.skipped.every((s) => s.reason === 'not_routable' && s.detail.includes('breaker'))).toBe(true);

    clock.advance(INTERVAL_MS * 3 + 1_000);
    await beatAll();
    await lead.sweep();
    for (const agent of agents.slice(AGENTS - KILLED)) expect(lead.registry.get(agent.agentId)!.state).toBe('offline');
    expect(lead.registry.mode).toBe('DEGRADED_LIGHT');

    clock.advance(config.breakers.open_duration_ms);
    await beatAll();
    await lead.checkBreakers();
    expect((await breakerOf()).state).toBe('half-open');
    const trial = await operate({});
    expect(trial.result).toMatchObject({ status: 'SUCCESS', counts: { sent: AGENTS - KILLED, ready: AGENTS - KILLED } });

    clock.advance(config.breakers.half_open_observation_ms + 1);
    await beatAll();
    await lead.checkBreakers();
    expect((await breakerOf()).state).toBe('closed');
  });

  it('restart on the same data dir: the registry is back and an operation right after succeeds', async ({ annotate }) => {
    await lead.stop('test restart');
    await start();
    expect(lead.restored).toBe(AGENTS);
    expect(lead.registry.get('pi-00')).toBeDefined();
    await beatAll();
    const op = await operate({});
    expect(op.result).toMatchObject({ status: 'SUCCESS', counts: { ready: AGENTS - KILLED } });
    const abs = summarize(op.result!.responders.map((r) => Math.abs(r.arrival_error_ms)));
    await annotate(`after restart, ${AGENTS - KILLED} agents: |arrival error| p50 ${abs.p50.toFixed(2)} max ${abs.max.toFixed(2)} ms; longest stall ${stallMs.toFixed(1)} ms`);
    for (const r of op.result!.responders) expect(Math.abs(r.arrival_error_ms)).toBeLessThanOrEqual(ARRIVAL_BOUND_MS + stallMs);
  });
});
