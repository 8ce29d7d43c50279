/**
 * The narrow interfaces the scatter-gather engine depends on. The lead's registry, breakers,
 * store and composition root implement them; unit tests pass small fakes. Nothing here opens a
 * socket or a file.
 */
import type {
  Ack,
  AgentClass,
  Clock,
  IncomingFrame,
  MeshMode,
  OperationalState,
  Refusal,
  ReleaseMode,
  Result,
  Selector,
  SignedFrame,
  Signer,
  Verb,
  Verified,
} from '@mesh30k/shared';
import type { Logger } from 'pino';
import type { ResolvedOperation } from './operation-request.js';
import type { Plan } from './plan.js';
import type { AgentArrival, OperationRecord } from './record.js';

/**
 * The lead's knowledge of an agent's clock, from the agent's last heartbeat (its ClockReport
 * and that heartbeat's t1): mesh = local + offsetMs - driftPpm x 1e-6 x (local - atLocalMs).
 */
export interface AgentClockView {
  /** Lead clock minus agent clock at atLocalMs (ClockReport.offset_ms). */
  readonly offsetMs: number;
  /** ClockReport.drift_ppm: positive when the agent's clock runs fast. */
  readonly driftPpm: number;
  /** Agent-clock instant the offset refers to (the heartbeat's t1). */
  readonly atLocalMs: number;
}

/** One agent as the scheduler needs it: identity, routing facts and timing inputs. */
export interface TargetAgent {
  readonly agentId: string;
  readonly agentClass: AgentClass;
  readonly capabilities: readonly string[];
  readonly clusterId: string;
  readonly sectorId: string | null;
  readonly state: OperationalState;
  /** Release modes the agent's runtime implements. */
  readonly supportedModes: readonly ReleaseMode[];
  /** Typical lead-to-agent network delay, ms (half the agent's median heartbeat round trip). */
  readonly oneWayDelayMs: number;
  /** Spread of that delay, ms. */
  readonly jitterMs: number;
  /** Trust in the timing figures, 0..1. */
  readonly confidence: number;
  /** Null until the agent has reported a clock estimate. */
  readonly clock: AgentClockView | null;
}

export interface ProcessingQuery {
  readonly verb: Verb;
  readonly payloadWeight: number;
}

export interface ProcessingEstimateView {
  readonly expectedMs: number;
  readonly spreadMs: number;
  /** Median of recent processing times (lead mode aims at it); absent: expectedMs stands in. */
  readonly medianMs?: number;
}

/** The registry, as the engine sees it. */
export interface ScatterTargets {
  /** Every registered agent the selector matches, whatever its state (the engine says why it skips). */
  select(selector: Selector): readonly TargetAgent[];
  /**
   * Agents the selector may pick on their own side that the registry does not hold: enrolled with
   * this lead (their signatures are accepted) but not heard from, so `select` cannot list them.
   * A group COORDINATE carrying the operation's own selector would reach them too, so while any
   * exist the hold group message names its targets (hold-selector.ts). Absent: none.
   */
  unheard?(selector: Selector): number;
  /** Expected processing time for this agent, verb and payload weight (shared's ProcessingEstimator). */
  estimateProcessing(agentId: string, query: ProcessingQuery): ProcessingEstimateView;
}

export type Routability = { readonly routable: true } | { readonly routable: false; readonly reason: string };

/** Breakers and quarantine: the engine never sends to what is not routable, and says why. */
export interface ScatterRoutes {
  routable(agent: TargetAgent): Routability;
}

/**
 * What became of one agent in one operation: ready, transit and conflict are its ACK's trinary
 * state; refused is an ACK with a refusal; unrunnable is a TRANSIT ACK whose refusal says the
 * agent could not run what it was sent (shared TRANSIT_REFUSAL: frame over its limit, verb it
 * has no handler for, payload failing the verb's schema), which is the sender's doing, not the
 * agent's; no_ack is a straggler at the deadline.
 */
export type AgentOutcome = 'ready' | 'transit' | 'conflict' | 'refused' | 'unrunnable' | 'no_ack';

/** Feeds health scores and processing estimates. */
export interface OutcomeRecorder {
  /** processingMs is the agent's own measurement from its ACK; null for no_ack. */
  recordOutcome(agentId: string, outcome: AgentOutcome, processingMs: number | null, verb: Verb, facts?: OutcomeFacts): void;
}

/** What else the lead knows about one outcome, for the health score. */
export interface OutcomeFacts {
  /** The ACK said READY without new work (cache_hit). */
  cacheHit?: boolean;
  /** no_ack: lead clock when the operation started sending; a heartbeat after it means the agent was alive and hung. */
  sentAt?: number;
  /** The operation it belongs to (an agent's recent outcomes name it). */
  operationId?: string;
}

/** Conflict ACKs (trinary -1) with their original bytes, for the conflict log. Optional. */
export interface ConflictSink {
  recordAckConflict(ack: Ack, body: Uint8Array): void;
}

/**
 * The verdict on one ACK (or CONFLICT) request; `answered` names the request once its signature
 * verified, so the transport can sign a REPLY bound to it (docs/protocol.md); retry_after_ms
 * comes with a temporary refusal such as RATE_LIMITED.
 */
export type AckReply = ({ readonly ok: true } | { readonly ok: false; readonly code: string; readonly message: string; readonly retry_after_ms?: number }) & {
  readonly answered?: { readonly messageId: string; readonly signerId: string };
};
export type AckHandler = (frame: IncomingFrame) => Promise<AckReply>;

export interface Unsubscribe {
  unsubscribe(): void;
}

/** The bus. Publishes are fire-and-forget; ACKs arrive as requests the handler answers. */
export interface ScatterTransport {
  /** subjects.coordinateGroup(leadId): every agent of the lead sees it and checks the selector. */
  publishToGroup(leadId: string, frame: SignedFrame): void;
  /** subjects.coordinateAgent(agentId). */
  publishToAgent(agentId: string, frame: SignedFrame): void;
  /** subjects.ack(leadId); the handler's reply is sent back to the agent. */
  subscribeAcks(handler: AckHandler): Unsubscribe;
}

/** Operations history: called when an operation starts, when it completes and on late ACKs (upsert by id). */
export interface OperationStore {
  save(record: OperationRecord): void;
  /** True when the store holds this operation (late ACKs for it are refused as LATE). */
  has?(operationId: string): boolean;
}

/**
 * Operations in flight, kept durable so a lead killed mid-operation resumes them (optional:
 * without one, a restart forgets what was running). The engine writes an operation when it
 * starts, each counted ACK before that ACK is answered, and removes it once decided.
 */
export interface RunJournal {
  begun(run: JournaledRun): void;
  /** Resolves once the arrival is durable; rejects when it could not be stored. */
  acked(operationId: string, arrival: AgentArrival): Promise<void>;
  /**
   * An agent sent again an ACK already counted. When storing it the first time failed (the
   * agent was refused STORE_FAILED), stores it again and resolves once durable; undefined
   * when it is already durable (or the journal keeps no such record).
   */
  redelivered?(operationId: string, agentId: string): Promise<void> | undefined;
  /** The run is decided: forgets it, running `alongside` (the history save) atomically with that where the store can. */
  ended(operationId: string, alongside: () => void): void;
  /** What was in flight when the lead last stopped, with the ACKs each had taken. */
  load(): readonly ResumableRun[];
}

/** What resuming an operation needs: its request and plan, when it started and its deadline. */
export interface JournaledRun {
  readonly operationId: string;
  readonly op: ResolvedOperation;
  readonly plan: Plan;
  readonly submittedAt: number;
  readonly startedAt: number;
  readonly deadline: number;
  readonly waived: readonly Refusal[];
}

export interface ResumableRun extends JournaledRun {
  readonly arrivals: readonly AgentArrival[];
  /**
   * Who resumes it: the same lead after a restart (the default), or another lead after a
   * failover (a replicated journal), which ends it FAILED_OVER when it cannot complete it.
   */
  readonly resumedBy?: 'lead_restart' | 'failover';
}

/** The mesh's current degradation mode (computed by the registry from the active rate). */
export interface MeshModeSource {
  mode(): MeshMode;
}

/**
 * Verifies and parses one ACK frame. Inline by default (verifier.ts); a lead under load passes
 * one that verifies on worker threads.
 */
export interface AckVerifier {
  verify(frame: IncomingFrame): Promise<Result<Verified<Ack>, AckRefusal>>;
}

/** Why an ACK frame was refused: a wire code (WireRefusal), or the verifier's own (OVERLOADED, VERIFIER_FAILED). */
export interface AckRefusal {
  readonly code: string;
  readonly message: string;
}

export interface TimerHandle {
  cancel(): void;
}

/** What a timer is for; tests count them by label. */
export type TimerLabel = 'send' | 'deadline' | 'queue-timeout' | 'history' | 'ack-backlog' | 'reply-hold';

/** Timers on the engine's clock. A task's promise is awaited (manual) or its failure logged (real). */
export interface Scheduler {
  at(timeMs: number, task: () => void | Promise<void>, label: TimerLabel): TimerHandle;
}

export interface LeadIdentity {
  /** This lead's id: its subjects' token and the signer id of what it sends. */
  readonly leadId: string;
  readonly signer: Signer;
  /** With config `ha`: the lease epoch stamped on every COORDINATE (null: none held, nothing is sent). */
  readonly leaseEpoch?: (() => number | null) | undefined;
}

/** Everything the engine needs, in one object. */
export interface ScatterDeps {
  /** Mesh time: the lead's own clock. */
  readonly clock: Clock;
  readonly scheduler: Scheduler;
  readonly identity: LeadIdentity;
  readonly targets: ScatterTargets;
  readonly routes: ScatterRoutes;
  readonly outcomes: OutcomeRecorder;
  readonly transport: ScatterTransport;
  readonly store: OperationStore;
  /** Operations in flight, durable across a crash (see RunJournal). */
  readonly journal?: RunJournal;
  readonly mode: MeshModeSource;
  readonly verifier: AckVerifier;
  readonly logger: Logger;
  readonly conflicts?: ConflictSink;
  /** Told of every COORDINATE not sent because it exceeded the wire's frame limit (for metrics). */
  readonly onOversizedFrame?: () => void;
}
