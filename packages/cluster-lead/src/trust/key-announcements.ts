import {
  err,
  ok,
  rotateKey,
  subjects,
  verifyAndParse,
  verifyEnrollment,
  type Clock,
  type Enrollment,
  type KeyResolver,
  type KeyRotation,
  type TrustStore,
} from '@mesh30k/shared';
import { nodeEd25519 } from '@mesh30k/shared/node';
import type { NatsConnection, Subscription } from 'nats';
import { describeError } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import { frameOf } from '../nats/frames.js';
import { answerWith, type Answered, type ReplySigner } from '../nats/replies.js';
import type { LeadStore } from '../store/index.js';
import { saveTrust } from './trust-setup.js';

export interface KeyAnnouncementDeps {
  clock: Clock;
  trust: TrustStore;
  roots: readonly Uint8Array[];
  store: LeadStore;
  logger: Logger;
  leadId: string;
  /** Signs the verdict on each announcement. */
  replies: ReplySigner;
}

export type AnnouncementReply = ({ ok: true } | { ok: false; code: string; message: string }) & { answered?: Answered };

/**
 * Key rotations and enrollments announced on `subjects.enroll(leadId)`. A KEY_ROTATION is
 * signed by the agent's current key and applied with shared's rotateKey, after which both keys
 * verify until the overlap ends. An ENROLLMENT carries a root-signed record, verified against
 * the mesh roots whoever relays it. Either way the trust store is saved, and the sender gets
 * a REPLY signed by the lead: ok or the refusal.
 */
export class KeyAnnouncements {
  private subscription: Subscription | undefined;
  private readonly resolveAny: KeyResolver;

  constructor(private readonly deps: KeyAnnouncementDeps) {
    this.resolveAny = (signerId) => {
      const found = deps.trust.lookup(signerId);
      return found.ok ? ok(found.value.keys.map((key) => key.publicKey)) : err({ code: found.error.code, message: found.error.message });
    };
  }

  subscribe(nc: NatsConnection): void {
    if (this.subscription !== undefined) return;
    this.subscription = nc.subscribe(subjects.enroll(this.deps.leadId), {
      callback: (_error, msg) => {
        this.handle(frameOf(msg))
          .then((reply) => answerWith(msg, this.deps.replies, reply))
          .catch((error: unknown) => this.deps.logger.error({ err: describeError(error) }, 'key announcement failed'));
      },
    });
  }

  unsubscribe(): void {
    this.subscription?.unsubscribe();
    this.subscription = undefined;
  }

  async handle(frame: ReturnType<typeof frameOf>): Promise<AnnouncementReply> {
    const { clock, trust, roots, store, logger } = this.deps;
    const verified = await verifyAndParse(frame, { ed25519: nodeEd25519, resolveKey: this.resolveAny, accept: ['KEY_ROTATION', 'ENROLLMENT'] });
    if (!verified.ok) return { ok: false, code: verified.error.code, message: verified.error.message };
    const message = verified.value.message as KeyRotation | Enrollment;
    const answered = { messageId: message.message_id, signerId: verified.value.signerId };
    const result =
      message.kind === 'KEY_ROTATION'
        ? await rotateKey(nodeEd25519, trust, message.rotation, clock)
        : await verifyEnrollment(nodeEd25519, roots, message.enrollment, clock).then((enrollment) => (enrollment.ok ? trust.add(enrollment.value) : enrollment));
    if (!result.ok) {
      logger.warn({ kind: message.kind, signer_id: verified.value.signerId, code: result.error.code }, 'key announcement refused');
      return { ok: false, code: result.error.code, message: result.error.message, answered };
    }
    saveTrust(store, trust);
    logger.info({ kind: message.kind, agent_id: result.value.agentId }, 'trust store updated');
    return { ok: true, answered };
  }
}
