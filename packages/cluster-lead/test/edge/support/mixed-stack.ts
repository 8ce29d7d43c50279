// A lead with the edge tier wired as main.ts should wire it: Pi-class simulated agents over a
// real nats-server (behind link emulators) and Workers running in workerd (Miniflare, bundled
// as `wrangler deploy` bundles) behind their own link emulators, one scatter engine for all.
// The lead's clock is skewed from the machine clock, so the Workers' offset is far outside
// their replay window until the lead has measured it; the machine clock is the truth.
import { ReplayGuard, toBase64Url } from '@mesh30k/shared';
import type { KeyResolver } from '@mesh30k/shared';
import { nodeEd25519 } from '@mesh30k/shared/node';
import { connect, type NatsConnection } from 'nats';
import type { Logger } from 'pino';
import { startEdgeWorker, type EdgeHost } from '../../../../../test/bench/edge-host.js';
import { startLink, startNats, type Link, type NatsServer } from '../../../../../test/harness/index.js';
import { EdgeTier, type EdgeDelivery, type EdgeProberOptions } from '../../../src/edge/index.js';
import { EventBus } from '../../../src/lib/events.js';
import { registryPorts } from '../../../src/registry-ports.js';
import { GuardRails } from '../../../src/registry/guard-rails.js';
import { Registry } from '../../../src/registry/registry.js';
import type { RegistryOptions } from '../../../src/registry/options.js';
import { ScatterEngine } from '../../../src/scatter/engine.js';
import { NatsScatterTransport } from '../../../src/scatter/nats-transport.js';
import type { OperationRequestInput } from '../../../src/scatter/operation-request.js';
import type { ProcessingEstimateView, ProcessingQuery, ScatterTargets, TargetAgent } from '../../../src/scatter/ports.js';
import { RealScheduler, performanceClock } from '../../../src/scatter/real-scheduler.js';
import type { ScatterResult } from '../../../src/scatter/record.js';
import { inlineAckVerifier } from '../../../src/scatter/verifier.js';
import { MemoryStore, RecordingOutcomes } from '../../scatter/support/fakes.js';
import { startFleet, type Fleet } from '../../scatter/support/fleet.js';
import { RegistryStandIn } from '../../scatter/support/registry-stand-in.js';
import { SkewedClock } from '../../scatter/support/skewed-clock.js';

export const LEAD_ID = 'lead-edge';
export const EDGE_CLUSTER = 'cluster-edge';
export const EDGE_CAPABILITIES = ['sensor.read', 'route'];

export interface MixedStackOptions {
  readonly piAgents: number;
  readonly piLinkDelaysMs: readonly number[];
  /** One Worker per entry, behind a link of this one-way delay. */
  readonly workerLinkDelaysMs: readonly number[];
  readonly linkJitterMs: number;
  /** Lead clock minus machine clock. */
  readonly leadSkewMs: number;
  readonly seed: number;
  readonly logger: Logger;
  readonly prober?: Partial<EdgeProberOptions>;
  readonly engine?: { holdMarginMs?: number; ackReturnSlackMs?: number };
}

export interface EdgeWorkerUnderTest {
  readonly agentId: string;
  readonly host: EdgeHost;
  readonly link: Link;
  readonly oneWayMs: number;
}

/** One operation's outcome with the true arrival errors (ready - T, ms) only a test can know. */
export interface MixedRun {
  readonly result: ScatterResult;
  readonly piErrors: Map<string, number>;
  readonly workerErrors: Map<string, number>;
  readonly deliveries: EdgeDelivery[];
}

export interface MixedStack {
  readonly leadClock: SkewedClock;
  readonly registry: Registry;
  readonly tier: EdgeTier;
  readonly engine: ScatterEngine;
  readonly fleet: Fleet;
  readonly workers: readonly EdgeWorkerUnderTest[];
  readonly timerErrors: unknown[];
  /** mesh - Worker clock, truly: every Worker reads the machine clock. */
  trueWorkerOffsetMs(): number;
  /** Clock exchanges: Pis heartbeat, Workers are probed, `rounds` times each. */
  sync(rounds: number): Promise<void>;
  run(request: OperationRequestInput): Promise<MixedRun>;
  close(): Promise<void>;
}

const NO_LAG = { takeMaxLagMs: () => 0, close: () => undefined };
const REGISTRY_OPTIONS: RegistryOptions = {
  heartbeatIntervalMs: 5_000,
  missedForOffline: 3,
  crashAfterMs: 60_000,
  quarantineMaxShare: 0.1,
  panicBelowHealthy: 0.5,
  probeMaxInFlight: 16,
  anomaly: {},
  modeThresholds: {},
  health: {},
};

export async function startMixedStack(options: MixedStackOptions): Promise<MixedStack> {
  const cleanups: (() => Promise<void>)[] = [];
  try {
    return await build(options, cleanups);
  } catch (error) {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
    throw error;
  }
}

async function build(options: MixedStackOptions, cleanups: (() => Promise<void>)[]): Promise<MixedStack> {
  const { logger } = options;
  const leadClock = new SkewedClock(performanceClock, options.leadSkewMs, 0, performanceClock.now());
  const leadPair = await nodeEd25519.generateKeyPair();
  const signer = nodeEd25519.signerSync(leadPair.privateKey);
  const identity = { leadId: LEAD_ID, signer };
  const resolveLeadKey: KeyResolver = (id) =>
    id === LEAD_ID ? { ok: true, value: leadPair.publicKey } : { ok: false, error: { code: 'UNKNOWN_SIGNER', message: id } };

  // The registry (Workers live here) and the edge tier, wired to each other.
  // The registry's prober is the tier's, which needs the registry: resolved on first use.
  const late: { tier?: EdgeTier } = {};
  const noNatsProbe = { probe: () => Promise.resolve({ ok: false as const, reason: 'no NATS prober in this test' }) };
  const registry = new Registry(
    {
      clock: leadClock,
      events: new EventBus(),
      prober: { probe: (id) => late.tier!.registryProber(noNatsProbe).probe(id) },
      guard: new GuardRails({ clock: leadClock, lag: NO_LAG }, { restartGraceMs: 0, timeoutFactor: 2, lagThresholdMs: 200, lagGraceMs: 30_000 }),
      transportUp: () => true,
    },
    REGISTRY_OPTIONS,
  );
  const deliveries: EdgeDelivery[] = [];
  const tier = new EdgeTier({ clock: leadClock, identity, registry, ed25519: nodeEd25519, logger, db: null, onDelivery: (d) => deliveries.push(d) }, options.prober ?? {});

  // Workers in workerd, each behind its link.
  const workers: EdgeWorkerUnderTest[] = [];
  for (const [i, oneWayMs] of options.workerLinkDelaysMs.entries()) {
    const agentId = `edge-${i + 1}`;
    const pair = await nodeEd25519.generateKeyPair();
    const host = await startEdgeWorker({
      AGENT_PRIVATE_KEY: toBase64Url(pair.privateKey),
      LEAD_PUBLIC_KEYS: `${LEAD_ID}=${toBase64Url(leadPair.publicKey)}`,
      AGENT_ID: agentId,
      CLUSTER_ID: EDGE_CLUSTER,
      CAPABILITIES: EDGE_CAPABILITIES.join(','),
    });
    cleanups.push(() => host.dispose());
    const profile = { baseMs: oneWayMs, jitterMs: options.linkJitterMs };
    const link = await startLink({ target: { host: host.url.hostname, port: Number(host.url.port) }, up: profile, down: profile, seed: options.seed + 100 + i });
    cleanups.push(() => link.close());
    const registered = tier.directory.register({
      agent_id: agentId,
      url: link.url('http'),
      capabilities: EDGE_CAPABILITIES,
      cluster_id: EDGE_CLUSTER,
      public_key: toBase64Url(pair.publicKey),
    });
    if (!registered.ok) throw new Error(registered.message);
    workers.push({ agentId, host, link, oneWayMs });
  }

  // Pis over NATS.
  const nats: NatsServer = await startNats();
  cleanups.push(() => nats.dispose());
  const connection: NatsConnection = await connect({ servers: nats.url, reconnect: false });
  cleanups.push(() => connection.close());
  const fleet = await startFleet({
    nats,
    leadId: LEAD_ID,
    resolveLeadKey,
    truth: leadClock,
    agents: options.piAgents,
    linkDelaysMs: options.piLinkDelaysMs,
    linkJitterMs: options.linkJitterMs,
    maxSkewMs: 5_000,
    maxDriftPpm: 30,
    seed: options.seed,
  });
  cleanups.push(() => fleet.close());
  const standIn = new RegistryStandIn({ connection, leadId: LEAD_ID, signer, clock: leadClock, resolveKey: fleet.resolveAgentKey });
  standIn.start();

  const ports = registryPorts(registry);
  const targets = mergedTargets(standIn, ports.targets, (id) => tier.directory.has(id));
  const timerErrors: unknown[] = [];
  const engine = new ScatterEngine(
    {
      clock: leadClock,
      scheduler: new RealScheduler({ clock: leadClock, onError: (error) => timerErrors.push(error) }),
      identity,
      targets,
      routes: tier.routes(ports.routes),
      outcomes: { recordOutcome: (...args) => (tier.directory.has(args[0]) ? ports.outcomes : new RecordingOutcomes()).recordOutcome(...args) },
      transport: tier.transport(new NatsScatterTransport({ connection, leadId: LEAD_ID, log: logger, replies: { ...identity, clock: leadClock } })),
      store: tier.operationStore(new MemoryStore()),
      mode: { mode: () => 'FULL' },
      verifier: inlineAckVerifier({ ed25519: nodeEd25519, resolveKey: tier.keyResolver(fleet.resolveAgentKey), replay: new ReplayGuard({ clock: leadClock }) }),
      logger,
    },
    options.engine ?? {},
  );
  engine.start();
  await connection.flush();
  late.tier = tier;
  const edgeTier = tier;

  return {
    leadClock,
    registry,
    tier: edgeTier,
    engine,
    fleet,
    workers,
    timerErrors,
    trueWorkerOffsetMs: () => leadClock.now() - Date.now(),
    async sync(rounds) {
      await Promise.all([
        Promise.all(fleet.agents.map((agent) => agent.syncClock(rounds))),
        (async () => {
          for (let i = 0; i < rounds; i += 1) await edgeTier.prober.probeAll();
        })(),
      ]);
    },
    async run(request) {
      const from = deliveries.length;
      const handle = await engine.submit(request);
      const outcome = await handle.outcome;
      if (outcome.status !== 'completed') throw new Error(`refused: ${outcome.refusal.code} ${outcome.refusal.reason}`);
      const { result } = outcome;
      const T = result.timings.targetTime;
      const piErrors = new Map<string, number>();
      for (const agent of fleet.agents) {
        const ready = agent.readiness.get(result.operationId);
        if (ready === undefined) continue;
        await ready.ackReply;
        piErrors.set(agent.spec.agentId, ready.trueReadyMs - T);
      }
      const trueOffset = leadClock.now() - Date.now();
      const mine = deliveries.slice(from).filter((d) => d.operationId === result.operationId);
      const workerErrors = new Map<string, number>();
      // In this test the Worker clock is the machine clock: ready_at_local is true time.
      for (const d of mine) if (d.readyAtLocal !== null) workerErrors.set(d.agentId, d.readyAtLocal + trueOffset - T);
      return { result, piErrors, workerErrors, deliveries: mine };
    },
    async close() {
      engine.stop();
      await edgeTier.prober.stop();
      standIn.stop();
      for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
    },
  };
}

/** Pis from the stand-in registry, Workers from the real one. */
function mergedTargets(pis: ScatterTargets, edge: ScatterTargets, isEdge: (agentId: string) => boolean): ScatterTargets {
  return {
    select: (selector): readonly TargetAgent[] => [...pis.select(selector), ...edge.select(selector)],
    estimateProcessing: (agentId: string, query: ProcessingQuery): ProcessingEstimateView =>
      (isEdge(agentId) ? edge : pis).estimateProcessing(agentId, query),
  };
}
