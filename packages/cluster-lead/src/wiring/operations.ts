/**
 * Operations: the scatter engine on the lead's link, admission (freeze, degradation mode,
 * payload limits), delegations from other leads, what the mode asks beyond admission, and the
 * dead letters of sends that failed, with a replayer per kind.
 */
import { restrictionsFor, type Clock, type SignedFrame } from '@mesh30k/shared';
import { OperationMetrics } from '../api/index.js';
import type { LeadBreakers } from '../breakers/index.js';
import type { LeadConfig } from '../config/index.js';
import type { ConflictDesk, ParentEscalation } from '../conflicts/index.js';
import { ModeReactions, Operations, type FreezeControl } from '../control/index.js';
import { DeadLetterDesk, coordinateReplayer, delegationReplayer, escalationReplayer } from '../dead-letters/index.js';
import { AckTap, DELEGATION_DEAD_LETTER_KIND, DelegationDesk, createDelegator } from '../delegation/index.js';
import type { EdgeTier } from '../edge/index.js';
import type { ControlState, FrameVerifier } from '../ingest/index.js';
import { LEAD_EVENTS, type EventBus } from '../lib/events.js';
import type { LimitCounters } from '../lib/limit-counters.js';
import type { Logger } from '../lib/logger.js';
import { buildLeadScatter } from '../lead-scatter.js';
import type { NatsLink } from '../nats/nats-link.js';
import type { GuardRails, Registry } from '../registry/index.js';
import type { RunJournal, Scheduler } from '../scatter/index.js';
import type { LeadStore, SnapshotWriter } from '../store/index.js';
import type { LeadIdentity } from '../trust/index.js';
import type { LeadTrust } from './trust.js';

export interface OperationsDeps {
  readonly config: LeadConfig;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly events: EventBus;
  readonly store: LeadStore;
  readonly link: NatsLink;
  readonly identity: LeadIdentity;
  readonly resolveKey: LeadTrust['resolveKey'];
  /** Agent ids enrolled with this lead (its trust store): who could see a group COORDINATE (lead-scatter.ts). */
  readonly enrolledAgents?: () => Iterable<string>;
  readonly registry: Registry;
  readonly snapshot: SnapshotWriter;
  readonly breakers: LeadBreakers;
  readonly control: ControlState;
  readonly freeze: FreezeControl;
  readonly conflicts: ConflictDesk;
  readonly escalate: ParentEscalation | undefined;
  readonly verifier: FrameVerifier;
  readonly edge: EdgeTier;
  readonly limits: LimitCounters;
  readonly publishFrame: (subject: string, frame: SignedFrame) => void;
  /** Knows when the lead itself was impaired, so a missing ACK then is not blamed on the agent. */
  readonly guard: GuardRails;
  readonly scheduler: Scheduler | undefined;
  /** Wraps the run journal (store.backend jetstream: the mirror, wiring/ops-replication.ts). */
  readonly wrapJournal?: (journal: RunJournal) => RunJournal;
  /** False: the caller starts the engine itself (after a takeover has read the replicated runs). */
  readonly startEngine?: boolean;
}

export function buildOperations(deps: OperationsDeps) {
  const { config, clock, logger, events, store, registry, freeze, limits } = deps;
  const ackTap = new AckTap();
  const { engine, transport } = buildLeadScatter(
    {
      clock,
      logger: logger.child({ domain: 'scatter' }),
      identity: deps.identity,
      registry,
      breakers: deps.breakers,
      control: deps.control,
      conflicts: deps.conflicts,
      link: deps.link,
      history: store.operations,
      running: store.running,
      ...(deps.wrapJournal === undefined ? {} : { wrapJournal: deps.wrapJournal }),
      deadLetters: store.deadLetters,
      resolveKey: deps.resolveKey,
      ...(deps.enrolledAgents === undefined ? {} : { enrolledAgents: deps.enrolledAgents }),
      // With a verify pool, ACK signatures are checked on its threads too.
      ...(deps.verifier.threads > 0 ? { framePool: deps.verifier } : {}),
      edge: deps.edge,
      ackTap,
      limits,
      guard: deps.guard,
      replayTtlMs: config.ingest.replay_ttl_ms,
      replaySkewMs: config.ingest.replay_skew_ms,
      ...(deps.scheduler === undefined ? {} : { scheduler: deps.scheduler }),
    },
    {
      maxInFlight: config.scatter.max_in_flight,
      maxQueued: config.scatter.max_queued,
      agingStepMs: config.scatter.aging_step_ms,
      maxQueueWaitMs: config.scatter.max_queue_wait_ms,
      holdMarginMs: config.scatter.hold_margin_ms,
      ackReturnSlackMs: config.scatter.ack_return_slack_ms,
      ackBacklogMaxMs: config.scatter.ack_backlog_max_ms,
      resumeGraceMs: config.scatter.resume_grace_ms,
    },
    config.scatter.send_attempts,
  );
  if (deps.startEngine !== false) engine.start();

  const reactions = new ModeReactions({ logger: logger.child({ domain: 'mode' }), now: () => clock.now(), preserveState: () => deps.snapshot.flush(), fleetSize: () => registry.size }, registry.mode);
  events.on((event) => {
    if (event.name !== LEAD_EVENTS.modeChanged) return;
    engine.modeChanged();
    reactions.modeChanged(event.from, event.to);
  });

  const metrics = new OperationMetrics();
  const operations = new Operations({
    clock,
    engine,
    history: store.operations,
    admissionRefusal: () => freeze.admissionRefusal(),
    onOutcome: (outcome) => metrics.record(outcome),
    onRefused: (refusal) => {
      if ('limit' in refusal && refusal.limit !== undefined) limits.hit(`payload_${refusal.limit}`);
    },
  });
  const delegations = new DelegationDesk(
    createDelegator({
      clock,
      engine,
      registry,
      deadLetters: store.deadLetters,
      logger: logger.child({ domain: 'delegation' }),
      acks: ackTap,
      precheck: (agent) => (deps.control.isFrozen(agent.clusterId, agent.sectorId ?? undefined) ? 'frozen' : null),
      admissionRefusal: () => freeze.admissionRefusal(),
      retryTimeoutFactor: () => restrictionsFor(registry.mode).retryTimeoutFactor,
    }),
    () => clock.now(),
  );

  store.deadLetters.retain({ maxRows: config.dead_letters.max_rows, maxAgeMs: config.dead_letters.max_age_ms });
  const replayCoordinate = coordinateReplayer({ leadId: config.lead_id, now: () => clock.now(), publish: deps.publishFrame });
  const deadLetters = new DeadLetterDesk({
    store: store.deadLetters,
    logger: logger.child({ domain: 'dead-letters' }),
    now: () => clock.now(),
    replayers: {
      'coordinate.agent': replayCoordinate,
      'coordinate.group': replayCoordinate,
      'conflict.escalation': escalationReplayer({ now: () => clock.now(), escalate: deps.escalate }),
      [DELEGATION_DEAD_LETTER_KIND]: delegationReplayer({ start: (raw) => delegations.start(raw) }),
    },
  });
  deadLetters.prune();
  return { ackTap, engine, transport, reactions, metrics, operations, delegations, deadLetters };
}

export type LeadOperations = ReturnType<typeof buildOperations>;
