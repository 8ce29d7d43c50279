import type { ReadinessCheck, LeadStatusBody } from './api/index.js';
import type { LeadConfig } from './config/index.js';
import type { ControlState, FrameVerifier, IngestCounters } from './ingest/index.js';
import type { NatsLink } from './nats/nats-link.js';
import type { Registry, SweepReport } from './registry/index.js';
import type { LeadStore } from './store/index.js';

export interface StatusSources {
  config: LeadConfig;
  registry: Registry;
  control: ControlState;
  counters: IngestCounters;
  verifier: FrameVerifier;
  link: NatsLink;
  store: LeadStore;
  lastSweep: () => SweepReport | undefined;
  registryLoaded: () => boolean;
}

/** GET /v1/status. */
export function leadStatus(s: StatusSources): LeadStatusBody {
  const registry = s.registry.status();
  const ingest = s.counters.snapshot();
  const sweep = s.lastSweep();
  return {
    lead_id: s.config.lead_id,
    cluster_id: s.config.cluster_id,
    agents: { total: registry.total, by_state: registry.byState, retired: registry.retired, quarantine_deferred: registry.quarantineDeferred },
    mode: registry.mode,
    panic: registry.panic,
    healthy_share: registry.healthyShare,
    frozen: s.control.isFrozen(s.config.cluster_id, s.config.sector_id),
    config_epoch: s.control.configEpoch,
    guard: { factor: sweep?.factor ?? 1, reasons: sweep?.guardReasons ?? [] },
    nats: { connected: s.link.isConnected() },
    ingest: { accepted: ingest.accepted, refused: ingest.refused, verify_threads: s.verifier.threads },
  };
}

/** GET /health/ready: the lead takes heartbeats, can persist, and has its registry back. */
export function readiness(s: StatusSources): ReadinessCheck[] {
  const nats = s.link.isConnected();
  const store = s.store.writable();
  const loaded = s.registryLoaded();
  return [
    { name: 'nats', ok: nats, ...(nats ? {} : { detail: 'NATS not connected' }) },
    { name: 'store', ok: store, ...(store ? {} : { detail: 'database not writable' }) },
    { name: 'registry', ok: loaded, ...(loaded ? {} : { detail: 'registry not loaded yet' }) },
  ];
}
