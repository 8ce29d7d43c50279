/** The replication's counters on /metrics (families present only with store.backend jetstream). */
import type { Registry } from 'prom-client';
import { byLabel, scrapedCounter, scrapedGauge, single, zeroesOf } from '../metrics/index.js';
import { KINDS } from './buckets.js';
import type { ReplicationStats } from './index.js';

export function registerReplicationMetrics(registry: Registry, stats: () => ReplicationStats): void {
  scrapedCounter(registry, { name: 'mesh_lead_replication_puts_total', help: 'State changes this lead wrote to its JetStream KV buckets.', read: () => single(stats().mirror.puts) });
  scrapedCounter(registry, { name: 'mesh_lead_replication_put_failures_total', help: 'KV writes that failed (each is tried again).', read: () => single(stats().mirror.failures) });
  scrapedCounter(registry, { name: 'mesh_lead_replication_fenced_total', help: 'State changes not written because this lead did not hold the lease.', read: () => single(stats().mirror.fenced) });
  scrapedGauge(registry, { name: 'mesh_lead_replication_pending', help: 'State changes queued or in flight to KV.', read: () => single(stats().mirror.pending) });
  scrapedCounter(registry, {
    name: 'mesh_lead_replication_applied_total',
    help: 'KV entries a standby applied to its own store.',
    labelNames: ['kind'],
    zeroes: zeroesOf('kind', KINDS),
    read: () => byLabel('kind', Object.entries(stats().follower?.applied ?? {})),
  });
  scrapedCounter(registry, {
    name: 'mesh_lead_replication_rejected_total',
    help: 'KV entries refused when followed (not JSON, bad envelope, state failing its schema), skipped.',
    labelNames: ['kind'],
    zeroes: zeroesOf('kind', KINDS),
    read: () => byLabel('kind', Object.entries(stats().follower?.rejected ?? {})),
  });
}
