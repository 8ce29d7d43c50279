/**
 * The KV buckets the lead's shared state is mirrored into: one per kind of state, named
 * `<prefix>_<cluster_id>_<kind>`, each replicated `replicas` times and keeping only the last
 * value per key (the state, not its history).
 */
import { ErrorCode, NatsError, type KV, type NatsConnection } from 'nats';

export const KINDS = ['registry', 'trust', 'enrollments', 'control', 'quarantine', 'breakers'] as const;
export type Kind = (typeof KINDS)[number];

export interface BucketOptions {
  readonly prefix: string;
  readonly clusterId: string;
  readonly replicas: number;
}

export function bucketName(options: Pick<BucketOptions, 'prefix' | 'clusterId'>, kind: Kind): string {
  return `${options.prefix}_${options.clusterId}_${kind}`;
}

// KV keys are subject tokens; ids that are not plain ones are carried base64url-encoded.
const PLAIN_KEY = /^[-_=a-zA-Z0-9]+$/;

export function kvKey(id: string): string {
  return PLAIN_KEY.test(id) ? id : `b.${Buffer.from(id, 'utf8').toString('base64url')}`;
}

/** Tries at creating (or binding) a bucket before giving up: a fresh cluster's meta group may not answer the first. */
const CREATE_ATTEMPTS = 4;
const RETRIABLE: ReadonlySet<string> = new Set([ErrorCode.Timeout, ErrorCode.NoResponders]);

/** Opens every kind's bucket, creating those that do not exist yet. */
export async function openBuckets(nc: NatsConnection, options: BucketOptions): Promise<Record<Kind, KV>> {
  const out = {} as Record<Kind, KV>;
  for (const kind of KINDS) out[kind] = await openBucket(nc, bucketName(options, kind), options.replicas);
  return out;
}

async function openBucket(nc: NatsConnection, name: string, replicas: number): Promise<KV> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await nc.jetstream().views.kv(name, { replicas, history: 1 });
    } catch (error) {
      const retriable = error instanceof NatsError && RETRIABLE.has(error.code);
      if (!retriable || attempt >= CREATE_ATTEMPTS) throw error;
    }
  }
}
