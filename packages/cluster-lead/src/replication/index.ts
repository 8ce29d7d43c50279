/**
 * Replication of the lead's shared state into JetStream KV (config store.backend "jetstream";
 * docs/adr/0010-jetstream-replication.md). SQLite stays each lead's working store; the active
 * lead mirrors committed changes into KV (KvMirror), a standby follows KV into its own SQLite
 * (KvFollower + StoreApplier) and, when it takes over, loads from SQLite as any lead does.
 */
import { TrustStoreSnapshot } from '@mesh30k/shared';
import type { KV, NatsConnection } from 'nats';
import type { Logger } from '../lib/logger.js';
import type { PersistedAgent } from '../registry/index.js';
import type { LeadStore } from '../store/index.js';
import { TRUST_STATE_KEY } from '../trust/index.js';
import { KINDS, kvKey, openBuckets, type Kind } from './buckets.js';
import { KvFollower, type FollowerStats } from './follower.js';
import { KvMirror, type MirrorStats } from './kv-mirror.js';
import { TrustDiff, mirrorStateKey, seedChanges } from './state-sources.js';
import { StoreApplier } from './store-applier.js';

export { KINDS, bucketName, kvKey, type Kind } from './buckets.js';
export { decodeEntry, encodeEntry } from './entries.js';
export type { FollowerStats } from './follower.js';
export type { MirrorStats } from './kv-mirror.js';

export interface ReplicationDeps {
  readonly store: LeadStore;
  readonly logger: Logger;
  /** Lead clock. */
  readonly now: () => number;
  /** The lease epoch while held; with `ha`, null stops the mirror writing. */
  readonly epoch: () => number | null;
  readonly ha: boolean;
  /** lead_state key of the operator's mode override. */
  readonly modeOverrideKey: string;
}

export interface ReplicationOptions {
  readonly prefix: string;
  readonly clusterId: string;
  readonly replicas: number;
  /** Longest a standby waits to apply everything KV holds before it takes over anyway (default 15 s). */
  readonly catchUpTimeoutMs?: number;
}

export interface ReplicationStats {
  readonly mirror: MirrorStats;
  readonly follower: FollowerStats | null;
}

export interface Replication {
  /** The snapshot writer committed these agents' real changes. */
  agentsWritten(agents: readonly PersistedAgent[]): void;
  /** Starts following KV into the local store (a standby, or a lead that starts empty). */
  follow(nc: NatsConnection): Promise<void>;
  /**
   * Applies everything KV holds now, stops following and returns whether it caught up in time;
   * the caller then loads its in-memory state from the store.
   */
  finishFollowing(nc: NatsConnection): Promise<boolean>;
  /** From now on this lead's changes are written to KV; a bucket found empty is filled from the store. */
  startMirroring(nc: NatsConnection): Promise<void>;
  /** Resolves when every queued change is in KV. */
  settled(): Promise<void>;
  stats(): ReplicationStats;
  /** The highest lease epoch stamped on the state followed so far (0 when none): a floor for the next holder's. */
  highestEpoch(): number;
  stop(): void;
}

export function createReplication(deps: ReplicationDeps, options: ReplicationOptions): Replication {
  const { store, logger } = deps;
  const log = logger.child({ domain: 'replication' });
  const mirror = new KvMirror({ logger: log, now: deps.now, epoch: deps.epoch, ha: deps.ha });
  const trustDiff = new TrustDiff(mirror);
  let buckets: Promise<Record<Kind, KV>> | undefined;
  let follower: KvFollower | undefined;
  let following: Promise<void> | undefined;
  // True while followed changes are written to the store: they came from KV, they do not go back.
  let applying = false;
  const applier = new StoreApplier(store, deps.now, deps.modeOverrideKey);
  const open = (nc: NatsConnection): Promise<Record<Kind, KV>> => {
    buckets ??= openBuckets(nc, options).catch((error: unknown) => {
      buckets = undefined;
      throw error;
    });
    return buckets;
  };

  // The store's writers tell of committed changes; the mirror drops them until it is active.
  store.state.observe((key, value) => {
    if (mirror.active && !applying) mirrorStateKey(mirror, trustDiff, deps.modeOverrideKey, key, value);
  });
  store.quarantine.observe((conflictId) => {
    if (!mirror.active || applying) return;
    const item = store.quarantine.get(conflictId);
    if (item !== undefined) mirror.put('quarantine', kvKey(conflictId), item);
  });
  store.enrollments.observe((items) => {
    if (!mirror.active || applying) return;
    for (const item of items) mirror.put('enrollments', item.publicKey, item);
  });

  return {
    agentsWritten(agents) {
      for (const agent of agents) mirror.put('registry', agent.agent_id, agent);
    },
    follow(nc) {
      if (mirror.active) return Promise.resolve();
      following ??= (async () => {
        const opened = await open(nc);
        const apply = {
          apply: (kind: Kind, changes: Parameters<StoreApplier['apply']>[1]) => {
            applying = true;
            try {
              applier.apply(kind, changes);
            } finally {
              applying = false;
            }
          },
        };
        follower = new KvFollower(opened, apply, log);
        await follower.start();
        log.info({ buckets: KINDS.length }, 'following the shared state');
      })().catch((error: unknown) => {
        following = undefined;
        throw error;
      });
      return following;
    },
    async finishFollowing(nc) {
      await this.follow(nc);
      const caughtUp = await follower!.caughtUp(options.catchUpTimeoutMs ?? 15_000);
      follower!.stop();
      const stats = follower!.stats();
      log.info({ caught_up: caughtUp, applied: stats.applied, rejected: stats.rejected, stale: stats.stale }, caughtUp ? 'shared state followed to the end' : 'shared state not fully followed in time; taking over with what was applied');
      return caughtUp;
    },
    async startMirroring(nc) {
      const opened = await open(nc);
      trustDiff.baseline(store.state.get(TRUST_STATE_KEY, TrustStoreSnapshot));
      mirror.activate(opened);
      // Which buckets are empty, asked of all at once (this is on a takeover's path).
      const values = await Promise.all(KINDS.map(async (kind) => (await opened[kind].status()).values));
      for (const [index, kind] of KINDS.entries()) {
        if (values[index]! > 0) continue;
        const seed = seedChanges(store, kind, deps.modeOverrideKey);
        for (const [key, data] of seed) mirror.put(kind, key, data);
        if (seed.length > 0) log.info({ kind, entries: seed.length }, 'empty bucket filled from the local store');
      }
      log.info('mirroring the shared state');
    },
    settled: () => mirror.idle(),
    stats: () => ({ mirror: mirror.stats(), follower: follower?.stats() ?? null }),
    highestEpoch: () => follower?.highestEpoch() ?? 0,
    stop() {
      follower?.stop();
      mirror.stop();
    },
  };
}
