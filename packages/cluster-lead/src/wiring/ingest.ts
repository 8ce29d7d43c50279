/** Heartbeat intake: signature checks (on worker threads when configured), replay and sequence checks, replies. */
import type { Clock } from '@mesh30k/shared';
import { nodeHmacSha256, nodeSessionCrypto } from '@mesh30k/shared/node';
import type { NatsConnection } from 'nats';
import type { LeadConfig } from '../config/index.js';
import { ControlState, HeartbeatIngest, HeartbeatReplay, IngestCounters, InlineVerifier, SessionDesk, SessionTable, VerifyPool, type FrameVerifier, type SessionDeps } from '../ingest/index.js';
import type { EventBus } from '../lib/events.js';
import type { LimitCounters } from '../lib/limit-counters.js';
import type { Logger } from '../lib/logger.js';
import type { Registry } from '../registry/index.js';
import type { LeadStore } from '../store/index.js';
import type { LeadIdentity, TrustLookup } from '../trust/index.js';
import type { LeadTrust } from './trust.js';
import type { StopStep } from './stop-steps.js';

/** Replies to heartbeats are good for one interval at most. */
const REPLY_TTL_FACTOR = 1;
/**
 * Sessions a lead is taken to open per second when it spreads a fleet's re-handshakes (bench:restart
 * measured 530-1,050 a second here), and the longest spread, in intervals (an agent takes at most four).
 */
const REHANDSHAKES_PER_S = 1_000;
const REHANDSHAKE_MAX_INTERVALS = 4;
/** Session lifetimes are spread by this share either way (docs/adr/0004). */
const SESSION_LIFETIME_JITTER = 0.1;

/** Heartbeat intake as the lead starts and stops it: the session desk (in session mode) and the heartbeat subject. */
export interface HeartbeatIntake {
  subscribe(nc: NatsConnection): Promise<void>;
  /** Heartbeats read off the socket and not yet handled. */
  readonly queued: number;
  stop(): Promise<void>;
}

export interface IngestDeps {
  readonly config: LeadConfig;
  readonly clock: Clock;
  readonly events: EventBus;
  readonly logger: Logger;
  readonly store: LeadStore;
  readonly registry: Registry;
  /** The trust store's cache: each heartbeat's sender enrollment. */
  readonly trust: TrustLookup;
  readonly resolveKey: LeadTrust['resolveKey'];
  /** The trust store's version: session mode drops the sessions of agents no longer enrolled when it moves. */
  readonly trustVersion: () => number;
  readonly identity: LeadIdentity;
  readonly limits: LimitCounters;
  /** How far the clock moved since the previous run (restored clock data is re-anchored by it). */
  readonly clockStepMs: number;
  readonly cleanups: StopStep[];
  /** HA leads: the lease epoch for replies, null once the lease ran out (wiring/ha.ts). */
  readonly leaseEpoch?: () => number | null;
}

export function buildIngest({ config, clock, events, logger, store, registry, trust, resolveKey, trustVersion, identity, limits, clockStepMs, cleanups, leaseEpoch }: IngestDeps) {
  const counters = new IngestCounters();
  const rules = { resolveKey, accept: ['HEARTBEAT'] as const };
  const verifier: FrameVerifier =
    config.ingest.verify_threads > 0
      ? new VerifyPool({ rules, logger: logger.child({ domain: 'verify' }) }, { threads: config.ingest.verify_threads, batchMax: config.ingest.batch_max, queueMax: config.ingest.queue_max, flushMs: config.ingest.flush_ms, maxWaitMs: config.ingest.verify_max_wait_ms })
      : new InlineVerifier(rules);
  cleanups.push(['verify threads', () => verifier.close()]);
  const control = new ControlState(store.state);
  const replyTtlMs = config.heartbeat.interval_ms * REPLY_TTL_FACTOR;
  const shed = { backlog: config.ingest.shed_backlog, retryAfterMs: config.ingest.shed_retry_after_ms };
  // Session mode: an in-memory session table, the handshake desk on the session subject, and
  // synchronous HMAC from node:crypto (a tag right after t3, at a few us).
  const table = config.heartbeat.auth === 'session' ? new SessionTable() : undefined;
  const sessions: SessionDeps | undefined = table === undefined ? undefined : { table, hmac: nodeHmacSha256, trustVersion };
  const desk =
    table === undefined
      ? undefined
      : new SessionDesk(
          { clock, logger: logger.child({ domain: 'session' }), identity, verifier, resolveKey, table, counters, limits, sessionCrypto: nodeSessionCrypto, heard: (agentId, at) => registry.heardHandshake(agentId, at) },
          {
            lifetimeMs: config.heartbeat.session_lifetime_ms,
            jitter: SESSION_LIFETIME_JITTER,
            replyTtlMs,
            replay: { ttlMs: config.ingest.replay_ttl_ms, maxEntries: config.ingest.replay_max_entries },
            // No shedding at the heartbeats' verify backlog: HELLOs are verified ahead of it
            // (verify-pool priority), and a HELLO shed there kept its agent on signed beats,
            // which made the backlog (issue 15, 20,000 agents at start-up). The desk's own
            // limit of handshakes in progress bounds them.
            shed: { retryAfterMs: shed.retryAfterMs, handshakes: config.heartbeat.handshake_shed_backlog, handshakeRetryAfterMs: config.heartbeat.handshake_retry_after_ms },
            queueGroup: !config.ha.enabled,
          },
        );
  const heartbeats = new HeartbeatIngest(
    {
      clock,
      events,
      logger: logger.child({ domain: 'ingest' }),
      registry,
      trust,
      verifier,
      replay: new HeartbeatReplay({ clock, sequences: registry }, { ttlMs: config.ingest.replay_ttl_ms, skewMs: config.ingest.replay_skew_ms, maxEntries: config.ingest.replay_max_entries }),
      control,
      identity,
      counters,
      limits,
      ...(leaseEpoch === undefined ? {} : { leaseEpoch }),
      ...(sessions === undefined ? {} : { sessions }),
    },
    {
      heartbeatIntervalMs: config.heartbeat.interval_ms,
      replyTtlMs,
      shed,
      refusals: { perSignerBurst: config.ingest.refusals.per_signer_burst, perSignerPerSecond: config.ingest.refusals.per_signer_per_s, totalPerSecond: config.ingest.refusals.total_per_s },
      clockStepMs,
      queueGroup: !config.ha.enabled,
      intake: { maxWaitMs: config.ingest.verify_max_wait_ms },
      // Agents told their session is unknown (a restart, a takeover) of a fleet with many sessions
      // missing spread their handshakes over up to four intervals, by how many lack one, and send
      // no signed beat meanwhile (heartbeat-ingest.ts).
      ...(table === undefined ? {} : { rehandshake: { minMs: config.heartbeat.interval_ms, maxMs: REHANDSHAKE_MAX_INTERVALS * config.heartbeat.interval_ms, perSecond: REHANDSHAKES_PER_S } }),
    },
  );
  const ingest: HeartbeatIntake = {
    // The desk first, so an agent told SESSION_UNKNOWN finds it open.
    async subscribe(nc) {
      await desk?.subscribe(nc);
      await heartbeats.subscribe(nc);
    },
    get queued() {
      return heartbeats.queued;
    },
    async stop() {
      await heartbeats.stop();
      await desk?.stop();
    },
  };
  return { counters, verifier, control, ingest, sessions: table };
}
