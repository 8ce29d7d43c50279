/**
 * The scatter-gather engine wired to the rest of the lead: the registry's ports with breakers,
 * freeze and quarantine on top, NATS through the lead's link (publishes retried, then
 * dead-lettered), the operations history on SQLite, and the conflict desk for CONFLICT ACKs.
 */
import type { Ack, Clock, IncomingFrame, SignedFrame } from '@mesh30k/shared';
import { nodeEd25519 } from '@mesh30k/shared/node';
import { ReplayGuard, restrictionsFor, type KeyResolver } from '@mesh30k/shared';
import { excusedBy, type LeadImpairment } from './blame.js';
import { NO_SECTOR, type LeadBreakers } from './breakers/index.js';
import type { ConflictDesk } from './conflicts/index.js';
import type { AckTap } from './delegation/index.js';
import type { EdgeTier } from './edge/index.js';
import type { ControlState } from './ingest/index.js';
import type { LimitCounters } from './lib/limit-counters.js';
import type { Logger } from './lib/logger.js';
import type { NatsLink } from './nats/nats-link.js';
import type { Registry } from './registry/index.js';
import { registryPorts } from './registry-ports.js';
import { NatsScatterTransport, RealScheduler, ScatterEngine, inlineAckVerifier, pooledAckVerifier, type AckHandler, type AckVerifier, type OperationRecord, type OperationStore, type Scheduler, type ScatterOptionsInput, type Routability, type ScatterRoutes, type TargetAgent, type ScatterTransport, type Unsubscribe, type FramePool, type RunJournal } from './scatter/index.js';
import type { DeadLetters, OperationsHistory, RunningOperations } from './store/index.js';
import { leadRunJournal } from './lead-run-journal.js';
import type { ReplySigner } from './nats/replies.js';
import type { LeadIdentity } from './trust/index.js';

/** The operations history row: the request as resolved, and the engine's record around its result. */
export function operationStore(history: OperationsHistory, clock: Clock): OperationStore {
  return {
    save(record: OperationRecord) {
      const now = clock.now();
      history.save({
        operationId: record.operationId,
        createdAt: record.result?.timings.submittedAt ?? now,
        updatedAt: now,
        status: record.state,
        verb: record.request.verb,
        priority: record.request.priority,
        request: record.request,
        result: { result: record.result, target_time: record.targetTime, plan: record.plan, skipped: record.skipped, hold_messages: record.holdMessages, late_acks: record.lateAcks },
      });
    },
    has: (operationId) => history.has(operationId),
  };
}

const decoder = new TextDecoder();

/**
 * The engine's bus over the lead's NATS link. A publish is tried `attempts` times (the client
 * throws when the connection is closed or the subject is bad); a send that still fails is a
 * dead letter, and the error goes back to the engine, which skips the agent as send_failed.
 */
export class LinkTransport implements ScatterTransport {
  private acks: { handler: AckHandler; sub: Unsubscribe | null } | null = null;

  constructor(
    private readonly deps: { link: NatsLink; leadId: string; deadLetters: DeadLetters; clock: Clock; logger: Logger; replies: ReplySigner },
    private readonly attempts: number,
  ) {}

  publishToGroup(leadId: string, frame: SignedFrame): void {
    this.withRetries(frame, null, (t) => t.publishToGroup(leadId, frame));
  }

  publishToAgent(agentId: string, frame: SignedFrame): void {
    this.withRetries(frame, agentId, (t) => t.publishToAgent(agentId, frame));
  }

  subscribeAcks(handler: AckHandler): Unsubscribe {
    this.acks = { handler, sub: null };
    this.connected();
    return {
      unsubscribe: () => {
        this.acks?.sub?.unsubscribe();
        this.acks = null;
      },
    };
  }

  /** Called once NATS is connected: the ACK subscription is made then (the client keeps it across reconnects). */
  connected(): void {
    const transport = this.transport();
    if (this.acks === null || this.acks.sub !== null || transport === null) return;
    this.acks.sub = transport.subscribeAcks(this.acks.handler);
  }

  private transport(): NatsScatterTransport | null {
    const connection = this.deps.link.connection;
    return connection === undefined ? null : new NatsScatterTransport({ connection, leadId: this.deps.leadId, log: this.deps.logger, replies: this.deps.replies });
  }

  private withRetries(frame: SignedFrame, agentId: string | null, send: (t: NatsScatterTransport) => void): void {
    let last: unknown;
    for (let attempt = 1; attempt <= this.attempts; attempt++) {
      try {
        const transport = this.transport();
        if (transport === null) throw new Error('NATS is not connected');
        send(transport);
        return;
      } catch (error) {
        last = error;
      }
    }
    const reason = last instanceof Error ? last.message : String(last);
    this.deps.deadLetters.add({
      createdAt: this.deps.clock.now(),
      operationId: operationIdOf(frame),
      agentId,
      kind: agentId === null ? 'coordinate.group' : 'coordinate.agent',
      reason,
      attempts: this.attempts,
      payload: { signer_id: frame.signerId, signature: frame.signature, body: decoder.decode(frame.body) },
    });
    throw last instanceof Error ? last : new Error(reason);
  }
}

function operationIdOf(frame: SignedFrame): string | null {
  try {
    const parsed = JSON.parse(decoder.decode(frame.body)) as { operation_id?: unknown };
    return typeof parsed.operation_id === 'string' ? parsed.operation_id : null;
  } catch {
    return null;
  }
}

/**
 * The ACK verifier, remembering the signature of CONFLICT ACKs by their verified bytes so the
 * conflict log keeps them exactly as they arrived.
 */
function conflictAwareVerifier(inner: AckVerifier, signatures: WeakMap<Uint8Array, { signerId: string; signature: string }>): AckVerifier {
  return {
    async verify(frame: IncomingFrame) {
      const result = await inner.verify(frame);
      if (result.ok && result.value.message.conflict !== undefined) {
        signatures.set(result.value.body, { signerId: result.value.signerId, signature: frame.signature ?? '' });
      }
      return result;
    },
  };
}

const withAckTap = (tap: AckTap | undefined, verifier: AckVerifier): AckVerifier => tap?.wrap(verifier) ?? verifier;

export interface LeadScatterDeps {
  clock: Clock;
  logger: Logger;
  identity: LeadIdentity;
  registry: Registry;
  breakers: LeadBreakers;
  control: ControlState;
  conflicts: ConflictDesk;
  link: NatsLink;
  history: OperationsHistory;
  /** Operations in flight, so a lead killed mid-operation resumes them (lead-run-journal.ts). */
  running?: RunningOperations;
  /** Wraps that journal (the JetStream mirror of store.backend jetstream, src/replication/operations). */
  wrapJournal?: (journal: RunJournal) => RunJournal;
  deadLetters: DeadLetters;
  resolveKey: KeyResolver;
  /**
   * Agent ids enrolled with this lead (trusted now): those not in the registry make a hold group
   * message name its targets instead of carrying the operation's selector (scatter/hold-selector.ts).
   */
  enrolledAgents?: () => Iterable<string>;
  /** Worker threads to check ACK signatures on; absent, ACKs are verified on the event loop. */
  framePool?: FramePool;
  replayTtlMs: number;
  replaySkewMs: number;
  /** Default: real timers on the lead's clock. */
  scheduler?: Scheduler;
  /** The edge tier: Workers reached over HTTPS, their keys and breakers (src/edge). */
  edge?: EdgeTier;
  /** Keeps the ACKs delegations wait for, so their results carry the ACK's payload (src/delegation). */
  ackTap?: AckTap;
  /** Counts the lead's limit hits (COORDINATE frames over the wire limit). */
  limits?: LimitCounters;
  /** The guard rails: a straggler while the lead itself was impaired is not held against the agent (src/blame.ts). */
  guard?: LeadImpairment;
}

export interface LeadScatter {
  readonly engine: ScatterEngine;
  readonly transport: LinkTransport;
}

/**
 * In a mode that routes to healthy sectors only (shared restrictionsFor), an agent whose
 * sector breaker is not closed (open, or half-open and still on trial) is not routed to.
 */
export function healthySectorsOnly(deps: { registry: Pick<Registry, 'mode'>; breakers: Pick<LeadBreakers, 'list'> }, agent: TargetAgent): Routability | null {
  const mode = deps.registry.mode;
  if (!restrictionsFor(mode).routeHealthySectorsOnly) return null;
  const sectorId = agent.sectorId ?? NO_SECTOR;
  const sick = deps.breakers.list().find((b) => b.scope === 'sector' && b.targetId === sectorId && b.state !== 'closed' && !b.metricsOnly);
  return sick === undefined ? null : { routable: false, reason: `mode ${mode} routes to healthy sectors only; sector ${sectorId} breaker is ${sick.state}` };
}

export function buildLeadScatter(deps: LeadScatterDeps, options: ScatterOptionsInput, sendAttempts: number): LeadScatter {
  const ports = registryPorts(deps.registry, deps.enrolledAgents);
  const log = deps.logger;
  const signatures = new WeakMap<Uint8Array, { signerId: string; signature: string }>();
  const replies = { leadId: deps.identity.leadId, signer: deps.identity.signer, clock: deps.clock };
  const transport = new LinkTransport({ link: deps.link, leadId: deps.identity.leadId, deadLetters: deps.deadLetters, clock: deps.clock, logger: log, replies }, sendAttempts);
  const leadRoutes: ScatterRoutes = {
    routable: (agent) => {
      if (deps.control.isFrozen(agent.clusterId, agent.sectorId ?? undefined)) return { routable: false, reason: 'frozen' };
      const registry = ports.routes.routable(agent);
      if (!registry.routable) return registry;
      const sector = healthySectorsOnly(deps, agent);
      return sector ?? deps.breakers.routable(agent);
    },
  };
  const { edge } = deps;
  const routes = edge === undefined ? leadRoutes : edge.routes(leadRoutes);
  const history = operationStore(deps.history, deps.clock);
  const resolveKey = edge === undefined ? deps.resolveKey : edge.keyResolver(deps.resolveKey);
  const replay = new ReplayGuard({ clock: deps.clock, ttlMs: deps.replayTtlMs, skewMs: deps.replaySkewMs });
  const engine = new ScatterEngine(
    {
      clock: deps.clock,
      scheduler: deps.scheduler ?? new RealScheduler({ clock: deps.clock, onError: (error, label) => log.error({ err: error, timer: label }, 'scatter timer failed') }),
      identity: { leadId: deps.identity.leadId, signer: deps.identity.signer, leaseEpoch: deps.identity.leaseEpoch },
      targets: ports.targets,
      routes,
      outcomes: {
        recordOutcome: (agentId, outcome, processingMs, verb, facts = {}) => {
          const excuse = deps.guard === undefined ? null : excusedBy(outcome, facts, deps.guard);
          if (excuse !== null) {
            log.info({ event: 'outcome.excused', agent_id: agentId, outcome, reason: excuse }, 'no ACK while the lead itself was impaired: not held against the agent');
            return;
          }
          ports.outcomes.recordOutcome(agentId, outcome, processingMs, verb, facts);
          deps.breakers.observe(agentId, outcome);
        },
      },
      transport: edge === undefined ? transport : edge.transport(transport),
      store: edge === undefined ? history : edge.operationStore(history),
      ...(deps.running === undefined ? {} : { journal: (deps.wrapJournal ?? ((j: RunJournal) => j))(leadRunJournal(deps.running, log)) }),
      mode: ports.mode,
      verifier: withAckTap(
        deps.ackTap,
        conflictAwareVerifier(
          deps.framePool === undefined ? inlineAckVerifier({ ed25519: nodeEd25519, resolveKey, replay }) : pooledAckVerifier({ pool: deps.framePool, resolveKey, replay }),
          signatures,
        ),
      ),
      logger: log,
      onOversizedFrame: () => deps.limits?.hit('coordinate_frame'),
      conflicts: {
        recordAckConflict: (ack: Ack, body: Uint8Array) => {
          const signed = signatures.get(body) ?? { signerId: ack.agent_id, signature: '' };
          deps.conflicts.fromAck(ack, { body, ...signed });
        },
      },
    },
    options,
  );
  return { engine, transport };
}
