import type { MeshErrorCode, MeshMode, OperationalState } from '@mesh30k/shared';

/**
 * Named operational events of the lead. Dashboards and alerts key on these names, so they are
 * constants and never change meaning; every event is also a pino log line carrying its ids.
 */
export const LEAD_EVENTS = Object.freeze({
  agentRegistered: 'agent.registered',
  agentOnline: 'agent.online',
  agentDegraded: 'agent.degraded',
  agentActive: 'agent.active',
  agentOffline: 'agent.offline',
  agentCrashed: 'agent.crashed',
  agentProbed: 'agent.probed',
  agentQuarantined: 'agent.quarantined',
  agentQuarantineDeferred: 'agent.quarantine-deferred',
  agentReleased: 'agent.released',
  agentRecovered: 'agent.recovered',
  agentRetired: 'agent.retired',
  impedanceSpike: 'impedance.spike',
  modeChanged: 'mode.changed',
  panicEntered: 'panic.entered',
  panicExited: 'panic.exited',
  guardWidened: 'guard.widened',
  guardNormal: 'guard.normal',
  heartbeatRefused: 'heartbeat.refused',
  enrollmentRequested: 'enrollment.requested',
  enrollmentAccepted: 'enrollment.accepted',
  enrollmentRejected: 'enrollment.rejected',
  natsConnected: 'nats.connected',
  natsDisconnected: 'nats.disconnected',
  natsReconnected: 'nats.reconnected',
  snapshotWritten: 'snapshot.written',
  leadStarted: 'lead.started',
  leadStopping: 'lead.stopping',
} as const);

type Values<T> = T[keyof T];
export type LeadEventName = Values<typeof LEAD_EVENTS>;

/** An agent changed operational state, or something happened to it worth a line. */
export interface AgentEvent {
  readonly name:
    | typeof LEAD_EVENTS.agentRegistered
    | typeof LEAD_EVENTS.agentOnline
    | typeof LEAD_EVENTS.agentDegraded
    | typeof LEAD_EVENTS.agentActive
    | typeof LEAD_EVENTS.agentOffline
    | typeof LEAD_EVENTS.agentCrashed
    | typeof LEAD_EVENTS.agentProbed
    | typeof LEAD_EVENTS.agentQuarantined
    | typeof LEAD_EVENTS.agentQuarantineDeferred
    | typeof LEAD_EVENTS.agentReleased
    | typeof LEAD_EVENTS.agentRecovered
    | typeof LEAD_EVENTS.agentRetired;
  readonly at: number;
  readonly agentId: string;
  readonly clusterId: string;
  readonly from: OperationalState | null;
  readonly to: OperationalState;
  readonly reason: string;
}

export interface SpikeEvent {
  readonly name: typeof LEAD_EVENTS.impedanceSpike;
  readonly at: number;
  readonly agentId: string;
  readonly clusterId: string;
  readonly score: number;
  readonly baselineScore: number;
  readonly latencyMs: number;
  readonly baselineLatencyMs: number;
}

export interface ModeEvent {
  readonly name: typeof LEAD_EVENTS.modeChanged;
  readonly at: number;
  readonly from: MeshMode;
  readonly to: MeshMode;
  readonly activeRate: number;
}

export interface PanicEvent {
  readonly name: typeof LEAD_EVENTS.panicEntered | typeof LEAD_EVENTS.panicExited;
  readonly at: number;
  readonly healthyShare: number;
}

export type GuardReason = 'restart' | 'event-loop-lag' | 'transport-resumed' | 'ingest-backlog';

export interface GuardEvent {
  readonly name: typeof LEAD_EVENTS.guardWidened | typeof LEAD_EVENTS.guardNormal;
  readonly at: number;
  readonly factor: number;
  readonly reasons: readonly GuardReason[];
}

/** Ingest refusals: the wire's codes plus the lead's own. */
export type RefusalCode = MeshErrorCode | 'OVERLOADED' | 'WRONG_CLUSTER' | 'WRONG_ROLE' | 'VERIFIER_FAILED' | 'STALE_SEQUENCE' | 'OLD_BOOT' | 'STALE_BOOT' | 'SESSION_UNKNOWN' | 'BAD_TAG';

export interface RefusalEvent {
  readonly name: typeof LEAD_EVENTS.heartbeatRefused;
  readonly at: number;
  readonly code: RefusalCode;
  readonly signerId: string | null;
  readonly message: string;
  /** Refusals of this code not reported since the previous event (events are sampled). */
  readonly suppressed: number;
}

/** An agent asked to join (first request, or a new key), or an operator decided. */
export interface EnrollmentEvent {
  readonly name: typeof LEAD_EVENTS.enrollmentRequested | typeof LEAD_EVENTS.enrollmentAccepted | typeof LEAD_EVENTS.enrollmentRejected;
  readonly at: number;
  readonly agentId: string;
  readonly publicKey: string;
  readonly clusterId: string;
  /** The operator who decided, when one did. */
  readonly by?: string;
  readonly reason?: string;
}

export interface NatsEvent {
  readonly name: typeof LEAD_EVENTS.natsConnected | typeof LEAD_EVENTS.natsDisconnected | typeof LEAD_EVENTS.natsReconnected;
  readonly at: number;
  readonly server: string | null;
}

export interface SnapshotEvent {
  readonly name: typeof LEAD_EVENTS.snapshotWritten;
  readonly at: number;
  readonly agents: number;
  readonly elapsedMs: number;
}

export interface LifecycleEvent {
  readonly name: typeof LEAD_EVENTS.leadStarted | typeof LEAD_EVENTS.leadStopping;
  readonly at: number;
  readonly reason: string;
}

export type LeadEvent =
  | AgentEvent
  | SpikeEvent
  | ModeEvent
  | PanicEvent
  | GuardEvent
  | RefusalEvent
  | EnrollmentEvent
  | NatsEvent
  | SnapshotEvent
  | LifecycleEvent;

export type LeadEventListener = (event: LeadEvent) => void;

/**
 * Synchronous fan-out of events to listeners (the logger, the snapshot writer, tests). A
 * listener that throws is reported to `onListenerError` and does not stop the others.
 */
export class EventBus {
  private readonly listeners = new Set<LeadEventListener>();

  constructor(private readonly onListenerError: (error: unknown, event: LeadEvent) => void = () => undefined) {}

  /** Adds a listener; returns the function that removes it. */
  on(listener: LeadEventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(event: LeadEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (error) {
        this.onListenerError(error, event);
      }
    }
  }
}
