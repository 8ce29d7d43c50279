import { nodeEd25519 } from '@mesh30k/shared/node';
import type { NodeEd25519 } from '@mesh30k/shared/node';
import { defaultRetransmitMs, delayQuantile } from '@mesh30k/shared';
import type { Clock, KeyResolver, PublicKeyBytes } from '@mesh30k/shared';
import type { Logger } from 'pino';
import { Agent } from '../agent/agent.js';
import { total, type AgentCounters } from '../agent/counters.js';
import type { AgentTuning } from '../agent/options.js';
import { PreciseTimer } from '../clock/precise-timer.js';
import { SkewedClock } from '../clock/skewed-clock.js';
import { trueClock } from '../clock/true-clock.js';
import { BurstBudget } from '../heartbeat/burst-budget.js';
import { BeatScheduler } from '../heartbeat/scheduler.js';
import type { Bus } from '../nats/bus.js';
import { MeshInbox } from '../nats/inbox.js';
import { staticHealthSampler } from '../health/index.js';
import { arrivalRecord, type ArrivalRecord, type ArrivalTruth } from './arrival-tap.js';
import type { EnrollmentSubject } from './enrollment.js';
import { simHandlers, type DrawObserver } from './handlers.js';
import { agentProcessing } from './processing-model.js';
import { MemoryOutbox, MemoryStateStore } from './memory-stores.js';
import { simPrivateKey, virtualProfiles, type VirtualProfile } from './profiles.js';
import { seededRandom } from './random.js';
import { SimSpec, type SimSpecInput } from './spec.js';
import { actHandler } from '../sensors/act-handler.js';
import { actCapability } from '../sensors/config.js';
import { VIRTUAL_RELAY, virtualSensors, type VirtualSensors } from './virtual-sensors.js';
import { AgentLink } from './link/agent-link.js';
import { DelayLine } from './link/delay-line.js';
import { LinkedBus } from './link/linked-bus.js';
import { LinkedInbox } from './link/linked-inbox.js';
import { runQueueWaitReader } from '../clock/run-queue.js';
import { performance } from 'node:perf_hooks';
import { ArrivalQueue } from './arrival-queue.js';

/** Slot width of the fleet's beat scheduler, ms: small beside a 5 s interval's 10% jitter. */
export const SIM_BEAT_SLOT_MS = 20;
/** The fleet's burst budget is its steady heartbeat rate divided by this. */
const BURST_SHARE_DIVISOR = 4;
/** Mixed into an agent's seed for its boot moment (boot_spread_ms), apart from its other draws. */
const BOOT_SEED = 0x2c1b3c6d;
/**
 * Arrival records are built and written this long after the first of a batch, when a release's
 * sends are out: in bench:arrival (LAN, 1,000 agents in three sims) a pass and its link
 * deliveries took 10-90 ms, and building and writing the records in the next turn was 15% of the
 * sims' CPU in the 40 ms after T, between ACK sends.
 */
const ARRIVAL_WRITE_DELAY_MS = 150;
/** Beats started per event-loop turn: a tagged beat costs tens of µs to build, so a turn stays near 1 ms. */
export const SIM_BEATS_PER_TURN = 32;

export interface SimFleetDeps {
  /** One connection shared by every virtual agent (a NatsSupervisor). */
  bus: Bus;
  /** The lead key(s) the virtual agents trust. */
  leadKeys: KeyResolver;
  logger: Logger;
  /** The true clock the skewed clocks sit on; the daemon's own clock by default. */
  baseClock?: Clock;
  ed25519?: NodeEd25519;
  /** Extra tuning for every virtual agent (tests shorten timeouts). */
  tuning?: Partial<AgentTuning>;
  /** Given the true arrival of every READY release (benchmarks); off when absent. */
  onArrival?: (record: ArrivalRecord) => void;
}

export interface VirtualAgent {
  readonly profile: VirtualProfile;
  readonly agent: Agent;
  readonly clock: SkewedClock;
  readonly publicKey: PublicKeyBytes;
  /** The virtual relay and temperature, when the spec asks for them. */
  readonly sensors: VirtualSensors | undefined;
  /** The agent's own emulated link to NATS, when the spec asks for per-agent links. */
  readonly link: AgentLink | undefined;
}

/** Agent counters the fleet sums as they are, and those by code it merges. */
type Summed = 'heartbeatsSent' | 'heartbeatsMissed' | 'sessionHandshakesFailed' | 'probesAnswered' | 'acksSent' | 'acksOutboxed' | 'conflicts' | 'coordinatesAccepted' | 'coordinatesIgnored' | 'outboxReplayed' | 'outboxDeadLettered';
type ByCode = 'missedByReason' | 'heldByReason' | 'refusedByCode' | 'declinedByCode';

/**
 * Summed over the agents: the AgentCounters in Summed and ByCode (COORDINATEs taken and group
 * messages skipped, refusals without and with an ACK, outbox entries delivered later and refused
 * for good...), plus how many agents are running, synced, frozen and in a session (session mode),
 * and `refused`, every refusal without an ACK whatever its code.
 */
export type FleetTotals = { agents: number; running: number; synced: number; frozen: number; inSession: number; refused: number } & Pick<AgentCounters, Summed | ByCode>;

/**
 * Many virtual agents in one process, each a full Agent with its own key pair, class, skewed
 * clock, processing distribution and faults. They share one NATS connection, one inbox (one
 * subscription and one signature check per group message), one heartbeat scheduler and one
 * precise release timer; per-agent subjects (direct COORDINATE, probe) are ordinary
 * subscriptions on the shared connection. With a `link` in the spec each agent reaches that
 * connection through its own emulated link (one DelayLine timer serves them all).
 */
export class SimFleet {
  readonly spec: SimSpec;
  readonly agents: readonly VirtualAgent[];
  private readonly beats: BeatScheduler;
  private readonly releases: PreciseTimer;
  private readonly links: DelayLine;
  private readonly tap: ArrivalQueue | undefined;
  /** Boot (boot_spread_ms) and crash timers, cleared on stop. */
  private readonly timers: NodeJS.Timeout[] = [];

  private constructor(spec: SimSpec, agents: VirtualAgent[], shared: { beats: BeatScheduler; releases: PreciseTimer; links: DelayLine; tap: ArrivalQueue | undefined }) {
    this.spec = spec;
    this.agents = agents;
    this.beats = shared.beats;
    this.releases = shared.releases;
    this.links = shared.links;
    this.tap = shared.tap;
  }

  static async create(input: SimSpecInput, deps: SimFleetDeps): Promise<SimFleet> {
    const spec = SimSpec.parse(input);
    const ed25519 = deps.ed25519 ?? nodeEd25519;
    const base = deps.baseClock ?? trueClock;
    const releases = new PreciseTimer({
      runQueueWaitMs: runQueueWaitReader(),
      // Several sims on few cores release at the same T: each lets the others stamp before its sends.
      shareCpu: true,
      onError: (error) => deps.logger.error({ err: error }, 'a hold release effect failed'),
    });
    // Beats due in one slot start together, so their requests leave in one socket write: one
    // write per beat was the sim's largest cost (bench:sim profile, docs/bench/issue15).
    const beats = new BeatScheduler({ quiet: releases, tickMs: SIM_BEAT_SLOT_MS, beatsPerTurn: SIM_BEATS_PER_TURN, onError: (error) => deps.logger.error({ err: error }, 'heartbeat scheduler error') });
    const inbox = new MeshInbox({ bus: deps.bus, ed25519, resolveKey: deps.leadKeys, logger: deps.logger });
    // The fleet's start-up (or reconnect) burst adds at most a quarter of its steady heartbeat
    // rate: at the whole steady rate, 20,000 agents that booted together beat at 1.4x it.
    const burstPerSecond = (spec.count * 1000) / spec.heartbeat_interval_ms / BURST_SHARE_DIVISOR;
    const burst = new BurstBudget({ perSecond: burstPerSecond, capacity: Math.max(1, burstPerSecond) });
    const health = staticHealthSampler();
    // Only when asked: the tap converts and hands over one record per release, once its ACK left the agent's link.
    const onArrival = deps.onArrival;
    const tap = onArrival && new ArrivalQueue(onArrival, (error) => deps.logger.error({ err: error }, 'an arrival record could not be written'), ARRIVAL_WRITE_DELAY_MS);
    /** A monotonic instant on the base clock (the machine's clock unless a test gives another). */
    const baseAt = (monotonicMs: number): number => base.now() - (performance.now() - monotonicMs);
    const links = new DelayLine({
      onError: (error) => deps.logger.error({ err: error }, 'emulated link delivery failed'),
      // What the links handed over goes to the socket slice by slice, not at the end of the run.
      afterSlice: () => deps.bus.flush?.(),
    });
    const agents: VirtualAgent[] = [];
    for (const profile of virtualProfiles(spec)) {
      const link = spec.link === undefined ? undefined : new AgentLink(links, spec.link, profile.seed ^ 0x1f123bb5);
      const truth = tap === undefined ? undefined : simulatedTruth(profile, spec);
      const privateKey = simPrivateKey(spec.seed, profile.agentId);
      const publicKey = await ed25519.publicKeyFromPrivate(privateKey);
      const clock = new SkewedClock(base, { offsetMs: profile.offsetMs, driftPpm: profile.driftPpm });
      const sensorSpec = spec.virtual_sensors;
      const capabilities = sensorSpec === undefined ? profile.capabilities : [...profile.capabilities, actCapability(VIRTUAL_RELAY)];
      const sensors = sensorSpec === undefined ? undefined : virtualSensors({ seed: profile.seed, intervalMs: sensorSpec.interval_ms, localNow: () => clock.now(), log: deps.logger });
      // A send from a release effect is dated as on the agent's own device: its wait behind the
      // other agents' sends of the same release pass is this process's, not the agent's.
      const bus = link === undefined ? undefined : new LinkedBus(deps.bus, link, () => performance.now() - releases.effectQueuedMs);
      const agent = new Agent({
        identity: {
          agentId: profile.agentId,
          clusterId: spec.cluster_id,
          sectorId: spec.sector_id,
          agentClass: profile.agentClass,
          capabilities,
          leadId: spec.lead_id,
        },
        clock,
        signer: ed25519.signerSync(privateKey),
        ed25519,
        leadKeys: deps.leadKeys,
        bus: bus ?? deps.bus,
        outbox: new MemoryOutbox(spec.outbox_max_entries),
        state: new MemoryStateStore(),
        health,
        logger: deps.logger,
        handlers: simHandlers(profile, sensors && actHandler(sensors.hub, capabilities), truth?.observe),
        heartbeatAuth: spec.heartbeat_auth,
        heartbeatSelfCheck: 'first',
        ...(sensors === undefined ? {} : { sensors: sensors.hub }),
        config: {
          heartbeatIntervalMs: spec.heartbeat_interval_ms,
          heartbeatJitter: spec.heartbeat_jitter,
          burstSamples: spec.burst_samples,
          queueCapacity: spec.queue_capacity,
          sampleCapacity: spec.sample_capacity,
          ...deps.tuning,
        },
        shared: { inbox: link === undefined ? inbox : new LinkedInbox(inbox, link), beats, releases, burst },
        random: seededRandom(profile.seed ^ 0x5bd1e995),
        // Called as the ACK is handed to the bus, maybe inside a release pass: the uplink ticket,
        // the operation's truth and the clock estimate are taken now (they are that ACK's and
        // that release's); the record is built and written once the link let the ACK go, in a
        // later turn, off the path of every other agent's send and delivery.
        onReady:
          tap &&
          ((event) => {
            const uplink = bus?.lastUplink;
            const seen = truth?.take(event.operationId);
            const clocks = { toTrue: (l: number) => clock.toBase(l), toMesh: meshAsNow(agent.clock, event.readyAtLocal) };
            const build = (handedAt: number): ArrivalRecord => {
              const record = arrivalRecord(profile.agentId, event, clocks, seen, uplink?.delayMs);
              if (uplink !== undefined && !Number.isNaN(uplink.sentAt)) record.uplink_in_true_ms = baseAt(uplink.sentAt);
              if (!Number.isNaN(handedAt)) record.uplink_out_true_ms = baseAt(handedAt);
              return record;
            };
            if (uplink === undefined) return tap.push(() => build(Number.NaN));
            uplink.whenHanded((handedAt) => tap.push(() => build(handedAt)));
          }),
      });
      agents.push({ profile: { ...profile, capabilities }, agent, clock, publicKey, sensors, link });
    }
    return new SimFleet(spec, agents, { beats, releases, links, tap });
  }

  /**
   * Starts every agent (at once, or each at a random moment within the spec's boot_spread_ms),
   * and the crash timers of those that are to crash.
   */
  start(): void {
    const spread = this.spec.boot_spread_ms;
    for (const virtual of this.agents) {
      const boot = (): void => {
        virtual.agent.start();
        const after = virtual.profile.crashAfterMs;
        if (after !== undefined) this.timers.push(setTimeout(() => virtual.agent.crash(), after));
      };
      if (spread === 0) boot();
      else this.timers.push(setTimeout(boot, seededRandom(virtual.profile.seed ^ BOOT_SEED)() * spread));
    }
  }

  get(agentId: string): VirtualAgent | undefined {
    return this.agents.find((v) => v.profile.agentId === agentId);
  }

  /** What a lead must enroll to trust this fleet (see enrollment.ts). */
  enrollmentSubjects(): EnrollmentSubject[] {
    return this.agents.map(({ profile, publicKey }) => ({
      agentId: profile.agentId,
      publicKey,
      agentClass: profile.agentClass,
      capabilities: profile.capabilities,
      clusterId: this.spec.cluster_id,
      sectorId: this.spec.sector_id,
    }));
  }

  totals(): FleetTotals {
    // Called every second over every agent (mesh-agent sim --report): each counter read by its
    // name; a loop over the names (keyed reads, sums in an object built by spreading) cost 5%
    // of a sim.
    const sums: FleetTotals = {
      agents: this.agents.length,
      running: 0,
      synced: 0,
      frozen: 0,
      inSession: 0,
      refused: 0,
      missedByReason: {},
      heldByReason: {},
      refusedByCode: {},
      declinedByCode: {},
      heartbeatsSent: 0,
      heartbeatsMissed: 0,
      sessionHandshakesFailed: 0,
      probesAnswered: 0,
      acksSent: 0,
      acksOutboxed: 0,
      conflicts: 0,
      coordinatesAccepted: 0,
      coordinatesIgnored: 0,
      outboxReplayed: 0,
      outboxDeadLettered: 0,
    };
    for (const { agent } of this.agents) {
      const c: AgentCounters = agent.stats();
      if (agent.running) sums.running++;
      if (agent.clock.synced) sums.synced++;
      if (agent.frozen) sums.frozen++;
      if (agent.heartbeatSession !== undefined) sums.inSession++;
      sums.heartbeatsSent += c.heartbeatsSent;
      sums.heartbeatsMissed += c.heartbeatsMissed;
      sums.sessionHandshakesFailed += c.sessionHandshakesFailed;
      sums.probesAnswered += c.probesAnswered;
      sums.acksSent += c.acksSent;
      sums.acksOutboxed += c.acksOutboxed;
      sums.conflicts += c.conflicts;
      sums.coordinatesAccepted += c.coordinatesAccepted;
      sums.coordinatesIgnored += c.coordinatesIgnored;
      sums.outboxReplayed += c.outboxReplayed;
      sums.outboxDeadLettered += c.outboxDeadLettered;
      addCodes(sums.missedByReason, c.missedByReason);
      addCodes(sums.heldByReason, c.heldByReason);
      addCodes(sums.refusedByCode, c.refusedByCode);
      addCodes(sums.declinedByCode, c.declinedByCode);
      sums.refused += total(c.refusedByCode);
    }
    return sums;
  }

  /** Stops every agent gracefully (held work handed back), then the shared timers. */
  async stop(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    await Promise.all(this.agents.map(({ agent }) => agent.stop()));
    this.beats.stop();
    this.releases.stop();
    this.links.stop();
    // Records of ACKs the links dropped just now are written before the caller closes the log.
    await Promise.resolve();
    this.tap?.flush();
  }
}

/**
 * What the benchmark's oracle needs of one agent (only when arrivals are recorded): the true
 * medians of its processing and of its down link, and each operation's draw, kept from the
 * handler's start until the release takes it.
 */
function simulatedTruth(profile: VirtualProfile, spec: SimSpec): { observe: DrawObserver; take(operationId: string): ArrivalTruth } {
  const model = profile.processingModel;
  // The median does not depend on the stream; a throwaway one keeps the agent's own untouched.
  const processingMedianMs = agentProcessing(model, profile.processingMedianMs, profile.slowFactor, profile.seed, () => 0.5).medianMs;
  const oneWayMedianMs = spec.link === undefined ? undefined : delayQuantile(spec.link.down, 0.5, defaultRetransmitMs(spec.link.up, spec.link.down));
  const draws = new Map<string, NonNullable<ArrivalTruth['draw']>>();
  return {
    observe: (operationId, draw) => {
      draws.set(operationId, draw);
    },
    take: (operationId) => {
      const draw = draws.get(operationId);
      draws.delete(operationId);
      return { scenario: model.scenario, processingMedianMs, oneWayMedianMs, draw };
    },
  };
}

/**
 * The agent's estimate of mesh time as it stands now, kept as the line it is (offset and rate),
 * so a record built later converts with the estimate of the release, not a newer one.
 */
function meshAsNow(clock: { toMesh(localMs: number): number }, around: number): (localMs: number) => number {
  const at = clock.toMesh(around);
  const slope = (clock.toMesh(around + 1_000) - at) / 1_000;
  return (localMs) => at + (localMs - around) * slope;
}

function addCodes(into: Record<string, number>, from: Readonly<Record<string, number>>): void {
  for (const code in from) into[code] = (into[code] ?? 0) + from[code]!;
}
