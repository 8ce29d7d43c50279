/**
 * Replication of the shared state (config store.backend, src/replication). With `sqlite` nothing
 * changes. With `jetstream`, a lead that holds no agents yet, or any lead with `ha`, starts with
 * its registry unloaded and follows KV into its SQLite store; once it may act (at once, or when it
 * takes the lease) it applies what KV holds, loads its in-memory state from the store (`takeOver`)
 * and only then opens its intake, after which it mirrors its own changes into KV.
 */
import { TrustStoreSnapshot, type TrustStore } from '@mesh30k/shared';
import type { NatsConnection } from 'nats';
import { reloadBreakers, type LeadBreakers } from '../breakers/index.js';
import type { LeadConfig } from '../config/index.js';
import type { FreezeControl } from '../control/index.js';
import type { ControlState } from '../ingest/index.js';
import type { Logger } from '../lib/logger.js';
import type { PersistedAgent } from '../registry/index.js';
import { createReplication, type ReplicationStats } from '../replication/index.js';
import type { LeadStore } from '../store/index.js';
import { TRUST_STATE_KEY } from '../trust/index.js';

/** How often a lead whose buckets could not be opened tries again to start mirroring. */
const MIRROR_RETRY_MS = 2_000;

export interface LeadReplication {
  readonly backend: LeadConfig['store']['backend'];
  /** True when the registry is loaded only at takeover (the lead follows KV first). */
  readonly deferRestore: boolean;
  /** For the snapshot writer: agents whose real change it committed. */
  readonly onDirtyWritten: ((agents: readonly PersistedAgent[]) => void) | undefined;
  /** For every NATS connection: a standby starts following. */
  connected(nc: NatsConnection): void;
  /** Wraps the lead's start-up: it runs after the shared state is followed to the end and `takeOver` has loaded it. */
  gate(start: (nc: NatsConnection) => void, takeOver: () => void): (nc: NatsConnection) => void;
  /** Resolves when every change this lead made is in KV. */
  settled(): Promise<void>;
  stats(): ReplicationStats | null;
  /** The highest lease epoch stamped on the followed state (0 when none, and with SQLite). */
  highestEpoch(): number;
  stop(): void;
}

export interface ReplicationWiringDeps {
  readonly config: LeadConfig;
  readonly store: LeadStore;
  readonly logger: Logger;
  readonly now: () => number;
  readonly epoch: () => number | null;
  readonly modeOverrideKey: string;
}

export function buildReplication({ config, store, logger, now, epoch, modeOverrideKey }: ReplicationWiringDeps): LeadReplication {
  if (config.store.backend === 'sqlite') return localOnly();
  const log = logger.child({ domain: 'replication' });
  const replication = createReplication(
    { store, logger, now, epoch, ha: config.ha.enabled, modeOverrideKey },
    { prefix: config.store.jetstream.prefix, clusterId: config.cluster_id, replicas: config.store.jetstream.replicas },
  );
  const follows = config.ha.enabled || store.agents.count() === 0;
  let ready = false;
  let preparing = false;
  let latest: NatsConnection | undefined;
  let retry: NodeJS.Timeout | undefined;

  /** Starts mirroring; a failure (no JetStream yet) is retried in the background, the lead works on meanwhile. */
  const mirror = async (nc: NatsConnection): Promise<void> => {
    try {
      await replication.startMirroring(nc);
    } catch (error) {
      log.error({ err: error }, `could not start mirroring the shared state; trying again in ${MIRROR_RETRY_MS} ms`);
      retry = setTimeout(() => void mirror(latest ?? nc), MIRROR_RETRY_MS);
      retry.unref();
    }
  };

  return {
    backend: 'jetstream',
    deferRestore: follows,
    onDirtyWritten: (agents) => replication.agentsWritten(agents),
    connected(nc) {
      latest = nc;
      if (follows && !ready && !preparing) replication.follow(nc).catch((error: unknown) => log.error({ err: error }, 'could not follow the shared state; tried again at takeover'));
    },
    gate(start, takeOver) {
      return (nc) => {
        latest = nc;
        if (ready) {
          start(nc);
          return;
        }
        if (preparing) return;
        preparing = true;
        void (async () => {
          if (follows) {
            try {
              await replication.finishFollowing(nc);
            } catch (error) {
              log.error({ err: error }, 'could not follow the shared state to the end; taking over with the local store as it is');
            }
            takeOver();
          }
          await mirror(latest ?? nc);
          ready = true;
          start(latest ?? nc);
        })();
      };
    },
    settled: () => replication.settled(),
    stats: () => replication.stats(),
    highestEpoch: () => replication.highestEpoch(),
    stop() {
      if (retry !== undefined) clearTimeout(retry);
      replication.stop();
    },
  };
}

function localOnly(): LeadReplication {
  return {
    backend: 'sqlite',
    deferRestore: false,
    onDirtyWritten: undefined,
    connected: () => undefined,
    gate: (start) => start,
    settled: () => Promise.resolve(),
    stats: () => null,
    highestEpoch: () => 0,
    stop: () => undefined,
  };
}

export interface FollowedStateDeps {
  /** Loads the registry from the store (wiring/registry.ts); answers how many agents. */
  takeOver: () => number;
  store: LeadStore;
  trust: TrustStore;
  control: ControlState;
  breakers: LeadBreakers;
  freeze: FreezeControl;
  logger: Logger;
}

/** A lead that followed the shared state loads it from its own store, before it acts on it. */
export function followedStateLoader({ takeOver, store, trust, control, breakers, freeze, logger }: FollowedStateDeps): () => void {
  return () => {
    const agents = takeOver();
    const snapshot = store.state.get(TRUST_STATE_KEY, TrustStoreSnapshot);
    if (snapshot !== undefined) {
      const restoredTrust = trust.restore(snapshot);
      if (!restoredTrust.ok) logger.warn({ err: restoredTrust.error }, "followed trust state unreadable; keeping this lead's own");
    }
    control.reload();
    reloadBreakers(store.state, breakers);
    logger.info({ agents, frozen: freeze.isLeadFrozen() }, 'loaded the followed shared state');
  };
}
