/**
 * What an agent does while its lead does not know it: says so plainly (warn, then again every
 * few minutes), and asks to join with a signed ENROLL_REQUEST on subjects.join at most every
 * `retryMs`. It keeps heartbeating meanwhile: once an operator accepts, the next heartbeat is
 * accepted, with no file to copy and no restart.
 */
import { PROTOCOL_VERSION, createEnrollmentRequest, newMessageId, publicKeyText, type AgentClass, type Clock, type EnrollRequest, type KeyPair } from '@mesh30k/shared';
import type { NodeSigner } from '@mesh30k/shared/node';
import type { Logger } from 'pino';
import { LogEvent } from '../logging/events.js';
import type { Bus } from '../nats/bus.js';
import { isBusError } from '../nats/errors.js';
import { parseUnsignedRefusal, requestSigned } from '../nats/frames.js';

export interface EnrollmentWaiterDeps {
  bus: Bus;
  clock: Clock;
  log: Logger;
  keys: KeyPair;
  signer: NodeSigner;
  leadId: string;
  identity: { agentId: string; clusterId: string; sectorId?: string | undefined; agentClass: AgentClass; capabilities: readonly string[] };
  retryMs?: number;
  /** How often the waiting line is repeated at warn. */
  remindMs?: number;
  requestTimeoutMs?: number;
}

/** Heartbeat's view: told of a NOT_ENROLLED refusal and of an accepted beat. */
export interface EnrollmentHooks {
  notEnrolled(): void;
  accepted(): void;
  readonly waiting: boolean;
}

export const JOIN_RETRY_MS = 30_000;
const REMIND_MS = 5 * 60_000;
const REQUEST_TIMEOUT_MS = 2_000;

export class EnrollmentWaiter implements EnrollmentHooks {
  private since: number | undefined;
  private lastRequestAt = -Infinity;
  private lastWarnAt = -Infinity;
  private inFlight = false;
  private lastState: string | undefined;

  constructor(private readonly deps: EnrollmentWaiterDeps) {}

  get waiting(): boolean {
    return this.since !== undefined;
  }

  notEnrolled(): void {
    const now = this.deps.clock.now();
    this.since ??= now;
    if (now - this.lastWarnAt >= (this.deps.remindMs ?? REMIND_MS)) {
      this.lastWarnAt = now;
      const { agentId } = this.deps.identity;
      this.deps.log.warn(
        { event: LogEvent.ENROLLMENT_WAITING, lead: this.deps.leadId, public_key: publicKeyText(this.deps.keys.publicKey), waiting_s: Math.round((now - this.since) / 1000), state: this.lastState },
        `waiting for enrollment: lead ${this.deps.leadId} does not know this agent yet; an operator accepts it with: mesh enroll accept ${agentId}`,
      );
    }
    if (!this.inFlight && now - this.lastRequestAt >= (this.deps.retryMs ?? JOIN_RETRY_MS)) {
      this.lastRequestAt = now;
      this.inFlight = true;
      void this.requestToJoin().finally(() => (this.inFlight = false));
    }
  }

  accepted(): void {
    if (this.since === undefined) return;
    this.deps.log.info({ event: LogEvent.ENROLLMENT_ACCEPTED, lead: this.deps.leadId, waited_s: Math.round((this.deps.clock.now() - this.since) / 1000) }, 'enrolled: the lead accepts this agent\'s heartbeats now');
    this.since = undefined;
    this.lastWarnAt = -Infinity;
    this.lastRequestAt = -Infinity;
    this.lastState = undefined;
  }

  private async requestToJoin(): Promise<void> {
    const { bus, clock, log, keys, signer, leadId, identity } = this.deps;
    const keyText = publicKeyText(keys.publicKey);
    const now = clock.now();
    const request = await createEnrollmentRequest(signer, {
      v: PROTOCOL_VERSION,
      agent_id: identity.agentId,
      public_key: keyText,
      role: 'agent',
      class: identity.agentClass,
      capabilities: [...identity.capabilities],
      cluster_id: identity.clusterId,
      ...(identity.sectorId === undefined ? {} : { sector_id: identity.sectorId }),
      created_at: now,
    });
    if (!request.ok) {
      log.error({ event: LogEvent.ENROLLMENT_REQUEST_FAILED, err: request.error }, `cannot build an enrollment request: ${request.error.message}`);
      return;
    }
    // Signed by the key it asks to enroll: its text is the sender id, since no enrollment names it yet.
    const message: EnrollRequest = { v: PROTOCOL_VERSION, message_id: newMessageId(now), sender_id: keyText, created_at: now, ttl_ms: 30_000, kind: 'ENROLL_REQUEST', request: request.value };
    try {
      const reply = await requestSigned(bus, { family: 'join', id: leadId }, message, { id: keyText, signer }, this.deps.requestTimeoutMs ?? REQUEST_TIMEOUT_MS);
      // The join answer is unsigned by design (the agent is not enrolled yet, so nothing rides on it).
      const answer = parseUnsignedRefusal(reply.data);
      const state = answer.ok ? (JSON.parse(new TextDecoder().decode(reply.data)) as { state?: unknown }).state : undefined;
      this.lastState = answer.ok ? (typeof state === 'string' ? state : 'sent') : `refused: ${answer.code}`;
      if (!answer.ok) log.warn({ event: LogEvent.ENROLLMENT_REQUEST_FAILED, code: answer.code }, `the lead refused the enrollment request: ${answer.message}`);
      else log.info({ event: LogEvent.ENROLLMENT_WAITING, state: this.lastState }, `enrollment request ${this.lastState} on lead ${leadId}`);
    } catch (error) {
      if (!isBusError(error)) throw error;
      this.lastState = `not delivered: ${error.code}`;
      log.warn({ event: LogEvent.ENROLLMENT_REQUEST_FAILED, code: error.code }, `enrollment request not delivered (${error.code}); retried in ${Math.round((this.deps.retryMs ?? JOIN_RETRY_MS) / 1000)} s`);
    }
  }
}
