import { MeshMode, type BreakerStatus, type Summary } from '@mesh30k/shared';
import type { ReadinessCheck, LeadStatusBody, MeshStatusBox } from './api/index.js';
import { NO_SECTOR } from './breakers/index.js';
import type { LeadConfig } from './config/index.js';
import type { OperatorAlert } from './control/index.js';
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
  /** The operator alert the degradation mode raised, if any (control/mode-reactions.ts). */
  alert?: () => OperatorAlert;
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
  /** Child leads' last summaries (src/cascade); `live` false once a child fell silent. */
  children?: () => readonly { summary: Summary; live: boolean }[];
}

/** The spec's status box as data: one pass over the registry (a status read, not a hot path). */
export function meshStatusBox(s: MeshBoxSources): MeshStatusBox {
  const status = s.registry.status();
  const ids = s.registry.select({ selector: { all: true }, states: ALL_STATES, honourPanic: false }).agentIds;
  const sectors = new Map<string, { total: number; routable: number }>();
  let impedance = 0;
  let routable = 0;
  s.registry.forEachRoutingFact(ids, (sectorId, isRoutable, impedanceScore) => {
    const key = sectorId ?? NO_SECTOR;
    let sector = sectors.get(key);
    if (sector === undefined) {
      sector = { total: 0, routable: 0 };
      sectors.set(key, sector);
    }
    sector.total += 1;
    if (isRoutable) {
      sector.routable += 1;
      routable += 1;
      impedance += impedanceScore;
    }
  });
  const open = new Set(s.breakers().filter((b) => b.scope === 'sector' && b.state !== 'closed' && !b.metricsOnly).map((b) => b.targetId));
  const globalOpen = s.breakers().some((b) => b.scope === 'global' && b.state === 'open' && !b.metricsOnly);
  let healthy = 0;
  for (const [id, sector] of sectors) if (!globalOpen && !open.has(id) && sector.routable >= SECTOR_HEALTHY_SHARE * sector.total) healthy += 1;
  const subtree = childFigures(s.children?.() ?? []);
  const ops = s.operations();
  // A lead with child leads speaks for its subtree: its own agents plus what each child last
  // summarised. Its mode is the worse of its own and its children's, but a lead with no agents
  // of its own (the root of a tree) is not in EMERGENCY because of that.
  const mode = subtree.children === 0 ? status.mode : status.total === 0 ? subtree.worstMode : worse(status.mode, subtree.worstMode);
  return {
    agents_active: status.byState.active + subtree.active,
    agents_total: status.total + subtree.total,
    sectors_healthy: healthy + (globalOpen ? 0 : subtree.sectorsHealthy),
    sectors_total: sectors.size + subtree.children,
    mean_impedance: routable + subtree.routable === 0 ? null : (impedance + subtree.impedanceSum) / (routable + subtree.routable),
    conflicts_last_hour: s.conflictsSince(s.now() - HOUR_MS),
    mode,
    frozen: s.frozen(),
    last_cascade: s.lastCascade(),
    operations: { in_flight: ops.inFlight, queued: ops.queued },
  };
}

/** Each child lead is one sector of the box: healthy when live and at least half its agents are routable. */
function childFigures(children: readonly { summary: Summary; live: boolean }[]) {
  let active = 0;
  let total = 0;
  let routable = 0;
  let impedanceSum = 0;
  let sectorsHealthy = 0;
  let worstMode: MeshMode = 'FULL';
  for (const { summary, live } of children) {
    total += summary.agent_count;
    // A silent child's agents are counted, but none as active: the box must not look better than it is.
    if (!live) {
      worstMode = worse(worstMode, 'EMERGENCY');
      continue;
    }
    const up = summary.by_state.active + summary.by_state.degraded;
    active += summary.by_state.active;
    routable += up;
    impedanceSum += summary.impedance.mean * up;
    if (summary.agent_count > 0 && up >= SECTOR_HEALTHY_SHARE * summary.agent_count) sectorsHealthy += 1;
    worstMode = worse(worstMode, summary.mode);
  }
  return { children: children.length, active, total, routable, impedanceSum, sectorsHealthy, worstMode };
}

function worse(a: MeshMode, b: MeshMode): MeshMode {
  return MeshMode.options.indexOf(a) >= MeshMode.options.indexOf(b) ? a : b;
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
    ...(s.alert === undefined ? {} : { alert: s.alert() }),
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
