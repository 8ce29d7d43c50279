// The keeper a test holder runs: the lease bucket (with the spec's ride-through allowance) and
// witnesses on core NATS, as a lead's lease thread has them (src/ha/lease-worker.ts).
import { performance } from 'node:perf_hooks';
import type { NatsConnection } from 'nats';
import { LeaseKeeper, NatsWitnessLink, openKvLeaseStore } from '../../../src/ha/index.js';
import { silentLogger } from '../../../src/lib/logger.js';
import type { HolderSpec } from './holder-process.js';

export async function openHolderKeeper(nc: NatsConnection, spec: HolderSpec): Promise<LeaseKeeper> {
  const store = await openKvLeaseStore(nc, { bucket: spec.bucket, key: spec.key, ttlMs: spec.ttlMs, rideThroughMs: spec.rideThroughMs, replicas: spec.replicas });
  const witnesses = new NatsWitnessLink(
    nc,
    { key: spec.key, witnessSubject: `test.lease.${spec.key}.witness`, presenceSubject: `test.lease.${spec.key}.presence`, presenceTimeoutMs: Math.floor(spec.ttlMs / 8) },
    silentLogger(),
  );
  const keeper = new LeaseKeeper({ store, now: () => performance.now(), logger: silentLogger(), witnesses }, { holder: spec.holder });
  witnesses.serve(keeper);
  return keeper;
}
