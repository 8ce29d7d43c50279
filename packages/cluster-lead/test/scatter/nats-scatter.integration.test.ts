// The engine against a real nats-server and 200 simulated agents of mixed classes behind
// emulated links of 5 to 300 ms, with skewed, drifting clocks. True arrival error is measured
// against the one machine clock every simulated clock is derived from.
import { ReplayGuard } from '@mesh30k/shared';
import type { KeyResolver } from '@mesh30k/shared';
import { nodeEd25519 } from '@mesh30k/shared/node';
import { connect } from 'nats';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { NatsConnection } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { summarize, startNats } from '../../../../test/harness/index.js';
import type { NatsServer, Summary } from '../../../../test/harness/index.js';
import { ScatterEngine } from '../../src/scatter/engine.js';
import { NatsScatterTransport } from '../../src/scatter/nats-transport.js';
import type { OperationRequestInput } from '../../src/scatter/operation-request.js';
import { RealScheduler, performanceClock } from '../../src/scatter/real-scheduler.js';
import type { ScatterResult } from '../../src/scatter/record.js';
import { inlineAckVerifier } from '../../src/scatter/verifier.js';
import { captureLog } from './support/capture-log.js';
import { MemoryStore, RecordingOutcomes } from './support/fakes.js';
import { startFleet } from './support/fleet.js';
import type { Fleet } from './support/fleet.js';
import { RegistryStandIn } from './support/registry-stand-in.js';

const LEAD_ID = 'lead-int';
const AGENTS = 200;
const LINK_DELAYS_MS = [5, 20, 50, 90, 140, 200, 250, 300];
const LINK_JITTER_MS = 1;
const CLOCK_EXCHANGES = 6;
const SYNC_CONCURRENCY = 50;
/** Generous on purpose: the tight figure is the benchmark's job. */
const HOLD_BOUND_MS = 20;
const LEAD_MODE_BOUND_MS = 40;
/** Lead mode is timed by delivery, so it also feels the queueing of this one busy thread. */
const LEAD_MODE_LATE_BOUND_MS = 30;
const SETUP_TIMEOUT_MS = 60_000;
/**
 * 200 agents, their links and the lead share one process, and the machine is shared with other
 * jobs, so pauses of 100 ms and more happen. A wide hold margin (with a T far enough ahead for
 * it to apply) and a wide ACK slack keep a pause from turning a ready agent into a straggler;
 * neither changes precision, and an operation still completes as soon as everyone answered.
 */
const ENGINE_OPTIONS = { holdMarginMs: 250, ackReturnSlackMs: 1_000 };
const HOLD_T_AHEAD_MS = 1_200;

/** Runs task over items with at most `limit` in flight. */
async function inBatches<T>(items: readonly T[], limit: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await task(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

interface Run {
  readonly result: ScatterResult;
  /**
   * Longest event-loop stall of this process during the operation, ms. Agents, links and lead
   * share it (and the machine is shared with other jobs), so a stall delays every timer in it;
   * bounds allow for it, so they test the engine and not the machine's load.
   */
  readonly stallMs: number;
  /** True ready time - T, per agent that became ready. */
  readonly trueErrors: Map<string, number>;
  readonly summary: Summary;
}

describe('scatter-gather over NATS, 200 agents behind 5..300 ms links', () => {
  let nats: NatsServer;
  let leadConnection: NatsConnection;
  let fleet: Fleet;
  let engine: ScatterEngine;
  let registry: RegistryStandIn;
  const log = captureLog();
  const store = new MemoryStore();
  const timerErrors: unknown[] = [];

  beforeAll(async () => {
    nats = await startNats();
    const leadPair = await nodeEd25519.generateKeyPair();
    const signer = nodeEd25519.signerSync(leadPair.privateKey);
    const resolveLeadKey: KeyResolver = (id) =>
      id === LEAD_ID ? { ok: true, value: leadPair.publicKey } : { ok: false, error: { code: 'UNKNOWN_SIGNER', message: id } };
    leadConnection = await connect({ servers: nats.url, reconnect: false });
    fleet = await startFleet({
      nats,
      leadId: LEAD_ID,
      resolveLeadKey,
      truth: performanceClock,
      agents: AGENTS,
      linkDelaysMs: LINK_DELAYS_MS,
      linkJitterMs: LINK_JITTER_MS,
      maxSkewMs: 5_000,
      maxDriftPpm: 30,
      seed: 30_000,
    });
    registry = new RegistryStandIn({ connection: leadConnection, leadId: LEAD_ID, signer, clock: performanceClock, resolveKey: fleet.resolveAgentKey });
    registry.start();
    engine = new ScatterEngine({
      clock: performanceClock,
      scheduler: new RealScheduler({ clock: performanceClock, onError: (error) => timerErrors.push(error) }),
      identity: { leadId: LEAD_ID, signer },
      targets: registry,
      routes: { routable: () => ({ routable: true }) },
      outcomes: new RecordingOutcomes(),
      transport: new NatsScatterTransport({ connection: leadConnection, leadId: LEAD_ID, log: log.logger, replies: { leadId: LEAD_ID, signer, clock: performanceClock } }),
      store,
      mode: { mode: () => 'FULL' },
      verifier: inlineAckVerifier({ ed25519: nodeEd25519, resolveKey: fleet.resolveAgentKey, replay: new ReplayGuard({ clock: performanceClock }) }),
      logger: log.logger,
    }, ENGINE_OPTIONS);
    engine.start();
    await leadConnection.flush();
    // A bounded number at a time: 200 simultaneous exchanges would queue behind each other's
    // signing in this one process and measure the CPU instead of the links.
    await inBatches(fleet.agents, SYNC_CONCURRENCY, (agent) => agent.syncClock(CLOCK_EXCHANGES));
    expect(registry.size).toBe(AGENTS);
  }, SETUP_TIMEOUT_MS);

  afterAll(async () => {
    engine?.stop();
    await fleet?.close();
    await leadConnection?.close();
    await nats?.dispose();
  });

  async function run(request: OperationRequestInput): Promise<Run> {
    const loop = monitorEventLoopDelay({ resolution: 1 });
    loop.enable();
    const handle = await engine.submit(request);
    const outcome = await handle.outcome;
    loop.disable();
    const stallMs = loop.max / 1e6;
    if (outcome.status !== 'completed') throw new Error(`refused: ${outcome.refusal.code} ${outcome.refusal.reason}`);
    const { result } = outcome;
    const trueErrors = new Map<string, number>();
    for (const agent of fleet.agents) {
      const ready = agent.readiness.get(result.operationId);
      if (ready === undefined) continue;
      expect(await ready.ackReply).toEqual({ ok: true });
      trueErrors.set(agent.spec.agentId, ready.trueReadyMs - result.timings.targetTime);
    }
    return { result, stallMs, trueErrors, summary: summarize([...trueErrors.values()].map(Math.abs)) };
  }

  const figures = (name: string, r: Run): string => {
    const s = r.summary;
    const signed = summarize([...r.trueErrors.values()]);
    return `${name}: ${s.count} agents, true |error| p50 ${s.p50.toFixed(2)} p90 ${s.p90.toFixed(2)} p99 ${s.p99.toFixed(2)} max ${s.max.toFixed(2)} ms; signed min ${signed.min.toFixed(1)} max ${signed.max.toFixed(1)}; reported |error| p99 ${r.result.arrival.abs?.p99.toFixed(2)} ms, hit rate ${r.result.arrival.hitRate}; longest stall ${r.stallMs.toFixed(1)} ms`;
  };

  const request = (releaseMode: OperationRequestInput['releaseMode'], over: Partial<OperationRequestInput> = {}): OperationRequestInput => ({
    verb: 'act',
    payload: { command: 'arm' },
    targets: { all: true },
    releaseMode,
    arrivalWindowMs: HOLD_BOUND_MS,
    minResponseRate: 1,
    timeoutMs: 5_000,
    ...over,
  });

  it('hold mode: SUCCESS, every agent truly ready within a few ms of T', async ({ annotate }) => {
    const r = await run(request('hold', { targetTime: performanceClock.now() + HOLD_T_AHEAD_MS }));
    await annotate(figures('hold', r));
    expect(r.result).toMatchObject({ status: 'SUCCESS', decision: 'PROCEED', counts: { sent: AGENTS, ready: AGENTS, stragglers: 0, skipped: 0 } });
    expect(r.result.modes.hold).toBe(AGENTS);
    expect(r.trueErrors.size).toBe(AGENTS);
    for (const [agentId, error] of r.trueErrors) expect(Math.abs(error), agentId).toBeLessThanOrEqual(HOLD_BOUND_MS + r.stallMs);
    // What a pause cannot excuse: each agent's own reading of its ready instant in mesh time
    // (its offset estimate) against the truth.
    for (const a of r.result.responders) {
      const trueReady = r.result.timings.targetTime + r.trueErrors.get(a.agentId)!;
      expect(Math.abs(a.readyAtMeshAgent - trueReady), a.agentId).toBeLessThanOrEqual(HOLD_BOUND_MS);
    }
    expect(timerErrors).toEqual([]);
    expect(fleet.agents.flatMap((a) => a.errors)).toEqual([]);
    expect(registry.errors).toEqual([]);
  });

  it('none mode (the baseline): the same operation shows the spread the links create', async ({ annotate }) => {
    const r = await run(request('none'));
    await annotate(figures('none', r));
    expect(r.result.counts).toMatchObject({ sent: AGENTS, ready: AGENTS });
    expect(r.summary.max).toBeGreaterThan(200);
    const meanOn = (delay: number) => {
      const errors = [...r.trueErrors].filter(([id]) => fleet.linkOf.get(id) === delay).map(([, e]) => e);
      return errors.reduce((a, b) => a + b, 0) / errors.length;
    };
    // Agents behind the slowest link become ready ~295 ms after those behind the fastest.
    expect(meanOn(300) - meanOn(5)).toBeGreaterThan(250);
    expect(r.result.arrival.hitRate).toBeLessThan(0.5);
  });

  it('lead mode: each agent sent its own COORDINATE at T minus its lead time, none of them late', async ({ annotate }) => {
    const r = await run(request('lead', { arrivalWindowMs: LEAD_MODE_BOUND_MS }));
    await annotate(figures('lead', r));
    expect(r.result).toMatchObject({ status: 'SUCCESS', counts: { sent: AGENTS, ready: AGENTS } });
    expect(r.result.modes.lead).toBe(AGENTS);
    // Lead mode is ready when processing ends and aims at the median (no buffer): about as many
    // early as late, none later than the processing variation and link jitter (a few ms) plus
    // what a pause at send time and one at processing time can add.
    for (const [agentId, error] of r.trueErrors) expect(error, agentId).toBeLessThanOrEqual(LEAD_MODE_LATE_BOUND_MS + 2 * r.stallMs);
    const send = (id: string) => r.result.responders.find((a) => a.agentId === id)!.sentAt!;
    const record = store.records.get(r.result.operationId)!;
    // Each agent is sent its own COORDINATE at T minus its own lead time (never late but for a
    // pause), so the sends spread over the range of lead times instead of leaving at once.
    for (const p of record.plan) {
      expect(p.sendAt).toBe(r.result.timings.targetTime - p.leadTimeMs);
      expect(send(p.agentId), p.agentId).toBeLessThanOrEqual(p.sendAt + r.stallMs + 1);
    }
    expect(r.result.timings.lastSendAt! - r.result.timings.firstSendAt!).toBeGreaterThan(200);
  });

  it('skips, with the reason, every agent whose lead time exceeds what is left before T', async () => {
    const available = 250;
    const r = await run(request('hold', { targetTime: performanceClock.now() + available }));
    const skipped = new Map(r.result.skipped.map((s) => [s.agentId, s]));
    for (const agent of fleet.agents) {
      const id = agent.spec.agentId;
      const link = fleet.linkOf.get(id)!;
      if (link < 200) continue;
      // 250 and 300 ms away, or 200 ms away with at least 50 ms of processing: cannot make it.
      if (link >= 250 || agent.spec.agentClass !== 'A') {
        expect(skipped.get(id), id).toMatchObject({ reason: 'insufficient_lead_time', mode: 'hold' });
        expect(skipped.get(id)!.wouldNeedMs!).toBeGreaterThan(skipped.get(id)!.availableMs);
        expect(agent.readiness.has(r.result.operationId), `${id} must not act`).toBe(false);
      }
    }
    expect(r.result.skipped.every((s) => s.reason === 'insufficient_lead_time')).toBe(true);
    expect(r.result.counts.sent + r.result.counts.skipped).toBe(AGENTS);
    // Everyone sent to made it: the agents that could not were skipped, not sent a hopeless T.
    expect(r.result).toMatchObject({ status: 'SUCCESS', counts: { stragglers: 0 } });
    expect(r.result.counts.ready).toBe(r.result.counts.sent);
    expect(r.result.counts.skipped).toBeGreaterThanOrEqual(AGENTS / 4);
  });
});
