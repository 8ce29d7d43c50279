import type { BreakerStatus } from '@mesh30k/shared';
import type { ReadinessCheck, LeadStatusBody, MeshStatusBox } from './api/index.js';
import { NO_SECTOR } from './breakers/index.js';
import type { LeadConfig } from './config/index.js';
import type { ControlState, FrameVerifier, IngestCounters } from './ingest/index.js';
import type { NatsLink } from './nats/nats-link.js';
import type { Registry, SweepReport } from './registry/index.js';
import type { LeadStore, SnapshotHealth } from './store/index.js';

export interface StatusSources {
  config: LeadConfig;
  registry: Registry;
  control: ControlState;
  counters: IngestCounters;
  verifier: FrameVerifier;
  link: NatsLink;
  store: LeadStore;
  snapshots: () => SnapshotHealth;
  /** True once the heartbeat subscription is in place on the server (intake open). */
  intakeOpen: () => boolean;
  lastSweep: () => SweepReport | undefined;
  registryLoaded: () => boolean;
  /** The status box (operations, breakers, conflicts, cascade); see meshStatusBox. */
  mesh: () => MeshStatusBox;
}

const HOUR_MS = 3_600_000;
const ALL_STATES = ['active', 'degraded', 'offline', 'quarantined'] as const;
/** A sector is healthy when its breaker is closed and at least this share of its agents is routable. */
export const SECTOR_HEALTHY_SHARE = 0.5;

export interface MeshBoxSources {
  registry: Registry;
  now: () => number;
  frozen: () => boolean;
  breakers: () => readonly BreakerStatus[];
  conflictsSince: (since: number) => number;
  operations: () => { inFlight: number; queued: number };
  lastCascade: () => MeshStatusBox['last_cascade'];
}

/** The spec's status box as data: one pass over the registry (a status read, not a hot path). */
export function meshStatusBox(s: MeshBoxSources): MeshStatusBox {
  const status = s.registry.status();
  const ids = s.registry.select({ selector: { all: true }, states: ALL_STATES, honourPanic: false }).agentIds;
  const sectors = new Map<string, { total: number; routable: number }>();
  let impedance = 0;
  let routable = 0;
  for (const view of s.registry.views(ids)) {
    const key = view.sectorId ?? NO_SECTOR;
    const sector = sectors.get(key) ?? { total: 0, routable: 0 };
    sector.total += 1;
    if (view.routable) {
      sector.routable += 1;
      routable += 1;
      impedance += view.impedance.impedanceScore;
    }
    sectors.set(key, sector);
  }
  const open = new Set(s.breakers().filter((b) => b.scope === 'sector' && b.state !== 'closed' && !b.metricsOnly).map((b) => b.targetId));
  const globalOpen = s.breakers().some((b) => b.scope === 'global' && b.state === 'open' && !b.metricsOnly);
  let healthy = 0;
  for (const [id, sector] of sectors) if (!globalOpen && !open.has(id) && sector.routable >= SECTOR_HEALTHY_SHARE * sector.total) healthy += 1;
  const ops = s.operations();
  return {
    agents_active: status.byState.active,
    agents_total: status.total,
    sectors_healthy: healthy,
    sectors_total: sectors.size,
    mean_impedance: routable === 0 ? null : impedance / routable,
    conflicts_last_hour: s.conflictsSince(s.now() - HOUR_MS),
    mode: status.mode,
    frozen: s.frozen(),
    last_cascade: s.lastCascade(),
    operations: { in_flight: ops.inFlight, queued: ops.queued },
  };
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
    mesh: s.mesh(),
  };
}

/**
 * GET /health/ready: the lead takes heartbeats (connected, and its heartbeat subscription is
 * on the server), can persist (the database takes a write, and snapshots are not failing),
 * and has its registry back.
 */
export function readiness(s: StatusSources): ReadinessCheck[] {
  const nats = s.link.isConnected();
  const intake = nats && s.intakeOpen();
  const loaded = s.registryLoaded();
  return [
    { name: 'nats', ok: nats, ...(nats ? {} : { detail: 'NATS not connected' }) },
    { name: 'intake', ok: intake, ...(intake ? {} : { detail: 'heartbeat subscription not in place yet' }) },
    storeCheck(s),
    { name: 'registry', ok: loaded, ...(loaded ? {} : { detail: 'registry not loaded yet' }) },
  ];
}

function storeCheck(s: StatusSources): ReadinessCheck {
  const snapshots = s.snapshots();
  if (snapshots.failingSince !== null) {
    const since = new Date(snapshots.failingSince).toISOString();
    return { name: 'store', ok: false, detail: `registry snapshot writes failing since ${since} (${snapshots.failures} failed): ${snapshots.lastError ?? 'unknown error'}` };
  }
  return s.store.writable() ? { name: 'store', ok: true } : { name: 'store', ok: false, detail: 'database not writable' };
}
