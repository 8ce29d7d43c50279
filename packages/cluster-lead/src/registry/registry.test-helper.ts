/**
 * Test-only: a registry on a manual clock with a scripted prober and lag, and heartbeats and
 * enrollments built from shared's sample messages. No NATS, no SQLite.
 */
import { ManualClock, type AgentClass, type EnrollmentRecord, type Heartbeat } from '@mesh30k/shared';
import { sampleImpedance, sampleMessage } from '@mesh30k/shared/testing';
import { EventBus, type LeadEvent } from '../lib/events.js';
import { GuardRails, type LagMonitor } from './guard-rails.js';
import type { RegistryOptions } from './options.js';
import type { Prober, ProbeResult } from './prober.js';
import { Registry } from './registry.js';

export const T0 = 1_800_000_000_000;
export const INTERVAL = 5_000;

export const OPTIONS: RegistryOptions = {
  heartbeatIntervalMs: INTERVAL,
  missedForOffline: 3,
  crashAfterMs: 30_000,
  quarantineMaxShare: 0.1,
  panicBelowHealthy: 0.5,
  probeMaxInFlight: 100,
  anomaly: {},
  modeThresholds: {},
  health: {},
};

/** Answers probes from a table: agents listed as alive answer, everyone else does not. */
export class ScriptedProber implements Prober {
  readonly alive = new Set<string>();
  readonly probed: string[] = [];

  probe(agentId: string): Promise<ProbeResult> {
    this.probed.push(agentId);
    return Promise.resolve(this.alive.has(agentId) ? { ok: true, rttMs: 4 } : { ok: false, reason: 'no responders' });
  }
}

export class SetLag implements LagMonitor {
  lagMs = 0;
  takeMaxLagMs(): number {
    return this.lagMs;
  }
  close(): void {}
}

export interface Harness {
  clock: ManualClock;
  registry: Registry;
  prober: ScriptedProber;
  lag: SetLag;
  guard: GuardRails;
  events: LeadEvent[];
  transport: { up: boolean };
  dirty: Set<string>;
  /** Agents a heartbeat only "saw" (last-seen numbers moved, nothing else). */
  seen: Set<string>;
}

export function harness(options: Partial<RegistryOptions> = {}, guard = { restartGraceMs: 0, timeoutFactor: 2, lagThresholdMs: 200, lagGraceMs: 30_000 }): Harness {
  const clock = new ManualClock(T0);
  const bus = new EventBus();
  const events: LeadEvent[] = [];
  bus.on((event) => events.push(event));
  const prober = new ScriptedProber();
  const lag = new SetLag();
  const rails = new GuardRails({ clock, lag }, guard);
  const transport = { up: true };
  const dirty = new Set<string>();
  const seen = new Set<string>();
  const registry = new Registry(
    { clock, events: bus, prober, guard: rails, transportUp: () => transport.up, onChange: (id) => dirty.add(id), onSeen: (id) => seen.add(id) },
    { ...OPTIONS, ...options },
  );
  return { clock, registry, prober, lag, guard: rails, events, transport, dirty, seen };
}

export interface AgentShape {
  agentClass?: AgentClass;
  clusterId?: string;
  sectorId?: string;
  capabilities?: string[];
}

export function enrollment(agentId: string, shape: AgentShape = {}): EnrollmentRecord {
  return {
    v: 1,
    agent_id: agentId,
    public_key: 'A'.repeat(43),
    role: 'agent',
    class: shape.agentClass ?? 'E',
    capabilities: shape.capabilities ?? ['sensor.read', 'gpio'],
    cluster_id: shape.clusterId ?? 'cluster-1',
    ...(shape.sectorId === undefined ? {} : { sector_id: shape.sectorId }),
    issued_at: T0 - 1_000,
    expires_at: T0 + 1e10,
    issuer_key_id: 'root-key-id-0001',
  };
}

export function heartbeat(agentId: string, at: number, shape: AgentShape = {}, overrides: Partial<Heartbeat> = {}, impedance = {}): Heartbeat {
  const clusterId = shape.clusterId ?? 'cluster-1';
  return sampleMessage('HEARTBEAT', {
    sender: agentId,
    at,
    overrides: {
      cluster_id: clusterId,
      impedance: sampleImpedance(agentId, {
        cluster_id: clusterId,
        sector_id: shape.sectorId ?? 'sector-1',
        capabilities: shape.capabilities ?? ['sensor.read', 'gpio'],
        ...impedance,
      }),
      ...overrides,
    },
  });
}

/** Feeds one heartbeat per agent at the clock's current time. */
export function beat(h: Harness, agentIds: readonly string[], shape: AgentShape = {}, impedance = {}): void {
  for (const id of agentIds) h.registry.recordHeartbeat(heartbeat(id, h.clock.now(), shape, {}, impedance), { receivedAt: h.clock.now(), enrollment: enrollment(id, shape) });
}

export const ids = (prefix: string, n: number): string[] => Array.from({ length: n }, (_, i) => `${prefix}-${String(i).padStart(2, '0')}`);
