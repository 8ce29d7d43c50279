// A two-level cascade over a real nats-server: a root lead with a few agents of its own, two
// child leads whose clocks are skewed and drifting against the root's and which reach NATS
// over emulated links, and simulated agents under each. The root's T must make every agent,
// two levels down, truly ready at the same instant (one machine: the true clock is known).
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNats, summarize } from '../../../../test/harness/index.js';
import type { NatsServer } from '../../../../test/harness/index.js';
import type { CascadeRequestInput, CascadeResult } from '../../src/cascade/index.js';
import { PRIORITY_ORDER, WAVE_LEAD_CONFIRM_RATE } from '../../src/cascade/index.js';
import { performanceClock } from '../../src/scatter/real-scheduler.js';
import { leadKeys, startLeadStand } from './support/lead-stand.js';
import type { LeadStand } from './support/lead-stand.js';

const ROOT = 'root';
const CHILDREN = [
  // +3.2 s: its first summary is outside the root's replay window, so it is refused, yet the
  // clock exchange still happens and the next one is accepted.
  { leadId: 'child-a', clusterId: 'cluster-a', skew: { ms: 3_200, ppm: 25 }, linkMs: 15, seed: 101 },
  { leadId: 'child-b', clusterId: 'cluster-b', skew: { ms: -1_800, ppm: -15 }, linkMs: 40, seed: 202 },
] as const;
const AGENTS_PER_CHILD = 30;
const ROOT_AGENTS = 10;
const AGENT_LINKS_MS = [5, 30, 80];
const SUMMARY_EXCHANGES = 6;
const CLOCK_EXCHANGES = 6;
/** Generous on purpose (the brief's 25 ms); the tight figure is a benchmark's job. */
const TRUE_BOUND_MS = 25;
/** A child's estimate of its offset to the root, against the truth. */
const OFFSET_BOUND_MS = 5;
const SETUP_TIMEOUT_MS = 90_000;
/**
 * All leads and 70 agents share this process (and the machine other jobs): a pause of 100 ms
 * or more can fall between a COORDINATE's arrival and the child's plan. A wide slack on the
 * chosen T keeps such a pause from skipping agents; it does not change precision.
 */
const CASCADE_OPTIONS = { slackMs: 400, reportGraceMs: 5_000 };

async function inBatches<T>(items: readonly T[], limit: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await task(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

describe('two-level cascade: root lead, two child leads, agents under each', () => {
  let nats: NatsServer;
  let root: LeadStand;
  let children: LeadStand[];
  const firstExchange = new Map<string, boolean>();

  beforeAll(async () => {
    nats = await startNats();
    const rootKeys = await leadKeys();
    const childKeys = await Promise.all(CHILDREN.map(() => leadKeys()));
    root = await startLeadStand({
      nats,
      leadId: ROOT,
      clusterId: 'cluster-root',
      keys: rootKeys,
      childKeys: new Map(CHILDREN.map((c, i) => [c.leadId, childKeys[i]!.publicKey])),
      agents: ROOT_AGENTS,
      agentLinkDelaysMs: [5, 20],
      seed: 7,
      cascadeOptions: CASCADE_OPTIONS,
    });
    children = await Promise.all(
      CHILDREN.map((c, i) =>
        startLeadStand({
          nats,
          leadId: c.leadId,
          clusterId: c.clusterId,
          keys: childKeys[i]!,
          skew: c.skew,
          linkMs: c.linkMs,
          parent: { leadId: ROOT, publicKey: rootKeys.publicKey },
          childKeys: new Map(),
          agents: AGENTS_PER_CHILD,
          agentLinkDelaysMs: AGENT_LINKS_MS,
          seed: c.seed,
          cascadeOptions: CASCADE_OPTIONS,
        }),
      ),
    );
    const everyone = [root, ...children];
    await inBatches(
      everyone.flatMap((s) => s.fleet.agents),
      40,
      (agent) => agent.syncClock(CLOCK_EXCHANGES),
    );
    for (const s of everyone) expect(s.registry.size).toBe(s.fleet.agents.length);
    // Summaries after the agents are known, so they carry real counts and lead times.
    for (const child of children) {
      for (let i = 0; i < SUMMARY_EXCHANGES; i += 1) {
        const exchange = await child.service.sendSummary();
        if (i === 0) firstExchange.set(child.leadId, exchange.accepted);
      }
    }
  }, SETUP_TIMEOUT_MS);

  afterAll(async () => {
    for (const s of [...(children ?? []), root]) await s?.close();
    await nats?.dispose();
  });

  it('summaries reach the root with the subtree counts and largest lead time', () => {
    const table = root.service.children();
    expect(table.map((c) => c.leadId)).toEqual(CHILDREN.map((c) => c.leadId));
    for (const entry of table) {
      const child = children.find((c) => c.leadId === entry.leadId)!;
      expect(entry.liveness).toBe('live');
      expect(entry.summary).toMatchObject({
        lead_id: entry.leadId,
        agent_count: AGENTS_PER_CHILD,
        by_state: { active: AGENTS_PER_CHILD, degraded: 0, offline: 0, quarantined: 0 },
        mode: 'FULL',
        frozen: false,
        impedance: { mean: 120, p50: 120, p95: 120, max: 120 },
      });
      expect(entry.summary.capabilities).toEqual(['gpio', 'sensor.read']);
      // Class C (200 ms) behind the 80 ms link (plus the child's own link) is the slowest: at
      // least its processing and delay, and what the child itself computes.
      expect(entry.summary.max_lead_time_ms).toBeGreaterThan(200 + 80);
      expect(entry.summary.max_lead_time_ms).toBeCloseTo(child.service.figures().maxLeadTimeMs, 0);
      // The hop estimate sits near the child's link delay (one way), not at zero or seconds.
      const linkMs = CHILDREN.find((c) => c.leadId === entry.leadId)!.linkMs;
      expect(entry.hopMs).toBeGreaterThan(linkMs / 2);
      expect(entry.hopMs).toBeLessThan(linkMs + 25);
    }
    // The root itself has no parent; its figures cover its own agents and both children.
    expect(root.service.figures().agentCount).toBe(ROOT_AGENTS + 2 * AGENTS_PER_CHILD);
    expect(root.service.stats().summariesTaken).toBe(2 * SUMMARY_EXCHANGES - 1);
    expect(root.service.stats().framesRefused).toEqual({ FROM_THE_FUTURE: 1 });
    expect(firstExchange.get('child-a')).toBe(false);
    expect(firstExchange.get('child-b')).toBe(true);
  });

  it('each child estimates its clock offset to the root', async ({ annotate }) => {
    for (const child of children) {
      const estimate = child.service.parentOffset();
      expect(estimate).not.toBeNull();
      const error = estimate!.offset_ms - child.trueOffsetToTruthMs();
      await annotate(`${child.leadId}: offset ${estimate!.offset_ms.toFixed(2)} ms, true error ${error.toFixed(3)} ms, delay ${estimate!.delay_ms.toFixed(1)} ms`);
      expect(Math.abs(error)).toBeLessThan(OFFSET_BOUND_MS);
      expect(estimate!.samples).toBeGreaterThanOrEqual(SUMMARY_EXCHANGES - 1);
    }
  });

  interface Measured {
    readonly result: CascadeResult;
    readonly stallMs: number;
    /** Lead id/agent id -> true ready - T (true clock = root clock). */
    readonly trueErrors: Map<string, number>;
  }

  async function cascade(request: CascadeRequestInput): Promise<Measured> {
    const loop = monitorEventLoopDelay({ resolution: 1 });
    loop.enable();
    const result = await root.service.cascade(request);
    loop.disable();
    const trueErrors = new Map<string, number>();
    for (const phase of result.phases) {
      for (const stand of [root, ...children]) {
        for (const agent of stand.fleet.agents) {
          const ready = agent.readiness.get(phase.operationId);
          if (ready === undefined) continue;
          expect(await ready.ackReply).toEqual({ ok: true });
          trueErrors.set(`${stand.leadId}/${agent.spec.agentId}`, ready.trueReadyMs - phase.targetTime);
        }
      }
    }
    return { result, stallMs: loop.max / 1e6, trueErrors };
  }

  const figures = (m: Measured): string => {
    const s = summarize([...m.trueErrors.values()].map(Math.abs));
    const a = m.result.arrival;
    return `${m.result.strategy}: ${s.count} agents, true |error| p50 ${s.p50.toFixed(2)} p90 ${s.p90.toFixed(2)} p99 ${s.p99.toFixed(2)} max ${s.max.toFixed(2)} ms; reported |error| p50 ${a.abs?.p50.toFixed(2)} p99 ${a.abs?.p99.toFixed(2)} max ${a.abs?.max.toFixed(2)} ms; longest stall ${m.stallMs.toFixed(1)} ms`;
  };

  const TOTAL = ROOT_AGENTS + 2 * AGENTS_PER_CHILD;

  it('wave (chosen T): every agent, two levels down, is truly ready at the same T', async ({ annotate }) => {
    const m = await cascade({ strategy: 'wave', verb: 'act', payload: { command: 'arm' }, arrivalWindowMs: TRUE_BOUND_MS });
    await annotate(figures(m));
    const [phase] = m.result.phases;
    expect(m.result.status).toBe('SUCCESS');
    expect(phase!.targetChoice).toBe('chosen');
    expect(phase!.leads).toEqual({ sent: 2, confirmed: 2, reported: 2 });
    expect(phase!.thresholds.leadConfirmRate).toBe(WAVE_LEAD_CONFIRM_RATE);
    expect(m.result.counts).toMatchObject({ selected: TOTAL, sent: TOTAL, ready: TOTAL, skipped: 0, stragglers: 0 });
    expect(m.trueErrors.size).toBe(TOTAL);
    for (const [id, error] of m.trueErrors) expect(Math.abs(error), id).toBeLessThanOrEqual(TRUE_BOUND_MS + m.stallMs);
    // Each child converted the root's T to its own clock with its offset: T_local - T is -offset.
    for (const child of phase!.children) {
      const stand = children.find((c) => c.leadId === child.leadId)!;
      expect(child.state).toBe('reported');
      expect(child.status).toBe('SUCCESS');
      expect(child.counts).toMatchObject({ sent: AGENTS_PER_CHILD, ready: AGENTS_PER_CHILD });
      expect(Math.abs(child.targetTimeLocal! - phase!.targetTime + stand.trueOffsetToTruthMs())).toBeLessThan(OFFSET_BOUND_MS);
      expect(child.arrival.count).toBe(AGENTS_PER_CHILD);
    }
    expect(m.result.arrival.count).toBe(TOTAL);
    expect(m.result.arrival.abs!.max).toBeLessThanOrEqual(TRUE_BOUND_MS + m.stallMs);
    // T was chosen far enough ahead for the slowest child plus its hop.
    const slowest = Math.max(...root.service.children().map((c) => c.summary.max_lead_time_ms + c.hopMs));
    expect(phase!.targetTime - phase!.startedAt).toBeGreaterThanOrEqual(slowest);
    for (const s of [root, ...children]) expect(s.errors).toEqual([]);
  }, 60_000);

  it('parallel (requested T): all at once with the lower threshold, same single T', async ({ annotate }) => {
    const targetTime = performanceClock.now() + 1_500;
    const m = await cascade({ strategy: 'parallel', verb: 'act', payload: { command: 'sync' }, arrivalWindowMs: TRUE_BOUND_MS, targetTime });
    await annotate(figures(m));
    expect(m.result.status).toBe('SUCCESS');
    expect(m.result.phases[0]!.thresholds).toMatchObject({ leadConfirmRate: 0.9, agentReadyRate: 0.9, childrenFirst: false });
    expect(m.result.phases[0]!.targetTime).toBe(targetTime);
    expect(m.trueErrors.size).toBe(TOTAL);
    for (const [id, error] of m.trueErrors) expect(Math.abs(error), id).toBeLessThanOrEqual(TRUE_BOUND_MS + m.stallMs);
  }, 60_000);

  it('priority_first: one phase per class, D first, each with its own T and threshold', async ({ annotate }) => {
    const m = await cascade({ strategy: 'priority_first', verb: 'act', payload: { command: 'warm' }, arrivalWindowMs: TRUE_BOUND_MS });
    await annotate(figures(m));
    expect(m.result.status).toBe('COMPLETE');
    expect(m.result.phases.map((p) => p.agentClass)).toEqual(PRIORITY_ORDER.map((p) => p.agentClass));
    expect(m.result.phases.map((p) => p.thresholds.agentReadyRate)).toEqual([0.99, 0.98, 0.95, 0.9, 0.85, 0.85]);
    // Phases run one after the other.
    for (let i = 1; i < m.result.phases.length; i += 1) expect(m.result.phases[i]!.startedAt).toBeGreaterThanOrEqual(m.result.phases[i - 1]!.decidedAt);
    // The sim fleets have classes A-E only: F is empty, the others reach their class everywhere.
    expect(m.result.phases.at(-1)!.status).toBe('EMPTY');
    for (const phase of m.result.phases.slice(0, 5)) {
      expect(phase.status, `class ${phase.agentClass}`).toBe('SUCCESS');
      expect(phase.counts.ready).toBeGreaterThan(0);
      expect(phase.counts.ready).toBe(phase.counts.sent);
    }
    expect(m.result.counts.ready).toBe(TOTAL);
    expect(m.result.degraded).toEqual([]);
    for (const [id, error] of m.trueErrors) expect(Math.abs(error), id).toBeLessThanOrEqual(TRUE_BOUND_MS + m.stallMs);
  }, 90_000);
});
