/**
 * The registry and what keeps it: liveness probes (NATS, or HTTPS for Workers), the guard
 * rails, the snapshot writer, the stored degradation mode and its override, and the agents
 * restored from the previous run (re-anchored when the clock moved in between).
 */
import { MeshMode, type Clock } from '@mesh30k/shared';
import { nodeEd25519 } from '@mesh30k/shared/node';
import type { LeadConfig } from '../config/index.js';
import { EdgeTier } from '../edge/index.js';
import { ClockAnchor, bootId, measureClockStep, monotonicMs } from '../lib/clock-anchor.js';
import { LEAD_EVENTS, type EventBus } from '../lib/events.js';
import type { Logger } from '../lib/logger.js';
import type { NatsLink } from '../nats/nats-link.js';
import { NatsProber } from '../probe/nats-prober.js';
import { GuardRails, Registry, nodeLagMonitor, registryOptionsFrom, type LagMonitor, type PersistedAgent, type Prober } from '../registry/index.js';
import { SnapshotWriter, type LeadStore } from '../store/index.js';
import type { LeadTrust } from './trust.js';
import type { StopStep } from './stop-steps.js';

const MODE_KEY = 'mode';
/** lead_state key of an operator's mode override (replication follows it). */
export const MODE_OVERRIDE_KEY = 'mode_override';
/** The previous run's wall-minus-monotonic anchor (lib/clock-anchor.ts). */
const CLOCK_ANCHOR_KEY = 'clock_anchor';
/** A clock step this large across a restart is worth a warning line. */
const CLOCK_STEP_WARN_MS = 1_000;

/** What tests may replace in the registry's surroundings. */
export interface RegistryOverrides {
  lag?: LagMonitor;
  /** Replaces the NATS probe (unit-style tests of liveness). */
  prober?: Prober;
  /** Set when the lead runs on a test's clock: then no clock step is measured unless `monotonic` is given. */
  clock?: Clock;
  monotonic?: { now: () => number; bootId: string | undefined };
}

export interface RegistryDeps {
  readonly config: LeadConfig;
  readonly clock: Clock;
  readonly events: EventBus;
  readonly store: LeadStore;
  readonly logger: Logger;
  readonly link: NatsLink;
  readonly trust: Pick<LeadTrust, 'identity' | 'resolveKey'>;
  /** True once heartbeats can reach the lead: nobody is judged offline before. */
  readonly intakeIsOpen: () => boolean;
  readonly cleanups: StopStep[];
  readonly overrides: RegistryOverrides;
  /**
   * Leave the stored agents unloaded until restoreAgents() is called: a standby that follows the
   * active lead's state (store.backend jetstream) loads them once it takes over, not stale ones at start.
   */
  readonly deferRestore?: boolean;
  /** Agents whose real change the snapshot writer committed (replication mirrors them). */
  readonly onDirtyWritten?: (agents: readonly PersistedAgent[]) => void;
}

export function buildRegistry({ config, clock, events, store, logger, link, trust, intakeIsOpen, cleanups, overrides, deferRestore = false, onDirtyWritten }: RegistryDeps) {
  const lag = overrides.lag ?? nodeLagMonitor();
  cleanups.push(['lag monitor', () => lag.close()]);
  const guard = new GuardRails(
    { clock, lag },
    { restartGraceMs: config.guard.restart_grace_ms, timeoutFactor: config.guard.timeout_factor, lagThresholdMs: config.guard.lag_threshold_ms, lagGraceMs: config.guard.lag_grace_ms, backlogThreshold: config.guard.backlog_threshold },
  );
  guard.noteStart();
  const natsProber = overrides.prober ?? new NatsProber({ clock, link, identity: trust.identity, resolveKey: trust.resolveKey }, { timeoutMs: config.registry.probe_timeout_ms });
  // Workers are probed over HTTPS by the edge tier, everyone else over NATS. The tier needs the
  // registry (it folds good probes in as heartbeats), which needs the prober: resolved on use.
  const late: { edgeProber?: Prober } = {};
  const prober: Prober = { probe: (agentId) => (late.edgeProber ?? natsProber).probe(agentId) };

  // The writer reads agents from the registry, the registry marks them dirty in the writer.
  const snapshot: SnapshotWriter = new SnapshotWriter(
    { store: store.agents, read: (id) => registry.persisted(id), clock, events, logger: logger.child({ domain: 'store' }), onDirtyWritten },
    { intervalMs: snapshotIntervalMs(config.store), batchSize: config.store.batch_size, seenIntervalMs: config.store.last_seen_interval_ms, sliceMs: config.store.slice_ms },
  );
  const registry: Registry = new Registry(
    { clock, events, prober, guard, transportUp: () => link.isConnected() && intakeIsOpen(), onChange: (id) => snapshot.markDirty(id), onSeen: (id) => snapshot.markSeen(id) },
    registryOptionsFrom(config),
    store.state.get(MODE_KEY, MeshMode),
  );
  // The computed mode is what the next start begins from; an override is kept apart.
  events.on((event) => {
    if (event.name === LEAD_EVENTS.modeChanged) store.state.set(MODE_KEY, registry.computedMode);
  });
  const storedOverride = store.state.get(MODE_OVERRIDE_KEY, MeshMode.nullable());
  if (storedOverride !== undefined && storedOverride !== null) registry.setModeOverride(storedOverride);

  const edge = new EdgeTier({ clock, identity: trust.identity, registry, ed25519: nodeEd25519, logger: logger.child({ domain: 'edge' }), db: store.db }, { intervalMs: config.heartbeat.interval_ms });
  late.edgeProber = edge.registryProber(natsProber);

  const clockStepMs = measureStepSinceLastRun(store, clock, overrides, logger);
  /** Loads the stored agents into the registry (those it already holds are kept); returns how many. */
  const restoreAgents = (stepMs: number): number => {
    const loadedAgents = store.agents.loadAll();
    for (const bad of loadedAgents.invalid) logger.warn({ agent_id: bad.agentId, problem: bad.problem }, 'stored agent unreadable; skipped');
    return registry.restore(loadedAgents.agents, stepMs);
  };
  const restored = deferRestore ? 0 : restoreAgents(clockStepMs);

  /** An operator's mode override (null clears it), kept across restarts. */
  const setModeOverride = (override: MeshMode | null): void => {
    store.state.set(MODE_OVERRIDE_KEY, override);
    registry.setModeOverride(override);
  };
  /**
   * A standby taking over: the agents it followed (their times are another host's wall clock, so
   * no step of this host applies) and the operator's mode override, as stored now.
   */
  const takeOver = (): number => {
    const override = store.state.get(MODE_OVERRIDE_KEY, MeshMode.nullable());
    registry.setModeOverride(override ?? null);
    return restoreAgents(0);
  };
  return { guard, prober, snapshot, registry, edge, clockStepMs, restored, setModeOverride, takeOver };
}

export type LeadRegistry = ReturnType<typeof buildRegistry>;

/**
 * How far the lead's clock moved since the previous run on this boot (0 when unknown), and
 * this run's anchor stored for the next. Restored lead-clock times are re-anchored by it.
 */
function measureStepSinceLastRun(store: LeadStore, clock: Clock, overrides: RegistryOverrides, logger: Logger): number {
  const monotonic = overrides.monotonic ?? (overrides.clock === undefined ? { now: monotonicMs, bootId: bootId() } : undefined);
  if (monotonic === undefined) return 0;
  const { anchor, stepMs } = measureClockStep(store.state.get(CLOCK_ANCHOR_KEY, ClockAnchor), clock.now(), monotonic.now(), monotonic.bootId);
  if (anchor !== undefined) store.state.set(CLOCK_ANCHOR_KEY, anchor);
  if (stepMs !== undefined && Math.abs(stepMs) >= CLOCK_STEP_WARN_MS) {
    logger.warn({ step_ms: Math.round(stepMs) }, `the lead's clock moved ${Math.round(stepMs)} ms since its last run on this boot; restored agent times re-anchored, agents re-synchronise within a few heartbeats`);
  }
  return stepMs ?? 0;
}

/** The snapshot writer's period: with the jetstream store, no longer than store.jetstream.registry_interval_ms (what a standby may miss). */
export function snapshotIntervalMs(store: LeadConfig['store']): number {
  return store.backend === 'jetstream' ? Math.min(store.snapshot_interval_ms, store.jetstream.registry_interval_ms) : store.snapshot_interval_ms;
}
