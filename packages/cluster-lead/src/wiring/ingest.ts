/** Heartbeat intake: signature checks (on worker threads when configured), replay and sequence checks, replies. */
import type { Clock } from '@mesh30k/shared';
import type { LeadConfig } from '../config/index.js';
import { ControlState, HeartbeatIngest, HeartbeatReplay, IngestCounters, InlineVerifier, VerifyPool, type FrameVerifier } from '../ingest/index.js';
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
  readonly identity: LeadIdentity;
  readonly limits: LimitCounters;
  /** How far the clock moved since the previous run (restored clock data is re-anchored by it). */
  readonly clockStepMs: number;
  readonly cleanups: StopStep[];
  /** HA leads: the lease epoch for replies, null once the lease ran out (wiring/ha.ts). */
  readonly leaseEpoch?: () => number | null;
}

export function buildIngest({ config, clock, events, logger, store, registry, trust, resolveKey, identity, limits, clockStepMs, cleanups, leaseEpoch }: IngestDeps) {
  const counters = new IngestCounters();
  const rules = { resolveKey, accept: ['HEARTBEAT'] as const };
  const verifier: FrameVerifier =
    config.ingest.verify_threads > 0
      ? new VerifyPool({ rules, logger: logger.child({ domain: 'verify' }) }, { threads: config.ingest.verify_threads, batchMax: config.ingest.batch_max, queueMax: config.ingest.queue_max, flushMs: config.ingest.flush_ms })
      : new InlineVerifier(rules);
  cleanups.push(['verify threads', () => verifier.close()]);
  const control = new ControlState(store.state);
  const ingest = new HeartbeatIngest(
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
    },
    {
      heartbeatIntervalMs: config.heartbeat.interval_ms,
      replyTtlMs: config.heartbeat.interval_ms * REPLY_TTL_FACTOR,
      shed: { backlog: config.ingest.shed_backlog, retryAfterMs: config.ingest.shed_retry_after_ms },
      refusals: { perSignerBurst: config.ingest.refusals.per_signer_burst, perSignerPerSecond: config.ingest.refusals.per_signer_per_s, totalPerSecond: config.ingest.refusals.total_per_s },
      clockStepMs,
      queueGroup: !config.ha.enabled,
    },
  );
  return { counters, verifier, control, ingest };
}
