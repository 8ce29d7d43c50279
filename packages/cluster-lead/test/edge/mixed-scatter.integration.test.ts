// The edge tier end to end: two Workers in workerd behind 20 ms and 60 ms links, probed over
// HTTP into the real registry, and a mixed hold-mode scatter-gather with Pi-class agents over
// NATS, all counted in one quorum. The lead's clock is 7 s off the machine clock (far outside
// the Workers' replay window), so nothing works unless the offset is measured and carried.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, summarize } from '../../../../test/harness/index.js';
import { nodeEd25519 } from '@mesh30k/shared/node';
import { toBase64Url } from '@mesh30k/shared';
import { EdgeTier } from '../../src/edge/index.js';
import { captureLog } from '../scatter/support/capture-log.js';
import { EDGE_CAPABILITIES, EDGE_CLUSTER, LEAD_ID, startMixedStack, type MixedStack } from './support/mixed-stack.js';

const WORKER_LINKS_MS = [20, 60];
const PI_AGENTS = 6;
const LEAD_SKEW_MS = 7_000;
/** Generous on purpose: the benchmark gives the distribution. */
const HOLD_BOUND_MS = 20;
const SYNC_ROUNDS = 6;

describe('edge tier: Workers in workerd over HTTP, Pis over NATS, one scatter-gather', () => {
  let stack: MixedStack;
  const log = captureLog();

  beforeAll(async () => {
    stack = await startMixedStack({
      piAgents: PI_AGENTS,
      piLinkDelaysMs: [5, 30],
      workerLinkDelaysMs: WORKER_LINKS_MS,
      linkJitterMs: 1,
      leadSkewMs: LEAD_SKEW_MS,
      seed: 5_005,
      logger: log.logger,
      engine: { holdMarginMs: 150, ackReturnSlackMs: 1_000 },
    });
    await stack.sync(SYNC_ROUNDS);
  }, 120_000);

  afterAll(async () => {
    await stack?.close();
  });

  it('a probe gives each Worker a clock offset and a round trip, and puts it in the registry like any agent', async () => {
    const outcomes = await stack.tier.prober.probeAll();
    const truth = stack.trueWorkerOffsetMs();
    expect(log.events()).toContain('edge.clock_bootstrapped');
    for (const worker of stack.workers) {
      const outcome = outcomes.find((o) => o.agentId === worker.agentId)!;
      expect(outcome.ok, JSON.stringify(outcome)).toBe(true);
      if (!outcome.ok) continue;
      const linkRtt = 2 * worker.oneWayMs;
      expect(outcome.rttMs).toBeGreaterThanOrEqual(linkRtt - 1);
      expect(outcome.rttMs).toBeLessThan(linkRtt + 25);
      // The exchange's error is bounded by half the round trip's asymmetry plus the Worker's 1 ms ticks.
      expect(Math.abs(outcome.clockOffsetMs! - truth)).toBeLessThan(5);
      expect(Math.abs(outcome.clockOffsetMs!)).toBeGreaterThan(LEAD_SKEW_MS - 50);

      const view = stack.registry.get(worker.agentId)!;
      expect(view).toMatchObject({ agentClass: 'A', clusterId: EDGE_CLUSTER, state: 'active', routable: true, frozen: false });
      expect([...view.capabilities].sort()).toEqual([...EDGE_CAPABILITIES].sort());
      expect(view.heartbeats).toBeGreaterThanOrEqual(SYNC_ROUNDS);
      expect(view.impedance.latencyMs).toBeGreaterThanOrEqual(linkRtt - 1);
      expect(view.clock).not.toBeNull();
      // The registry's convention (lead - agent at an agent-clock instant) gives the same truth.
      expect(Math.abs(stack.registry.toMeshTime(worker.agentId, Date.now())! - stack.leadClock.now())).toBeLessThan(5);
      const timing = stack.registry.timing(worker.agentId)!;
      expect(timing.supportedModes).toContain('hold');
      expect(timing.oneWayDelayMs).toBeCloseTo(view.impedance.latencyMs / 2, 6);
      // What `mesh agents` shows of it: the last probe, answered, with its round trip.
      const state = stack.tier.prober.probeState(worker.agentId)!;
      expect(state).toMatchObject({ ok: true, last_error: null, breaker: 'closed' });
      expect(state.last_ok_at).toBe(state.last_probe_at);
      expect(state.rtt_ms).toBe(outcome.rttMs);
    }
  });

  it('hold mode: Pis over NATS and Workers over HTTP are all ready within a few ms of T, in one quorum', async ({ annotate }) => {
    const T = stack.leadClock.now() + 1_000;
    const run = await stack.run({
      verb: 'decide',
      payload: { command: 'arm' },
      targets: { all: true },
      releaseMode: 'hold',
      targetTime: T,
      arrivalWindowMs: HOLD_BOUND_MS,
      minResponseRate: 1,
      timeoutMs: 5_000,
    });
    const all = PI_AGENTS + WORKER_LINKS_MS.length;
    const workers = summarize([...run.workerErrors.values()].map(Math.abs));
    const pis = summarize([...run.piErrors.values()].map(Math.abs));
    await annotate(
      `Workers true |ready - T| max ${workers.max.toFixed(2)} ms (${[...run.workerErrors].map(([id, e]) => `${id} ${e.toFixed(2)}`).join(', ')}); ` +
        `Pis max ${pis.max.toFixed(2)} ms; result |error| p99 ${run.result.arrival.abs?.p99.toFixed(2)} ms`,
    );
    expect(run.result).toMatchObject({ status: 'SUCCESS', decision: 'PROCEED', counts: { selected: all, sent: all, ready: all, stragglers: 0, skipped: 0 } });
    expect(run.result.modes.hold).toBe(all);
    expect(run.result.quorum).toMatchObject({ counts: { ready: all, total: all, unanswered: 0 } });
    for (const w of stack.workers) {
      const arrival = run.result.responders.find((a) => a.agentId === w.agentId);
      expect(arrival, w.agentId).toMatchObject({ mode: 'hold', outcome: 'ready', trinaryState: 1, inWindow: true });
    }
    // Each Worker got its own HTTP COORDINATE with its offset extrapolated to T, and its ACK
    // was taken by the engine (the group message went to NATS with no compensation map).
    expect(run.deliveries.map((d) => [d.agentId, d.outcome]).sort()).toEqual(stack.workers.map((w) => [w.agentId, 'acked']).sort());
    for (const d of run.deliveries) expect(Math.abs(d.clockOffsetMs! - stack.trueWorkerOffsetMs())).toBeLessThan(5);
    const record = stack.engine.stats();
    expect(record.acks.accepted).toBeGreaterThanOrEqual(all);

    expect(run.workerErrors.size).toBe(WORKER_LINKS_MS.length);
    for (const [id, error] of run.workerErrors) expect(Math.abs(error), id).toBeLessThanOrEqual(HOLD_BOUND_MS);
    expect(run.piErrors.size).toBe(PI_AGENTS);
    for (const [id, error] of run.piErrors) expect(Math.abs(error), id).toBeLessThanOrEqual(HOLD_BOUND_MS);
    // The lead's reading of each Worker's ready instant agrees with the truth too.
    for (const a of run.result.responders.filter((r) => run.workerErrors.has(r.agentId))) {
      expect(Math.abs(a.readyAtMeshAgent - (T + run.workerErrors.get(a.agentId)!)), a.agentId).toBeLessThan(5);
    }
    expect(stack.timerErrors).toEqual([]);
  });

  it('lead mode: each Worker is sent its own COORDINATE at T minus its lead time over HTTP, and is counted', async () => {
    const run = await stack.run({
      verb: 'decide',
      payload: { command: 'arm' },
      targets: { agent_class: 'A' },
      releaseMode: 'lead',
      arrivalWindowMs: 40,
      minResponseRate: 1,
      timeoutMs: 5_000,
    });
    const workers = stack.workers.length;
    expect(run.result.counts).toMatchObject({ ready: run.result.counts.sent, stragglers: 0 });
    expect(run.deliveries).toHaveLength(workers);
    for (const d of run.deliveries) {
      expect(d).toMatchObject({ mode: 'lead', outcome: 'acked' });
      expect(d.clockOffsetMs).not.toBeNull();
    }
    for (const [id, error] of run.workerErrors) expect(error, id).toBeLessThanOrEqual(40);
  });
});

describe('edge tier: an unreachable Worker', () => {
  it('fails its probes after retries, opens its breaker, becomes unroutable, and the registry prober reaches it over HTTP', async () => {
    const log = captureLog();
    const clock = { now: () => performance.timeOrigin + performance.now() };
    const recorded: string[] = [];
    const pair = await nodeEd25519.generateKeyPair();
    const tier = new EdgeTier(
      {
        clock,
        identity: { leadId: LEAD_ID, signer: nodeEd25519.signerSync(pair.privateKey) },
        registry: { recordHeartbeat: (hb) => recorded.push(hb.agent_id) },
        ed25519: nodeEd25519,
        logger: log.logger,
        db: null,
      },
      { retries: 2, backoffBaseMs: 4, backoffMaxMs: 8, timeoutMs: 500, breaker: { tripAbove: 1, openDurationMs: 60_000 } },
    );
    // Nothing listens there: connection refused.
    const port = await freePort();
    const registered = tier.directory.register({
      agent_id: 'edge-gone',
      url: `http://127.0.0.1:${port}`,
      capabilities: ['route'],
      cluster_id: EDGE_CLUSTER,
      public_key: toBase64Url(pair.publicKey),
    });
    expect(registered.ok).toBe(true);
    const target = { agentId: 'edge-gone', state: 'active' } as Parameters<ReturnType<EdgeTier['routes']>['routable']>[0];
    const routes = tier.routes({ routable: () => ({ routable: true }) });

    expect(tier.prober.probeState('edge-gone')).toMatchObject({ last_probe_at: null, ok: null });
    expect(tier.prober.probeState('a-pi')).toBeUndefined();
    const first = await tier.prober.probeAll();
    expect(first[0]).toMatchObject({ ok: false, attempts: 3, skipped: false });
    expect(first[0]!.ok ? '' : first[0]!.reason).toMatch(/unreachable/);
    // What `mesh agents` and `mesh status` show: failed, why, never answered.
    const failed = tier.prober.probeState('edge-gone')!;
    expect(failed).toMatchObject({ ok: false, last_ok_at: null, rtt_ms: null, breaker: 'closed' });
    expect(failed.last_error).toBe(first[0]!.ok ? '' : first[0]!.reason);
    expect(failed.last_probe_at).toBeGreaterThan(0);
    expect(tier.prober.endpoint('edge-gone').breaker.state()).toBe('closed');
    expect(routes.routable(target)).toEqual({ routable: true });

    await tier.prober.probeAll();
    expect(tier.prober.endpoint('edge-gone').breaker.state()).toBe('open');
    const routability = routes.routable(target);
    expect(routability.routable).toBe(false);
    expect(routability.routable ? '' : routability.reason).toMatch(/edge breaker open/);
    expect(tier.prober.probeState('edge-gone')!.breaker).toBe('open');
    expect(log.lines.some((l) => l.event === 'edge.breaker' && l.to === 'open')).toBe(true);

    // Open: the round leaves it alone until its recovery probe is due.
    const third = await tier.prober.probeAll();
    expect(third[0]).toMatchObject({ ok: false, attempts: 0, skipped: true, reason: 'breaker open' });
    expect(recorded).toEqual([]);
    // The registry's sweeper probes it over HTTP (not NATS) before declaring it offline.
    const fallback = { probe: () => Promise.resolve({ ok: true as const, rttMs: 1 }) };
    const verdict = await tier.registryProber(fallback).probe('edge-gone');
    expect(verdict.ok).toBe(false);
    expect(await tier.registryProber(fallback).probe('a-pi')).toEqual({ ok: true, rttMs: 1 });
  });
});
