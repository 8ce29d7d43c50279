/**
 * High availability for one lead process (config `ha`, src/ha). Without it the lead acts as soon
 * as NATS connects, as it always did. With it the lead first takes the cluster's lease: until
 * then it is a standby (API up, intake closed, no timers that reach agents); once it holds the
 * lease it opens everything; when it loses the lease it stops at once by leaving the process
 * (fail-stop), so the supervisor restarts it as a standby with nothing stale in memory.
 */
import type { NatsConnection } from 'nats';
import type { LeadConfig } from '../config/index.js';
import { ThreadedLease, type LeaseLoss } from '../ha/index.js';
import type { NatsLinkOptions } from '../nats/nats-link.js';
import { EXIT } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';

export type LeadRole = 'single' | 'standby' | 'active';

export interface LeadHa {
  /** Wraps the lead's on-connect start-up: run at once without HA, else once the lease is taken. */
  gate(start: (nc: NatsConnection) => void): (nc: NatsConnection) => void;
  /** Runs `start` once the lead acts (at once without HA); its result stops what it started. */
  whenActive(start: () => () => void): () => void;
  role(): LeadRole;
  /** The lease epoch while this lead holds it; null otherwise (and always without HA). */
  epoch(): number | null;
  /** Failed attempts at opening the lease bucket since start (each is retried on a timer). */
  leaseOpenFailures(): number;
  /** Ride-throughs of an unwritable lease stream since start: started, and witness rounds that did not extend the lease. */
  rideThroughs(): { started: number; blocked: number };
  /** Stops renewing and releases the lease, so a standby takes over without waiting for its TTL. */
  stop(): Promise<void>;
}

/** Logged on each failed attempt at opening the lease bucket (retried with backoff). */
export const HA_EVENTS = Object.freeze({ leaseOpenFailed: 'ha.lease-open-failed', leaseOpened: 'ha.lease-opened', noRideThrough: 'ha.no-ride-through' } as const);

export interface HaDeps {
  readonly config: LeadConfig;
  readonly logger: Logger;
  /** The lead's NATS client options: the lease thread opens its own connection with them. */
  readonly nats: NatsLinkOptions;
  /** Whether the lead's own NATS connection is up: the lease is renewed or taken only while it is. */
  readonly connected: () => boolean;
  /** What losing the lease does; default: exit 75 (TEMPFAIL) at once, so systemd restarts the lead as a standby. */
  readonly onLost?: (reason: LeaseLoss) => void;
  /** The highest lease epoch stamped on the state this lead follows (0 when none): the next epoch it takes goes above it. */
  readonly epochFloor?: () => number;
}

export function buildHa({ config, logger, nats, connected: natsUp, onLost, epochFloor }: HaDeps): LeadHa {
  if (!config.ha.enabled) return singleLead();
  const log = logger.child({ domain: 'ha' });
  const lost = onLost ?? exitOnLoss(log);
  let acting = false;
  let openFailures = 0;
  const rides = { started: 0, blocked: 0 };
  // The start-up for the latest connection (a new connection replaces it).
  let connected: (() => void) | undefined;
  const onActive: Array<() => void> = [];
  const stoppers: Array<() => void> = [];

  const becomeActive = (): void => {
    if (acting) return;
    acting = true;
    connected?.();
    for (const run of onActive.splice(0)) run();
  };

  // The lease lives on a thread of its own (src/ha/lease-worker.ts), so that no stall of this
  // event loop can make a renewal late; it renews only while this thread beats (ha.stall_ms).
  const lease = new ThreadedLease(
    { logger: log, alive: natsUp, ...(epochFloor === undefined ? {} : { epochFloor }) },
    {
      nats,
      lease: {
        bucket: config.ha.bucket,
        key: config.ha.lease_key ?? config.cluster_id,
        ttlMs: config.ha.ttl_ms,
        rideThroughMs: config.ha.ride_through_ms,
        replicas: config.ha.replicas,
        holder: `${config.lead_id}@${process.pid}`,
      },
      stallMs: config.ha.stall_ms,
      log: { level: config.log.level, leadId: config.lead_id, clusterId: config.cluster_id },
    },
    {
      opened: (ttlMs, maxAgeMs, failedAttempts) => {
        log.info({ event: HA_EVENTS.leaseOpened, bucket: config.ha.bucket, ttl_ms: ttlMs, max_age_ms: maxAgeMs, stall_ms: config.ha.stall_ms, failed_attempts: failedAttempts }, 'standing by for the lease');
        // A bucket made before ha.ride_through_ms keeps its max age: no ride-through until it is raised (src/ha/README.md).
        if (config.ha.ride_through_ms > 0 && maxAgeMs <= ttlMs) {
          log.warn({ event: HA_EVENTS.noRideThrough, bucket: config.ha.bucket, ttl_ms: ttlMs, max_age_ms: maxAgeMs }, 'the lease bucket\'s max age leaves no ride-through allowance: a NATS node loss that stalls the lease stream fails the lead over');
        }
      },
      openFailed: (error, attempt, retryInMs) => {
        openFailures += 1;
        log.warn({ event: HA_EVENTS.leaseOpenFailed, err: { message: error }, bucket: config.ha.bucket, attempt, retry_in_ms: retryInMs }, 'could not open the lease bucket; standing by and trying again');
      },
      change: (event) => {
        if (event.type === 'acquired') becomeActive();
        else if (event.reason !== 'released') lost(event.reason);
      },
      ride: (step) => {
        if (step === 'extended') rides.started += 1;
        else if (step === 'blocked') rides.blocked += 1;
      },
    },
  );

  return {
    gate(start) {
      return (nc) => {
        if (acting) {
          start(nc);
          return;
        }
        connected = () => start(nc);
        lease.start();
      };
    },
    whenActive(start) {
      if (acting) return start();
      onActive.push(() => stoppers.push(start()));
      return () => {
        for (const stop of stoppers.splice(0)) stop();
      };
    },
    role: () => (acting ? 'active' : 'standby'),
    epoch: () => lease.epoch(),
    leaseOpenFailures: () => openFailures,
    rideThroughs: () => ({ ...rides }),
    stop: () => lease.stop({ release: true }),
  };
}

function singleLead(): LeadHa {
  return {
    gate: (start) => start,
    whenActive: (start) => start(),
    role: () => 'single',
    epoch: () => null,
    leaseOpenFailures: () => 0,
    rideThroughs: () => ({ started: 0, blocked: 0 }),
    stop: () => Promise.resolve(),
  };
}

function exitOnLoss(log: Logger): (reason: LeaseLoss) => void {
  return (reason) => {
    // No stop steps: they would flush, publish and drain, which is acting without the lease.
    log.fatal({ reason }, `lost the lease (${reason}); exiting ${EXIT.TEMPFAIL} to come back as a standby`);
    process.exit(EXIT.TEMPFAIL);
  };
}
