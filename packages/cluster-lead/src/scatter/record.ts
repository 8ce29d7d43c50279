/**
 * What an operation produces: the result returned to the caller and the record kept in the
 * operations history (which also holds the per-agent compensation that hold mode does not send).
 */
import type { OperationStatus, QuorumDecision, QuorumResult, ReleaseMode, Refusal, RequestedReleaseMode, Selector, SkipReason, TrinaryState } from '@mesh30k/shared';
import type { ResolvedOperation } from './operation-request.js';
import type { AgentOutcome } from './ports.js';

/** shared's schedule reasons, what the engine checks before scheduling, and a send that failed. */
export type ScatterSkipReason = SkipReason | 'capability_mismatch' | 'agent_offline' | 'not_routable' | 'send_failed';

export interface SkippedAgent {
  readonly agentId: string;
  readonly reason: ScatterSkipReason;
  /** One line for the operator, e.g. the breaker that is open or the capabilities missing. */
  readonly detail: string;
  readonly mode: ReleaseMode | null;
  /** Lead time the agent would need; null when it was not computed. */
  readonly wouldNeedMs: number | null;
  /** T - now when the operation was planned. */
  readonly availableMs: number;
}

/** One scheduled agent: when it is sent to, and the compensation behind that time. */
export interface PlannedAgent {
  readonly agentId: string;
  readonly mode: ReleaseMode;
  readonly sendAt: number;
  readonly leadTimeMs: number;
  readonly oneWayDelayMs: number;
  readonly expectedProcessingMs: number;
  readonly bufferMs: number;
  readonly confidence: number;
  /** When the schedule expects the agent READY (T in hold mode, processing end otherwise). */
  readonly expectedReadyAt: number;
}

/** Which ready time the result uses (see README: arrival basis). */
export type ArrivalBasis = 'agent' | 'lead';

/** One ACK as the result reports it. */
export interface AgentArrival {
  readonly agentId: string;
  readonly mode: ReleaseMode;
  readonly trinaryState: TrinaryState;
  readonly outcome: AgentOutcome;
  /** Lead clock when the agent's COORDINATE was published. */
  readonly sentAt: number | null;
  /** Lead clock when the ACK arrived. */
  readonly receivedAt: number;
  /** The ready time the result uses, mesh time. */
  readonly readyAtMesh: number;
  readonly basis: ArrivalBasis;
  /** The agent's own conversion (ACK ready_at_mesh). */
  readonly readyAtMeshAgent: number;
  /** The lead's conversion of ready_at_local with the agent's last reported offset; null without one. */
  readonly readyAtMeshLead: number | null;
  /** readyAtMesh - T. */
  readonly arrivalErrorMs: number;
  /** |arrivalErrorMs| <= the operation's arrival window. */
  readonly inWindow: boolean;
  readonly processingMs: number;
  /** Delivered late (from the agent's outbox). */
  readonly late: boolean;
  readonly refusal: { readonly code: string; readonly message: string } | null;
}

export interface Percentiles {
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
}

export interface SignedDistribution extends Percentiles {
  readonly min: number;
  readonly mean: number;
}

/** Arrival error (ready - T) of the READY agents. Null figures when none was READY. */
export interface ArrivalDistribution {
  readonly basis: ArrivalBasis;
  readonly count: number;
  readonly windowMs: number;
  /** Of |error|. */
  readonly abs: Percentiles | null;
  readonly signed: SignedDistribution | null;
  /** Share of READY agents inside the window. */
  readonly hitRate: number | null;
  /** Largest |agent conversion - lead conversion| where both exist: how far the two views disagree. */
  readonly basisDisagreementMaxMs: number | null;
}

export interface OperationTimings {
  readonly submittedAt: number;
  readonly startedAt: number;
  readonly targetTime: number;
  /** requested: the operation named T; chosen: the engine picked it from the lead times. */
  readonly targetChoice: 'requested' | 'chosen';
  /**
   * Why a chosen T is where it is: the agent whose lead time sized it, in its mode, with the
   * parts (one-way delay, processing, buffer; in hold mode their upper bounds). Null when requested.
   */
  readonly targetSetBy?: { agentId: string; mode: string; lead: { oneWayDelayMs: number; expectedProcessingMs: number; bufferMs: number; leadTimeMs: number } } | null;
  /** The lead horizon cut T short of what the slowest agent needed. */
  readonly capped: boolean;
  readonly firstSendAt: number | null;
  readonly lastSendAt: number | null;
  /** T + window + the slowest return trip, or the timeout if sooner. */
  readonly deadline: number;
  /**
   * When the decision was made: everyone answered, the deadline, or earlier, once the answers
   * so far made PROCEED certain whatever the silent agents answer (see `closedAt`).
   */
  readonly decidedAt: number;
  /**
   * Decided early: when the result was closed, at the deadline or once everyone answered. The
   * ACKs that came between the decision and then were in time; they are in the counts.
   */
  readonly closedAt?: number;
}

export interface ScatterResult {
  readonly operationId: string;
  /** FAILED_OVER: resumed by another lead after a failover and not completed (see `interrupted`). */
  readonly status: OperationStatus;
  readonly decision: QuorumDecision;
  readonly quorum: QuorumResult;
  readonly requestedMode: RequestedReleaseMode;
  /** Agents sent to, per mode. */
  readonly modes: Readonly<Record<ReleaseMode, number>>;
  readonly counts: {
    readonly selected: number;
    readonly sent: number;
    readonly skipped: number;
    readonly ready: number;
    readonly transit: number;
    readonly conflicts: number;
    readonly refused: number;
    /** TRANSIT ACKs saying the agent could not run what it was sent (not its fault; their refusal names why). */
    readonly unrunnable: number;
    readonly stragglers: number;
  };
  /** Every ACK that is not a conflict (ready, transit, refused), by agent id. */
  readonly responders: readonly AgentArrival[];
  readonly conflicts: readonly AgentArrival[];
  /** Sent to, no ACK by the deadline. */
  readonly stragglers: readonly string[];
  readonly skipped: readonly SkippedAgent[];
  readonly arrival: ArrivalDistribution;
  readonly timings: OperationTimings;
  /** Degradation restrictions an operator override waived. */
  readonly waived: readonly Refusal[];
  /**
   * Set when the lead stopped (crashed) while the operation ran and resumed it from its
   * database: sends not made before the stop were not made, every agent planned counts as sent
   * (one that did not answer is a straggler), and ACKs were taken until the later of the
   * original deadline and the restart plus the resume grace.
   */
  readonly interrupted?: Interruption;
}

export interface Interruption {
  /** lead_restart: the same lead on its own database; failover: another lead, from the replicated journal. */
  readonly by: 'lead_restart' | 'failover';
  /** Lead clock when the operation was resumed. */
  readonly resumedAt: number;
  /** The deadline it had before the restart. */
  readonly originalDeadline: number;
  /** Why a failover ended it as FAILED_OVER; absent otherwise. */
  readonly failedOver?: FailedOverReason;
}

/**
 * Why the lead that took over could not complete an operation: its deadline had passed beyond
 * the resume grace when it took over, no agent's ACK reached either lead, or its run was not in
 * the replicated journal (plan_lost: the history row alone says it ran; wiring/ops-replication.ts).
 */
export type FailedOverReason = 'deadline_passed' | 'no_ack' | 'plan_lost';

/** A hold-mode group message as recorded: it carries T and a selector, never a per-agent map. */
export interface HoldMessage {
  readonly coordinateId: string;
  readonly sendAt: number;
  readonly selector: Selector;
  readonly agentCount: number;
}

export interface LateAck {
  readonly agentId: string;
  readonly receivedAt: number;
  readonly trinaryState: TrinaryState;
  readonly readyAtMesh: number;
}

export interface OperationRecord {
  readonly operationId: string;
  readonly state: 'running' | 'completed';
  readonly request: ResolvedOperation;
  readonly targetTime: number;
  /** Why a chosen T is where it is (see OperationTimings.targetSetBy); null when requested, absent in older records. */
  readonly targetSetBy?: OperationTimings['targetSetBy'];
  /** Per-agent compensation, in every mode. */
  readonly plan: readonly PlannedAgent[];
  readonly skipped: readonly SkippedAgent[];
  readonly holdMessages: readonly HoldMessage[];
  readonly result: ScatterResult | null;
  readonly lateAcks: readonly LateAck[];
}
