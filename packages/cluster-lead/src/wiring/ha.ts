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
import { LeaseKeeper, openKvLeaseStore, type LeaseLoss } from '../ha/index.js';
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
  /** Stops renewing and releases the lease, so a standby takes over without waiting for its TTL. */
  stop(): Promise<void>;
}

export interface HaDeps {
  readonly config: LeadConfig;
  readonly logger: Logger;
  /** What losing the lease does; default: exit 75 (TEMPFAIL) at once, so systemd restarts the lead as a standby. */
  readonly onLost?: (reason: LeaseLoss) => void;
}

export function buildHa({ config, logger, onLost }: HaDeps): LeadHa {
  if (!config.ha.enabled) return singleLead();
  const log = logger.child({ domain: 'ha' });
  const lost = onLost ?? exitOnLoss(log);
  let keeper: LeaseKeeper | undefined;
  let opening = false;
  let acting = false;
  // The start-up for the latest connection (a new connection replaces it) and the timers waiting.
  let connected: (() => void) | undefined;
  const onActive: Array<() => void> = [];
  const stoppers: Array<() => void> = [];

  const becomeActive = (): void => {
    if (acting) return;
    acting = true;
    connected?.();
    for (const run of onActive.splice(0)) run();
  };

  return {
    gate(start) {
      return (nc) => {
        if (acting) {
          start(nc);
          return;
        }
        connected = () => start(nc);
        if (opening) return;
        opening = true;
        void openKvLeaseStore(nc, { bucket: config.ha.bucket, key: config.ha.lease_key ?? config.cluster_id, ttlMs: config.ha.ttl_ms, replicas: config.ha.replicas })
          .then((store) => {
            keeper = new LeaseKeeper({ store, now: () => performance.now(), logger: log }, { holder: `${config.lead_id}@${process.pid}` });
            keeper.onChange((event) => {
              if (event.type === 'acquired') becomeActive();
              else if (event.reason !== 'released') lost(event.reason);
            });
            log.info({ bucket: config.ha.bucket, ttl_ms: store.ttlMs }, 'standing by for the lease');
            keeper.start();
          })
          .catch((error: unknown) => {
            // Tried again on the next connection.
            opening = false;
            log.error({ err: error }, 'could not open the lease bucket; this lead stays a standby');
          });
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
    stop: async () => {
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
