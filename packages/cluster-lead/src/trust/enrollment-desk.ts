/**
 * One-step enrollment on the lead ("permit join"): agents' ENROLL_REQUESTs on subjects.join
 * become pending entries; an operator accepts (the lead signs with the root key when it holds
 * it) or rejects them. The lead also answers subjects.announce with its own root-signed
 * enrollment, so agents that pin only the mesh root learn its key. Each lead of an HA group has
 * its own key: the one acting publishes its enrollment on subjects.leadKey when it starts (for
 * an HA lead, when it takes the lease) and answers announce requests only while it holds the
 * lease, so agents learn the holder's key and never a fenced lead's.
 */
import { decodePublicKey, err, ok, subjects, verifyAndParse, verifyEnrollmentRequest, type EnrollRequest, type KeyPair, type SignedRecord } from '@mesh30k/shared';
import { nodeEd25519 } from '@mesh30k/shared/node';
import type { NatsConnection, Subscription } from 'nats';
import { describeError } from '../lib/errors.js';
import { LEAD_EVENTS, type EventBus } from '../lib/events.js';
import type { Logger } from '../lib/logger.js';
import { frameOf } from '../nats/frames.js';
import { enrollOne, revokeOne, type EnrollDeps, type EnrollOutcome } from './enroll-one.js';
import { PendingEnrollments, type PendingEnrollment, type PendingState } from './pending-enrollments.js';
import { signRequest, type EnrollmentOverrides } from './sign-request.js';

export interface EnrollmentDeskDeps extends EnrollDeps {
  readonly events: EventBus;
  readonly logger: Logger;
  readonly leadId: string;
  /** The mesh root key, only when trust.root_key_path puts it on this lead. */
  readonly rootKey: KeyPair | undefined;
  /** This lead's root-signed enrollment (trust.lead_enrollment), served on subjects.announce. */
  readonly leadEnrollment: SignedRecord | undefined;
  /** With config `ha`: whether this lead holds the lease now (announce requests go unanswered otherwise). */
  readonly holdsLease?: () => boolean;
  readonly pending?: PendingEnrollments;
}

/** The answer on subjects.join. */
export type JoinReply = { ok: true; state: PendingState | 'accepted' } | { ok: false; code: string; message: string };

export type AcceptOutcome = EnrollOutcome | { readonly ok: false; readonly code: 'NOT_PENDING' | 'ROOT_KEY_ABSENT'; readonly message: string };

const encoder = new TextEncoder();

export class EnrollmentDesk {
  readonly pending: PendingEnrollments;
  private subscriptions: Subscription[] = [];

  constructor(private readonly deps: EnrollmentDeskDeps) {
    this.pending = deps.pending ?? new PendingEnrollments();
  }

  get holdsRootKey(): boolean {
    return this.deps.rootKey !== undefined;
  }

  subscribe(nc: NatsConnection): void {
    if (this.subscriptions.length > 0) return;
    this.subscriptions.push(
      nc.subscribe(subjects.join(this.deps.leadId), {
        callback: (_error, msg) => {
          this.handleJoin(frameOf(msg))
            .then((reply) => msg.respond(encoder.encode(JSON.stringify(reply))))
            .catch((error: unknown) => this.deps.logger.error({ err: describeError(error) }, 'enrollment request failed'));
        },
      }),
    );
    const announcement = this.deps.leadEnrollment;
    if (announcement !== undefined) {
      const body = encoder.encode(JSON.stringify(announcement));
      const holds = this.deps.holdsLease ?? (() => true);
      this.subscriptions.push(
        nc.subscribe(subjects.announce(this.deps.leadId), {
          callback: (_error, msg) => {
            if (holds()) msg.respond(body);
          },
        }),
      );
      // Agents listening learn this lead's key before its first reply reaches them.
      if (holds()) nc.publish(subjects.leadKey(this.deps.leadId), body);
    }
  }

  unsubscribe(): void {
    for (const subscription of this.subscriptions) subscription.unsubscribe();
    this.subscriptions = [];
  }

  /**
   * An ENROLL_REQUEST is signed by the key it asks to enroll, whose text is its signer id: no
   * enrollment can name that key yet. The signed request inside must name the same key.
   */
  async handleJoin(frame: ReturnType<typeof frameOf>): Promise<JoinReply> {
    const { clock, trust, logger, events } = this.deps;
    const verified = await verifyAndParse(frame, {
      ed25519: nodeEd25519,
      accept: ['ENROLL_REQUEST'],
      resolveKey: (signerId) => {
        const key = decodePublicKey(signerId);
        return key === undefined ? err({ code: 'UNKNOWN_SIGNER', message: 'an ENROLL_REQUEST is signed by the key it asks to enroll; the signer id must be that key' }) : ok(key);
      },
    });
    if (!verified.ok) return { ok: false, code: verified.error.code, message: verified.error.message };
    const message = verified.value.message as EnrollRequest;
    const request = await verifyEnrollmentRequest(nodeEd25519, message.request);
    if (!request.ok) return { ok: false, code: request.error.code, message: request.error.message };
    if (request.value.public_key !== verified.value.signerId) return { ok: false, code: 'SIGNER_MISMATCH', message: 'the request names a different key from the one that signed the message' };

    const known = trust.lookup(request.value.agent_id);
    if (known.ok && known.value.keys.some((key) => key.publicKeyText === request.value.public_key)) return { ok: true, state: 'accepted' };
    const now = clock.now();
    const noted = this.pending.note(request.value, message.request, now);
    if (noted.isNew) {
      events.emit({
        name: LEAD_EVENTS.enrollmentRequested,
        at: now,
        agentId: request.value.agent_id,
        publicKey: request.value.public_key,
        clusterId: request.value.cluster_id,
        reason: `${noted.replacedKey ? 'asks again with a different key; ' : ''}accept with: mesh enroll accept ${request.value.agent_id}`,
      });
    } else {
      logger.debug({ agent_id: request.value.agent_id, state: noted.state }, 'enrollment request repeated');
    }
    return { ok: true, state: noted.state };
  }

  list(state?: PendingState): PendingEnrollment[] {
    return this.pending.list(state);
  }

  /** Signs the pending request with the root key this lead holds and enrolls it. */
  async accept(agentId: string, overrides: EnrollmentOverrides, by: string | undefined): Promise<AcceptOutcome> {
    const entry = this.pending.get(agentId);
    if (entry === undefined) return { ok: false, code: 'NOT_PENDING', message: `no enrollment request from "${agentId}" on this lead` };
    const root = this.deps.rootKey;
    if (root === undefined) {
      return { ok: false, code: 'ROOT_KEY_ABSENT', message: 'this lead does not hold the mesh root key (trust.root_key_path); sign on the operator side: mesh enroll accept AGENT --root-key FILE' };
    }
    const signed = await signRequest(root, entry.request, this.deps.clock.now(), overrides);
    if (!signed.ok) return { ok: false, code: signed.error.code, message: signed.error.message };
    return this.enrollSigned(signed.value, by);
  }

  /** A root-signed enrollment (from accept, the console or POST /v1/enrollments): trusted, saved, no longer pending. */
  async enrollSigned(signed: unknown, by: string | undefined): Promise<EnrollOutcome> {
    const outcome = await enrollOne(this.deps, signed);
    if (outcome.ok) {
      const entry = this.pending.get(outcome.agentId);
      this.pending.remove(outcome.agentId);
      const record = this.deps.trust.lookup(outcome.agentId);
      this.deps.events.emit({
        name: LEAD_EVENTS.enrollmentAccepted,
        at: this.deps.clock.now(),
        agentId: outcome.agentId,
        publicKey: record.ok ? record.value.record.public_key : (entry?.request.public_key ?? ''),
        clusterId: record.ok ? record.value.record.cluster_id : (entry?.request.cluster_id ?? ''),
        ...(by === undefined ? {} : { by }),
      });
    }
    return outcome;
  }

  reject(agentId: string, reason: string, by: string | undefined): PendingEnrollment | undefined {
    const now = this.deps.clock.now();
    if (!this.pending.reject(agentId, now, reason)) return undefined;
    const entry = this.pending.get(agentId)!;
    this.deps.events.emit({ name: LEAD_EVENTS.enrollmentRejected, at: now, agentId, publicKey: entry.request.public_key, clusterId: entry.request.cluster_id, reason, ...(by === undefined ? {} : { by }) });
    return entry;
  }

  revoke(agentId: string): boolean {
    return revokeOne(this.deps, agentId);
  }
}
