/**
 * High availability for one lead process (config `ha`, src/ha). Without it the lead acts as soon
 * as NATS connects, as it always did. With it the lead first takes the cluster's lease: until
 * then it is a standby (API up, intake closed, no timers that reach agents); once it holds the
 * lease it opens everything; when it loses the lease it stops at once by leaving the process
 * (fail-stop), so the supervisor restarts it as a standby with nothing stale in memory.
 */
import { performance } from 'node:perf_hooks';
import type { NatsConnection } from 'nats';
import type { LeadConfig } from '../config/index.js';
import { LeaseKeeper, OpenBackoff, openKvLeaseStore, type LeaseLoss } from '../ha/index.js';
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
  /** Stops renewing and releases the lease, so a standby takes over without waiting for its TTL. */
  stop(): Promise<void>;
}

/** Logged on each failed attempt at opening the lease bucket (retried with backoff). */
export const HA_EVENTS = Object.freeze({ leaseOpenFailed: 'ha.lease-open-failed', leaseOpened: 'ha.lease-opened' } as const);

export interface HaDeps {
  readonly config: LeadConfig;
  readonly logger: Logger;
  /** What losing the lease does; default: exit 75 (TEMPFAIL) at once, so systemd restarts the lead as a standby. */
  readonly onLost?: (reason: LeaseLoss) => void;
  /** The highest lease epoch stamped on the state this lead follows (0 when none): the next epoch it takes goes above it. */
  readonly epochFloor?: () => number;
}

export function buildHa({ config, logger, onLost, epochFloor }: HaDeps): LeadHa {
  if (!config.ha.enabled) return singleLead();
  const log = logger.child({ domain: 'ha' });
  const lost = onLost ?? exitOnLoss(log);
  let keeper: LeaseKeeper | undefined;
  let opening = false;
  let acting = false;
  let stopped = false;
  // The start-up for the latest connection (a new connection replaces it) and the timers waiting.
  let connected: (() => void) | undefined;
  let latest: NatsConnection | undefined;
  let retry: NodeJS.Timeout | undefined;
  let openFailures = 0;
  // A cluster still forming answers nothing for a while: retried up to once per TTL, not once per connection.
  const backoff = new OpenBackoff({ capMs: Math.max(1_000, config.ha.ttl_ms), random: Math.random });
  const onActive: Array<() => void> = [];
  const stoppers: Array<() => void> = [];

  const becomeActive = (): void => {
    if (acting) return;
    acting = true;
    connected?.();
    for (const run of onActive.splice(0)) run();
  };

  const open = (): void => {
    retry = undefined;
    const nc = latest;
    if (nc === undefined || keeper !== undefined || opening || stopped) return;
    opening = true;
    openKvLeaseStore(nc, { bucket: config.ha.bucket, key: config.ha.lease_key ?? config.cluster_id, ttlMs: config.ha.ttl_ms, replicas: config.ha.replicas })
      .then((store) => {
        opening = false;
        if (stopped) return;
        log.info({ event: HA_EVENTS.leaseOpened, bucket: config.ha.bucket, ttl_ms: store.ttlMs, failed_attempts: backoff.attempts }, 'standing by for the lease');
        backoff.reset();
        keeper = new LeaseKeeper({ store, now: () => performance.now(), logger: log, ...(epochFloor === undefined ? {} : { epochFloor }) }, { holder: `${config.lead_id}@${process.pid}` });
        keeper.onChange((event) => {
          if (event.type === 'acquired') becomeActive();
          else if (event.reason !== 'released') lost(event.reason);
        });
        keeper.start();
      })
      .catch((error: unknown) => {
        opening = false;
        openFailures += 1;
        if (stopped) return;
        const waitMs = backoff.failed();
        log.warn({ event: HA_EVENTS.leaseOpenFailed, err: error, bucket: config.ha.bucket, attempt: backoff.attempts, retry_in_ms: waitMs }, 'could not open the lease bucket; standing by and trying again');
        retry = setTimeout(open, waitMs);
      });
  };

  return {
    gate(start) {
      return (nc) => {
        if (acting) {
          start(nc);
          return;
        }
        connected = () => start(nc);
        latest = nc;
        // A new connection is worth a try at once rather than at the end of a long backoff.
        if (keeper === undefined && !opening) {
          clearTimeout(retry);
          open();
        }
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
    epoch: () => keeper?.epoch() ?? null,
    leaseOpenFailures: () => openFailures,
    stop: async () => {
      stopped = true;
      clearTimeout(retry);
      await keeper?.stop({ release: true });
    },
  };
}

function singleLead(): LeadHa {
  return {
    gate: (start) => start,
    whenActive: (start) => start(),
    role: () => 'single',
    epoch: () => null,
    leaseOpenFailures: () => 0,
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
