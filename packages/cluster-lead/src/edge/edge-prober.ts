/**
 * Probes every edge agent each heartbeat interval with a signed PING on POST /v1/ping:
 * verifies the signed PONG with the Worker's registered key, feeds the clock exchange to the
 * Worker's EdgeClock, and records the result in the registry as the heartbeat the Worker
 * cannot send (liveness, round trip, processing statistics, clock). Per endpoint: a circuit
 * breaker (shared's), and retries with exponential back-off and full jitter inside one probe.
 * The first PING to a Worker states an offset bootstrapped from GET /v1/health.
 */
import {
  BREAKER_DEFAULTS,
  CircuitBreaker,
  PROTOCOL_VERSION,
  encodeMessage,
  newMessageId,
  verifyAndParse,
  type BreakerOptions,
  type BreakerTransition,
  type Clock,
  type Ed25519,
  type Heartbeat,
  type OffsetEstimatorOverrides,
  type Ping,
  type Pong,
} from '@mesh30k/shared';
import type { Logger } from 'pino';
import type { HeartbeatContext } from '../registry/heartbeat-apply.js';
import type { Prober, ProbeResult } from '../registry/prober.js';
import type { LeadIdentity, Routability } from '../scatter/ports.js';
import { edgeUrl, type EdgeAgent } from './edge-agent.js';
import { EdgeClock } from './edge-clock.js';
import type { EdgeDirectory } from './edge-directory.js';
import { EdgeUnreachable, getJson, postSigned, type FetchLike } from './edge-http.js';
import { registrationEnrollment, syntheticHeartbeat } from './synthetic-heartbeat.js';

export const EDGE_EVENTS = Object.freeze({
  probed: 'edge.probed',
  probeFailed: 'edge.probe_failed',
  bootstrapped: 'edge.clock_bootstrapped',
  breaker: 'edge.breaker',
  coordinateSent: 'edge.coordinate_sent',
  coordinateFailed: 'edge.coordinate_failed',
  coordinateDropped: 'edge.coordinate_dropped',
});

/** Where probe results go: the registry (Registry.recordHeartbeat has exactly this shape). */
export interface EdgeHeartbeatSink {
  recordHeartbeat(heartbeat: Heartbeat, context: HeartbeatContext): unknown;
}

export interface EdgeProberOptions {
  /** The lead's heartbeat interval: one probe round per interval. */
  readonly intervalMs: number;
  /** Per attempt (health or ping). */
  readonly timeoutMs: number;
  /** Extra attempts within one probe. */
  readonly retries: number;
  readonly backoffBaseMs: number;
  readonly backoffMaxMs: number;
  /** Round trips kept for the latency median and its spread. */
  readonly rttWindow: number;
  /** Probe outcomes kept for the reliability score. */
  readonly reliabilityWindow: number;
  readonly breaker: Partial<BreakerOptions>;
  readonly estimator: OffsetEstimatorOverrides;
}

export const EDGE_PROBER_DEFAULTS: EdgeProberOptions = Object.freeze({
  intervalMs: 5_000,
  timeoutMs: 2_000,
  retries: 2,
  backoffBaseMs: 100,
  backoffMaxMs: 1_000,
  rttWindow: 16,
  reliabilityWindow: 60,
  breaker: BREAKER_DEFAULTS,
  estimator: {},
});

export interface EdgeProberDeps {
  /** Lead clock = mesh time. */
  readonly clock: Clock;
  readonly identity: LeadIdentity;
  readonly directory: EdgeDirectory;
  readonly sink: EdgeHeartbeatSink;
  readonly ed25519: Ed25519;
  readonly logger: Logger;
  readonly fetch?: FetchLike;
  /** 0..1; Math.random by default (the back-off jitter). */
  readonly random?: () => number;
  /** Waits between retries; setTimeout by default. */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** One probe, in detail. */
export type EdgeProbeOutcome =
  | {
      readonly ok: true;
      readonly agentId: string;
      readonly attempts: number;
      /** Network round trip of the exchange: (t4 - t1) - (t3 - t2). */
      readonly rttMs: number;
      /** mesh - Worker clock now, after this exchange; null if the estimator has no sample yet. */
      readonly clockOffsetMs: number | null;
      readonly verdict: string;
      readonly pong: Pong;
    }
  | { readonly ok: false; readonly agentId: string; readonly attempts: number; readonly reason: string; readonly skipped: boolean };

/** What an operator sees of a Worker's probes (`mesh agents`, `mesh status`): JSON field names. */
export interface EdgeProbeState {
  /** When the last probe ended, good or failed; null: never probed yet. */
  readonly last_probe_at: number | null;
  /** Whether that probe was answered; null: never probed. */
  readonly ok: boolean | null;
  readonly last_ok_at: number | null;
  /** Why the last probe failed; null after a good one. */
  readonly last_error: string | null;
  /** The last good probe's round trip. */
  readonly rtt_ms: number | null;
  readonly breaker: string;
}

/** Per-Worker state the prober and the send path share. */
export class EdgeEndpoint {
  readonly clock: EdgeClock;
  readonly breaker: CircuitBreaker;
  readonly rtts: number[] = [];
  readonly outcomes: boolean[] = [];
  seq = 0;
  /** When the last good probe ended (lead time). */
  lastProbeAt: number | null = null;
  /** When the last probe, good or failed, ended; null before the first. */
  lastAttemptAt: number | null = null;
  lastError: string | null = null;
  lastPong: Pong | null = null;

  constructor(leadClock: Clock, options: EdgeProberOptions) {
    this.clock = new EdgeClock(leadClock, options.estimator);
    this.breaker = new CircuitBreaker(leadClock, options.breaker);
  }
}

class AttemptFailure extends Error {
  constructor(
    message: string,
    /** Worth another attempt now (network, 5xx, a clock refusal after a fresh bootstrap). */
    readonly retry: boolean,
  ) {
    super(message);
  }
}

const CLOCK_REFUSALS = new Set(['EXPIRED', 'FROM_THE_FUTURE']);

export class EdgeProber {
  readonly options: EdgeProberOptions;
  private readonly endpoints = new Map<string, EdgeEndpoint>();
  private readonly fetchImpl: FetchLike;
  private readonly random: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private timer: NodeJS.Timeout | null = null;
  private round: Promise<EdgeProbeOutcome[]> | null = null;
  private readonly inFlight = new Map<string, Promise<EdgeProbeOutcome>>();

  constructor(
    private readonly deps: EdgeProberDeps,
    options: Partial<EdgeProberOptions> = {},
  ) {
    this.options = Object.freeze({ ...EDGE_PROBER_DEFAULTS, ...options });
    this.fetchImpl = deps.fetch ?? ((input, init) => fetch(input, init));
    this.random = deps.random ?? Math.random;
    this.sleep = deps.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    deps.directory.onChange(({ kind, agent }) => {
      // A re-registration may be a new URL or key: its clock and breaker start afresh.
      this.endpoints.delete(agent.agent_id);
      if (kind === 'registered') this.endpoint(agent.agent_id);
    });
  }

  /** The shared per-Worker state (clock estimate, breaker); created on first use. */
  endpoint(agentId: string): EdgeEndpoint {
    let endpoint = this.endpoints.get(agentId);
    if (endpoint === undefined) {
      endpoint = new EdgeEndpoint(this.deps.clock, this.options);
      this.endpoints.set(agentId, endpoint);
    }
    return endpoint;
  }

  /** Probes every Worker now, then every interval. */
  start(): void {
    if (this.timer !== null) return;
    const tick = (): void => {
      void this.probeAll().finally(() => {
        if (this.timer !== null) this.timer = setTimeout(tick, this.options.intervalMs).unref();
      });
    };
    this.timer = setTimeout(tick, 0).unref();
  }

  /** Stops the timer and waits for the round in flight. */
  async stop(): Promise<void> {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    await this.round;
  }

  /**
   * One round: every Worker whose breaker admits traffic, plus those whose breaker is open and
   * due for its probe (the breaker's own recovery probe). Others are left alone.
   */
  probeAll(): Promise<EdgeProbeOutcome[]> {
    const round = Promise.all(this.deps.directory.list().map((agent) => this.scheduledProbe(agent)));
    this.round = round;
    return round;
  }

  /** The probe state of a registered Worker; undefined for any other agent. */
  probeState(agentId: string): EdgeProbeState | undefined {
    if (!this.deps.directory.has(agentId)) return undefined;
    const endpoint = this.endpoint(agentId);
    return {
      last_probe_at: endpoint.lastAttemptAt,
      ok: endpoint.lastAttemptAt === null ? null : endpoint.lastError === null,
      last_ok_at: endpoint.lastProbeAt,
      last_error: endpoint.lastError,
      rtt_ms: endpoint.lastError === null ? (endpoint.rtts.at(-1) ?? null) : null,
      breaker: endpoint.breaker.state(),
    };
  }

  /** Whether the scatter engine may send to this Worker (its breaker). */
  routability(agentId: string): Routability {
    if (!this.deps.directory.has(agentId)) return { routable: true };
    const endpoint = this.endpoint(agentId);
    if (endpoint.breaker.isRoutable()) return { routable: true };
    return { routable: false, reason: `edge breaker ${endpoint.breaker.state()}${endpoint.lastError === null ? '' : ` (last: ${endpoint.lastError})`}` };
  }

  /**
   * The registry's Prober for edge agents, falling back to `other` (the NATS prober) for the
   * rest: the sweeper's "probe once before declaring offline" then reaches Workers over HTTPS.
   */
  asRegistryProber(other: Prober): Prober {
    return {
      probe: async (agentId): Promise<ProbeResult> => {
        if (!this.deps.directory.has(agentId)) return other.probe(agentId);
        const outcome = await this.probe(agentId);
        return outcome.ok ? { ok: true, rttMs: outcome.rttMs } : { ok: false, reason: outcome.reason };
      },
    };
  }

  /** One probe of one Worker, whatever its breaker says (an operator's or the sweeper's probe). */
  probe(agentId: string): Promise<EdgeProbeOutcome> {
    const running = this.inFlight.get(agentId);
    if (running !== undefined) return running;
    const agent = this.deps.directory.get(agentId);
    if (agent === undefined) return Promise.resolve({ ok: false, agentId, attempts: 0, reason: 'not a registered edge agent', skipped: true });
    const probe = this.run(agent).finally(() => this.inFlight.delete(agentId));
    this.inFlight.set(agentId, probe);
    return probe;
  }

  private async scheduledProbe(agent: EdgeAgent): Promise<EdgeProbeOutcome> {
    const endpoint = this.endpoint(agent.agent_id);
    const breaker = endpoint.breaker;
    if (breaker.state() === 'open') {
      if (!breaker.isProbeDue()) return { ok: false, agentId: agent.agent_id, attempts: 0, reason: 'breaker open', skipped: true };
      const outcome = await this.probe(agent.agent_id);
      this.logTransitions(agent.agent_id, breaker.recordProbe(outcome.ok, outcome.ok ? 'probe answered' : outcome.reason));
      return outcome;
    }
    const outcome = await this.probe(agent.agent_id);
    this.logTransitions(agent.agent_id, outcome.ok ? breaker.recordSuccess() : breaker.recordFailure(outcome.reason));
    return outcome;
  }

  private async run(agent: EdgeAgent): Promise<EdgeProbeOutcome> {
    const endpoint = this.endpoint(agent.agent_id);
    const { retries, backoffBaseMs, backoffMaxMs } = this.options;
    let attempts = 0;
    let lastReason = 'not attempted';
    for (;;) {
      attempts += 1;
      try {
        const outcome = await this.attempt(agent, endpoint, attempts);
        endpoint.lastError = null;
        endpoint.lastAttemptAt = endpoint.lastProbeAt;
        this.remember(endpoint, true);
        return outcome;
      } catch (error) {
        lastReason = error instanceof Error ? error.message : String(error);
        const retry = !(error instanceof AttemptFailure) || error.retry;
        if (!retry || attempts > retries) break;
        // Full jitter: uniform in [0, min(max, base x 2^(k-1))], so retries from many leads spread out.
        const ceiling = Math.min(backoffMaxMs, backoffBaseMs * 2 ** (attempts - 1));
        await this.sleep(ceiling * this.random());
      }
    }
    endpoint.lastError = lastReason;
    endpoint.lastAttemptAt = this.deps.clock.now();
    this.remember(endpoint, false);
    this.deps.logger.warn({ event: EDGE_EVENTS.probeFailed, agent_id: agent.agent_id, attempts, reason: lastReason }, 'edge probe failed');
    return { ok: false, agentId: agent.agent_id, attempts, reason: lastReason, skipped: false };
  }

  private async attempt(agent: EdgeAgent, endpoint: EdgeEndpoint, attempt: number): Promise<EdgeProbeOutcome & { ok: true }> {
    const { clock, identity } = this.deps;
    if (!endpoint.clock.hasEstimate && !endpoint.clock.hasBootstrap) await this.bootstrap(agent, endpoint);
    const t1 = clock.now();
    const stated = endpoint.clock.offsetAt(t1);
    const ping: Ping = {
      v: PROTOCOL_VERSION,
      message_id: newMessageId(t1),
      sender_id: identity.leadId,
      created_at: t1,
      ttl_ms: Math.ceil(this.options.timeoutMs),
      kind: 'PING',
      target_id: agent.agent_id,
      t1,
      ...(stated === null ? {} : { clock_offset_ms: stated.clockOffsetMs }),
    };
    const frame = await encodeMessage(ping, identity.signer, identity.leadId);
    const answer = await this.call(() => postSigned(this.fetchImpl, edgeUrl(agent, '/v1/ping'), frame, this.options.timeoutMs));
    const t4 = clock.now();
    if (answer.kind === 'problem') {
      if (CLOCK_REFUSALS.has(answer.code)) {
        // Our stated offset put the PING outside the Worker's window: measure it again.
        endpoint.clock.dropBootstrap();
        throw new AttemptFailure(`PING refused: ${answer.code} (${answer.detail})`, !endpoint.clock.hasEstimate);
      }
      throw new AttemptFailure(`PING refused: ${answer.status} ${answer.code} (${answer.detail})`, answer.status >= 500 || answer.status === 429);
    }
    const verified = await verifyAndParse(answer.frame, { ed25519: this.deps.ed25519, resolveKey: this.deps.directory.keyResolver(), accept: ['PONG'] });
    if (!verified.ok) throw new AttemptFailure(`PONG refused: ${verified.error.code} (${verified.error.message})`, false);
    const pong = verified.value.message as Pong;
    if (pong.agent_id !== agent.agent_id || pong.t1 !== t1) throw new AttemptFailure('PONG does not answer this PING', true);

    const rttMs = Math.max(0, t4 - t1 - (pong.t3 - pong.t2));
    const added = endpoint.clock.addExchange({ t1, t2: pong.t2, t3: pong.t3, t4 });
    const verdict = added.ok ? added.value.verdict : `refused: ${added.error.message}`;
    endpoint.rtts.push(rttMs);
    if (endpoint.rtts.length > this.options.rttWindow) endpoint.rtts.shift();
    endpoint.lastProbeAt = t4;
    endpoint.lastPong = pong;
    this.recordInRegistry(agent, endpoint, pong, t4);
    const offset = endpoint.clock.hasEstimate ? endpoint.clock.offsetAt(t4)!.clockOffsetMs : null;
    this.deps.logger.debug(
      { event: EDGE_EVENTS.probed, agent_id: agent.agent_id, attempt, rtt_ms: rttMs, clock_offset_ms: offset, verdict, frozen: pong.frozen },
      'edge probed',
    );
    return { ok: true, agentId: agent.agent_id, attempts: attempt, rttMs, clockOffsetMs: offset, verdict, pong };
  }

  private async bootstrap(agent: EdgeAgent, endpoint: EdgeEndpoint): Promise<void> {
    const t1 = this.deps.clock.now();
    const { status, body } = await this.call(() => getJson(this.fetchImpl, edgeUrl(agent, '/v1/health'), this.options.timeoutMs));
    const t4 = this.deps.clock.now();
    const nowLocal = (body as { now_local?: unknown } | null)?.now_local;
    if (status !== 200 || typeof nowLocal !== 'number' || !Number.isFinite(nowLocal)) {
      throw new AttemptFailure(`GET /v1/health answered ${status} without now_local`, status >= 500);
    }
    endpoint.clock.bootstrap(t1, nowLocal, t4);
    this.deps.logger.info(
      { event: EDGE_EVENTS.bootstrapped, agent_id: agent.agent_id, clock_offset_ms: endpoint.clock.offsetAt(t4)?.clockOffsetMs, round_trip_ms: t4 - t1 },
      'edge clock bootstrapped from /v1/health',
    );
  }

  private async call<T>(request: () => Promise<T>): Promise<T> {
    try {
      return await request();
    } catch (error) {
      if (error instanceof EdgeUnreachable) throw new AttemptFailure(error.timedOut ? `timed out after ${this.options.timeoutMs} ms` : `unreachable: ${error.message}`, true);
      throw error;
    }
  }

  private remember(endpoint: EdgeEndpoint, ok: boolean): void {
    endpoint.outcomes.push(ok);
    if (endpoint.outcomes.length > this.options.reliabilityWindow) endpoint.outcomes.shift();
  }

  private recordInRegistry(agent: EdgeAgent, endpoint: EdgeEndpoint, pong: Pong, meshNow: number): void {
    const rtts = [...endpoint.rtts].sort((a, b) => a - b);
    const median = rtts[Math.floor(rtts.length / 2)] ?? 0;
    const mean = rtts.reduce((a, b) => a + b, 0) / Math.max(1, rtts.length);
    const sd = Math.sqrt(rtts.reduce((a, r) => a + (r - mean) ** 2, 0) / Math.max(1, rtts.length));
    // This probe has not been counted yet (remember() runs after the attempt returns).
    const successes = endpoint.outcomes.filter(Boolean).length + 1;
    const heartbeat = syntheticHeartbeat(agent, {
      meshNow,
      seq: endpoint.seq++,
      pong,
      latencyMs: median,
      driftCoefficient: mean > 0 ? Math.min(100, sd / mean) : 0,
      reliability: successes / (endpoint.outcomes.length + 1),
      clock: endpoint.clock.report(meshNow),
    });
    this.deps.sink.recordHeartbeat(heartbeat, { receivedAt: meshNow, enrollment: registrationEnrollment(agent) });
  }

  private logTransitions(agentId: string, transitions: readonly BreakerTransition[]): void {
    for (const t of transitions) {
      this.deps.logger.warn({ event: EDGE_EVENTS.breaker, breaker_event: t.name, agent_id: agentId, from: t.from, to: t.to, reason: t.reason, next_check_at: t.nextCheckAt }, `edge breaker ${t.kind}`);
    }
  }
}
