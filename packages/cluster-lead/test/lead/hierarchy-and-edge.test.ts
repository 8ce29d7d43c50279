// Full lead processes (startLead, in-process) wired with the cascade service and the edge tier:
// a root lead and a child lead (configured with `parent`) with agents under each, a cascade
// started through the root's API; and a Worker in workerd registered through the API, probed
// into the registry, and counted by an operation. Real nats-server, temp SQLite, real time.
import { mkdir, writeFile } from 'node:fs/promises';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { join } from 'node:path';
import { publicKeyText, toBase64Url, type KeyResolver } from '@mesh30k/shared';
import { generateKeyFile, nodeEd25519 } from '@mesh30k/shared/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEdgeWorker, type EdgeHost } from '../../../../test/bench/edge-host.js';
import { makeTempDir, startNats, summarize, type NatsServer, type TempDir } from '../../../../test/harness/index.js';
import { parseConfig, type LeadConfig } from '../../src/config/index.js';
import { silentLogger } from '../../src/lib/logger.js';
import { startLead, type Lead } from '../../src/main.js';
import { FakeLag } from '../support/lead-fixture.js';
import { createTestOperator, type TestOperator } from '../support/test-operator.js';
import { createTestRoot, enroll, type TestRoot } from '../support/test-agents.js';
import { MeshAgent, SteppingClock } from './support/mesh-agent.js';

/** Generous, as lead-e2e: leads, agents and NATS share one busy process. */
const ARRIVAL_BOUND_MS = 25;
const SUMMARY_EXCHANGES = 4;
const POLL_MS = 20;

interface LeadSetup {
  readonly config: LeadConfig;
  readonly publicKey: Uint8Array;
  readonly enrollments: string;
}

async function leadSetup(dir: TempDir, name: string, root: TestRoot, natsUrl: string, extra: Record<string, unknown>): Promise<LeadSetup> {
  const base = join(dir.path, name);
  await mkdir(join(base, 'enrollments'), { recursive: true });
  const keys = await generateKeyFile(join(base, 'lead.key'));
  const config = parseConfig(
    {
      lead_id: name,
      nats: { servers: [natsUrl], reconnect_wait_ms: 50 },
      key_path: join(base, 'lead.key'),
      trust: { root_public_keys: [root.publicKeyText], enrollments: join(base, 'enrollments') },
      data_dir: join(base, 'data'),
      http: { host: '127.0.0.1', port: 0, allow_plain_http: true },
      api: { operators: operator.operators },
      guard: { restart_grace_ms: 1 },
      ingest: { verify_threads: 0, replay_ttl_ms: 120_000 },
      scatter: { hold_margin_ms: 250, ack_return_slack_ms: 1_000 },
      log: { level: 'silent' },
      ...extra,
    },
    { env: {} },
  );
  return { config, publicKey: keys.publicKey, enrollments: join(base, 'enrollments') };
}

const keyOf =
  (id: string, key: Uint8Array): KeyResolver =>
  (signer) =>
    signer === id ? { ok: true, value: key } : { ok: false, error: { code: 'UNKNOWN_SIGNER', message: signer } };

async function addAgents(setup: LeadSetup, root: TestRoot, clock: SteppingClock, ids: string[]): Promise<MeshAgent[]> {
  const agents: MeshAgent[] = [];
  for (const agentId of ids) {
    const agent = await MeshAgent.create({ agentId, clusterId: setup.config.cluster_id, sectorId: 'sector-1', leadId: setup.config.lead_id, clock, resolveLeadKey: keyOf(setup.config.lead_id, setup.publicKey) }, root);
    await writeFile(join(setup.enrollments, `${agentId}.json`), JSON.stringify(agent.enrollment));
    agents.push(agent);
  }
  return agents;
}

function stallMeter(): () => number {
  const loop = monitorEventLoopDelay({ resolution: 1 });
  loop.enable();
  return () => {
    loop.disable();
    return loop.max / 1e6;
  };
}

/** The API operator of both leads; signs on the real clock, which the leads' SteppingClocks follow. */
let operator: TestOperator;
const post = (lead: Lead, path: string, body: unknown) => operator.fetch(`${lead.api.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
const get = async <T>(lead: Lead, path: string): Promise<{ status: number; body: T }> => {
  const res = await operator.fetch(`${lead.api.url}${path}`);
  return { status: res.status, body: (await res.json()) as T };
};

describe('a root lead and a child lead: a cascade through the root API', () => {
  let nats: NatsServer;
  let dir: TempDir;
  let rootLead: Lead;
  let childLead: Lead;
  let agents: MeshAgent[] = [];
  const clock = new SteppingClock();

  beforeAll(async () => {
    nats = await startNats();
    dir = await makeTempDir('mesh30k-cascade-');
    const root = await createTestRoot();
    operator = await createTestOperator(() => clock.now());
    // Wide slack, as the cascade integration test: one process hosts both leads and every agent.
    const cascade = { slack_ms: 400, report_grace_ms: 5_000 };
    const rootSetup = await leadSetup(dir, 'root', root, nats.url, { cluster_id: 'cluster-root', cascade });
    const childSetup = await leadSetup(dir, 'child', root, nats.url, { cluster_id: 'cluster-child', cascade, parent: { lead_id: 'root', public_key: publicKeyText(rootSetup.publicKey) } });
    const childEnrollment = await enroll(root, { agentId: 'child', publicKey: childSetup.publicKey, clusterId: 'cluster-child', issuedAt: clock.now() - 1_000, role: 'lead' });
    await writeFile(join(rootSetup.enrollments, 'child.json'), JSON.stringify(childEnrollment));
    const own = await addAgents(rootSetup, root, clock, ['pi-r0', 'pi-r1', 'pi-r2']);
    const under = await addAgents(childSetup, root, clock, Array.from({ length: 8 }, (_, i) => `pi-c${i}`));
    agents = [...own, ...under];
    const overrides = { clock, lag: new FakeLag(), logger: silentLogger(), timers: false };
    rootLead = await startLead(rootSetup.config, overrides);
    childLead = await startLead(childSetup.config, overrides);
    await Promise.all([rootLead.intake, childLead.intake]);
    for (const agent of agents) await agent.connect(nats.url);
    await Promise.all(agents.map((a) => a.heartbeat(6)));
    for (let i = 0; i < SUMMARY_EXCHANGES; i++) await childLead.cascades.service!.sendSummary();
  }, 60_000);

  afterAll(async () => {
    for (const agent of agents) await agent.kill();
    await childLead?.stop('test done');
    await rootLead?.stop('test done');
    await nats?.dispose();
    await dir?.dispose();
  });

  it('POST /v1/cascades on the root: 202, then every agent on both levels ready at one T', async ({ annotate }) => {
    expect(rootLead.cascades.service!.children().map((c) => c.leadId)).toEqual(['child']);
    const stall = stallMeter();
    const res = await post(rootLead, '/v1/cascades', { cascade_id: 'cas-e2e-1', strategy: 'wave', verb: 'record', payload: { command: 'arm' }, window_ms: 2 * ARRIVAL_BOUND_MS });
    expect(res.status, await res.clone().text()).toBe(202);
    // Followed as a job; the cascade resource stays readable.
    expect(res.headers.get('location')).toBe('/v1/operations/cas-e2e-1');
    expect(await res.json()).toMatchObject({ cascade_id: 'cas-e2e-1', kind: 'cascade', state: 'RUNNING', created: true, cascade_location: '/v1/cascades/cas-e2e-1' });
    // The same id again: the same cascade, not a second one.
    expect(await (await post(rootLead, '/v1/cascades', { cascade_id: 'cas-e2e-1', verb: 'record', payload: null })).json()).toMatchObject({ cascade_id: 'cas-e2e-1', created: false });
    await rootLead.cascades.settled();
    const stallMs = stall();
    const { body } = await get<{ state: string; result: { status: string; counts: { sent: number; ready: number }; phases: { target_time: number; children: { lead_id: string; state: string }[] }[] } }>(rootLead, '/v1/cascades/cas-e2e-1');
    expect(body.state).toBe('completed');
    expect(body.result).toMatchObject({ status: 'SUCCESS', counts: { sent: agents.length, ready: agents.length } });
    expect(body.result.phases[0]!.children).toMatchObject([{ lead_id: 'child', state: 'reported' }]);
    expect((await get<{ kind: string; state: string; result: { status: string } }>(rootLead, '/v1/operations/cas-e2e-1')).body).toMatchObject({ kind: 'cascade', state: 'SUCCEEDED', result: { status: 'SUCCESS' } });
    const T = body.result.phases[0]!.target_time;
    // Every clock here is the root's: ready - T is the true arrival error.
    const errors = agents.map((a) => [...a.readyAt.values()][0]! - T);
    const abs = summarize(errors.map(Math.abs));
    await annotate(`cascade root -> child, ${agents.length} agents: true |ready - T| p50 ${abs.p50.toFixed(2)} max ${abs.max.toFixed(2)} ms; longest stall ${stallMs.toFixed(1)} ms`);
    for (const [i, e] of errors.entries()) expect(Math.abs(e), agents[i]!.agentId).toBeLessThanOrEqual(ARRIVAL_BOUND_MS + stallMs);
    const status = await get<{ mesh: { last_cascade: unknown } }>(rootLead, '/v1/status');
    expect(status.body.mesh.last_cascade).toMatchObject({ cascade_id: 'cas-e2e-1', status: 'SUCCESS' });
    expect(agents.flatMap((a) => a.errors)).toEqual([]);
  });

  it('refuses an invalid cascade as problem+json and answers 404 for an unknown id', async () => {
    const bad = await post(rootLead, '/v1/cascades', { strategy: 'sideways', verb: 'record', payload: null });
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toBe('application/problem+json');
    expect(await bad.json()).toMatchObject({ code: 'BAD_REQUEST', field: 'strategy' });
    expect((await get(rootLead, '/v1/cascades/nope')).status).toBe(404);
  });
});

describe('a Worker registered through the API of a full lead', () => {
  let nats: NatsServer;
  let dir: TempDir;
  let lead: Lead;
  let host: EdgeHost;
  let pis: MeshAgent[] = [];
  let workerKey: string;
  const clock = new SteppingClock();

  beforeAll(async () => {
    nats = await startNats();
    dir = await makeTempDir('mesh30k-edge-');
    const root = await createTestRoot();
    operator = await createTestOperator(() => clock.now());
    const setup = await leadSetup(dir, 'lead-edge', root, nats.url, { cluster_id: 'cluster-1' });
    pis = await addAgents(setup, root, clock, ['pi-0', 'pi-1']);
    const pair = await nodeEd25519.generateKeyPair();
    workerKey = toBase64Url(pair.publicKey);
    host = await startEdgeWorker({
      AGENT_PRIVATE_KEY: toBase64Url(pair.privateKey),
      LEAD_PUBLIC_KEYS: `lead-edge=${toBase64Url(setup.publicKey)}`,
      AGENT_ID: 'edge-1',
      CLUSTER_ID: 'cluster-1',
      CAPABILITIES: 'sensor.read',
    });
    lead = await startLead(setup.config, { clock, lag: new FakeLag(), logger: silentLogger(), timers: false });
    await lead.intake;
    for (const pi of pis) await pi.connect(nats.url);
    await Promise.all(pis.map((a) => a.heartbeat(6)));
  }, 60_000);

  afterAll(async () => {
    for (const pi of pis) await pi.kill();
    await lead?.stop('test done');
    await host?.dispose();
    await nats?.dispose();
    await dir?.dispose();
  });

  it('POST /v1/edge-agents: probed into the registry, and a hold operation counts its ACK', async ({ annotate }) => {
    const registration = { agent_id: 'edge-1', url: host.url.toString(), capabilities: ['sensor.read'], cluster_id: 'cluster-1', public_key: workerKey };
    const created = await post(lead, '/v1/edge-agents', registration);
    expect(created.status, await created.clone().text()).toBe(201);
    expect(created.headers.get('location')).toBe('/v1/edge-agents/edge-1');
    expect((await post(lead, '/v1/edge-agents', registration)).status).toBe(200);
    expect((await get<{ edge_agents: { agent_id: string }[] }>(lead, '/v1/edge-agents')).body.edge_agents.map((a) => a.agent_id)).toEqual(['edge-1']);
    const invalid = await post(lead, '/v1/edge-agents', { ...registration, url: 'ftp://nope' });
    expect(invalid.status).toBe(400);
    expect(await invalid.json()).toMatchObject({ code: 'BAD_REQUEST', field: 'url' });

    for (let i = 0; i < 4; i++) await lead.edge.prober.probeAll();
    const agent = await get<{ state: string; clock: { offset_ms: number } | null }>(lead, '/v1/agents/edge-1');
    expect(agent.status).toBe(200);
    expect(agent.body.state).toBe('active');
    expect(typeof agent.body.clock?.offset_ms).toBe('number');

    const stall = stallMeter();
    const res = await post(lead, '/v1/operations', { verb: 'decide', payload: { command: 'arm' }, selector: { all: true }, release_mode: 'hold', window_ms: 2 * ARRIVAL_BOUND_MS, target_time: clock.now() + 1_500, timeout_ms: 5_000, min_response_rate: 1 });
    expect(res.status, await res.clone().text()).toBe(202);
    const location = res.headers.get('location')!;
    let op: { state: string; result: { status: string; counts: { sent: number; ready: number }; responders: { agent_id: string; arrival_error_ms: number }[] } | null };
    for (;;) {
      op = (await get<typeof op>(lead, location)).body;
      if (op.state === 'SUCCEEDED' || op.state === 'FAILED') break;
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
    const stallMs = stall();
    expect(op.result).toMatchObject({ status: 'SUCCESS', counts: { sent: 3, ready: 3 } });
    const edge = op.result!.responders.find((r) => r.agent_id === 'edge-1')!;
    await annotate(`edge-1 arrival error ${edge.arrival_error_ms.toFixed(2)} ms (its own reading); longest stall ${stallMs.toFixed(1)} ms`);
    expect(Math.abs(edge.arrival_error_ms)).toBeLessThanOrEqual(ARRIVAL_BOUND_MS + stallMs);

    const removed = await operator.fetch(`${lead.api.url}/v1/edge-agents/edge-1`, { method: 'DELETE' });
    expect(removed.status).toBe(204);
    expect((await operator.fetch(`${lead.api.url}/v1/edge-agents/edge-1`, { method: 'DELETE' })).status).toBe(404);
    expect((await get<{ edge_agents: unknown[] }>(lead, '/v1/edge-agents')).body.edge_agents).toEqual([]);
  });
});
