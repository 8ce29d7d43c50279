import { ErrorCode, NatsError, type KV, type KvEntry, type NatsConnection } from 'nats';
import { z } from 'zod';
import { decodeLeaseRecord, encodeLeaseRecord, type LeaseRecord } from './lease-record.js';
import type { LeaseObservation, LeaseStore } from './lease-store.js';

/** JetStream's "wrong last sequence": a compare-and-set lost to another writer. */
const WRONG_LAST_SEQUENCE = 10071;
// KV keys are NATS subject tokens.
const KEY_PATTERN = /^[-/_=.a-zA-Z0-9]+$/;

export interface KvLeaseOptions {
  /** The KV bucket of leases, one key per lease. */
  readonly bucket: string;
  /** The lease's key (a cluster id, or a lead group's name). */
  readonly key: string;
  /** The lease's length (`ha.ttl_ms`); an existing bucket with a shorter max age shortens it to that. */
  readonly ttlMs: number;
  /**
   * How much longer than the lease the server keeps an entry nobody renews (`ha.ride_through_ms`):
   * a bucket this call creates gets max age TTL + this, so a holder riding through a stream
   * election with witnesses does not see its entry expired meanwhile. An existing bucket keeps its
   * own max age (README.md says how to raise it).
   */
  readonly rideThroughMs?: number;
  /** Copies of the bucket in the NATS cluster (3 on a three-node cluster; 1 on a single server). */
  readonly replicas: number;
  /**
   * How long one read or write may wait for JetStream (default a quarter of the TTL): a renewal
   * stuck on a stream without a leader must give way to the next attempt, not hold the keeper
   * for the client's 5 s default.
   */
  readonly requestTimeoutMs?: number;
}

/**
 * The lease as one key of a JetStream KV bucket whose max age is the lease's TTL plus the
 * ride-through allowance: the server drops an entry nobody renewed for that long, and writes are
 * compare-and-set on the key's last revision.
 */
export async function openKvLeaseStore(nc: NatsConnection, options: KvLeaseOptions): Promise<LeaseStore> {
  if (!KEY_PATTERN.test(options.key)) throw new RangeError(`lease key ${JSON.stringify(options.key)} may only hold letters, digits and - / _ = .`);
  const created = await createBucket(nc, options.bucket, { ttl: options.ttlMs + (options.rideThroughMs ?? 0), replicas: options.replicas, history: 1 });
  // No TTL: the highest epoch taken stays when nobody holds the lease, and when the lease bucket is recreated.
  await createBucket(nc, epochBucketName(options.bucket), { replicas: options.replicas, history: 1 });
  const status = await created.status();
  const timeout = options.requestTimeoutMs ?? Math.floor(options.ttlMs / 4);
  const js = nc.jetstream({ timeout });
  const kv = await js.views.kv(options.bucket, { bindOnly: true, timeout });
  const epochs = await js.views.kv(epochBucketName(options.bucket), { bindOnly: true, timeout });
  // A bucket without max age never expires an entry: as before, the lease is the configured TTL and nothing rides through.
  const maxAgeMs = status.ttl > 0 ? status.ttl : options.ttlMs;
  return new KvLeaseStore(kv, epochs, options.key, Math.min(options.ttlMs, maxAgeMs), maxAgeMs);
}

/** The bucket beside the lease bucket that keeps the highest epoch taken per lease key (no TTL). */
export function epochBucketName(leaseBucket: string): string {
  return `${leaseBucket}_epochs`;
}

/** Tries at creating (or binding) the bucket before giving up. */
const CREATE_ATTEMPTS = 4;
const RETRIABLE: ReadonlySet<string> = new Set([ErrorCode.Timeout, ErrorCode.NoResponders]);

/**
 * Creating a replicated bucket takes a meta-group round, each try with the client's default
 * patience. A cluster that has just started (or lost its meta leader) may not answer one in
 * time; the next try usually does, so a lead starting beside its brokers is not failed for it.
 */
async function createBucket(nc: NatsConnection, bucket: string, options: { ttl?: number; replicas: number; history: number }): Promise<KV> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await nc.jetstream().views.kv(bucket, options);
    } catch (error) {
      const retriable = error instanceof NatsError && RETRIABLE.has(error.code);
      if (!retriable || attempt >= CREATE_ATTEMPTS) throw error;
    }
  }
}

/** How often recording an epoch is tried when another writer moved the key in between. */
const RECORD_ATTEMPTS = 5;
const EpochEntry = z.object({ epoch: z.number().int().nonnegative() });

class KvLeaseStore implements LeaseStore {
  constructor(
    private readonly kv: KV,
    private readonly epochs: KV,
    private readonly key: string,
    readonly ttlMs: number,
    readonly maxAgeMs: number,
  ) {}

  async read(): Promise<LeaseObservation> {
    const entry = await this.kv.get(this.key);
    return entry === null ? { revision: 0, state: 'vacant' } : observationOf(entry);
  }

  async watch(seen: (observation: LeaseObservation) => void): Promise<() => void> {
    const updates = await this.kv.watch({ key: this.key });
    void (async () => {
      for await (const entry of updates) seen(observationOf(entry));
    })().catch(() => undefined); // a watch that ends leaves the keeper to its reads
    return () => updates.stop();
  }

  async write(record: LeaseRecord, expectedRevision: number): Promise<number | null> {
    try {
      return await this.kv.put(this.key, encodeLeaseRecord(record), { previousSeq: expectedRevision });
    } catch (error) {
      if (isCasConflict(error)) return null;
      throw error;
    }
  }

  async release(expectedRevision: number): Promise<void> {
    try {
      await this.kv.delete(this.key, { previousSeq: expectedRevision });
    } catch (error) {
      if (!isCasConflict(error)) throw error;
    }
  }

  async recordedEpoch(): Promise<number> {
    return (await this.readRecorded()).epoch;
  }

  async recordEpoch(epoch: number): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const recorded = await this.readRecorded();
      if (recorded.epoch >= epoch) return;
      try {
        await this.epochs.put(this.key, new TextEncoder().encode(JSON.stringify({ epoch })), { previousSeq: recorded.revision });
        return;
      } catch (error) {
        if (!isCasConflict(error) || attempt >= RECORD_ATTEMPTS) throw error;
      }
    }
  }

  /** The recorded epoch and the revision a write must expect; an unreadable entry counts as 0 (and is overwritten). */
  private async readRecorded(): Promise<{ epoch: number; revision: number }> {
    const entry = await this.epochs.get(this.key);
    if (entry === null || entry.operation !== 'PUT') return { epoch: 0, revision: entry?.revision ?? 0 };
    let parsed: unknown;
    try {
      parsed = JSON.parse(new TextDecoder().decode(entry.value));
    } catch {
      parsed = undefined;
    }
    const checked = EpochEntry.safeParse(parsed);
    return { epoch: checked.success ? checked.data.epoch : 0, revision: entry.revision };
  }
}

function observationOf(entry: KvEntry): LeaseObservation {
  if (entry.operation !== 'PUT') return { revision: entry.revision, state: 'vacant' };
  const decoded = decodeLeaseRecord(entry.value);
  return decoded.ok ? { revision: entry.revision, state: 'held', record: decoded.record } : { revision: entry.revision, state: 'unreadable', problem: decoded.problem };
}

function isCasConflict(error: unknown): boolean {
  const apiError = (error as { api_error?: { err_code?: number } } | null)?.api_error;
  return apiError?.err_code === WRONG_LAST_SEQUENCE;
}
