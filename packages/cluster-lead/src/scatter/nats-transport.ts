/**
 * The scatter engine's bus over NATS: COORDINATE frames published on the group or agent
 * subject with the signature headers beside the body, and ACK requests answered with the
 * engine's verdict in a REPLY signed by the lead, as docs/protocol.md describes.
 */
import { SIGNATURE_HEADER, SIGNER_HEADER, subjects } from '@mesh30k/shared';
import type { SignedFrame } from '@mesh30k/shared';
import { headers } from 'nats';
import type { Msg, MsgHdrs, NatsConnection } from 'nats';
import type { Logger } from 'pino';
import { answerWith, type ReplySigner } from '../nats/replies.js';
import type { AckHandler, AckReply, ScatterTransport, Unsubscribe } from './ports.js';

/** Leads serving one lead id share the ACK subject as a queue group, as they do heartbeats. */
export const ACK_QUEUE_GROUP = 'leads';

export interface NatsTransportDeps {
  readonly connection: NatsConnection;
  /** The lead whose ACK subject this transport serves. */
  readonly leadId: string;
  readonly log: Logger;
  /** Signs the verdict on each ACK. */
  readonly replies: ReplySigner;
}

export class NatsScatterTransport implements ScatterTransport {
  constructor(private readonly deps: NatsTransportDeps) {}

  publishToGroup(leadId: string, frame: SignedFrame): void {
    this.deps.connection.publish(subjects.coordinateGroup(leadId), frame.body, { headers: frameHeaders(frame) });
  }

  publishToAgent(agentId: string, frame: SignedFrame): void {
    this.deps.connection.publish(subjects.coordinateAgent(agentId), frame.body, { headers: frameHeaders(frame) });
  }

  subscribeAcks(handler: AckHandler): Unsubscribe {
    const subscription = this.deps.connection.subscribe(subjects.ack(this.deps.leadId), {
      queue: ACK_QUEUE_GROUP,
      callback: (error, msg) => {
        if (error !== null) {
          this.deps.log.error({ err: error }, 'ack subscription failed');
          return;
        }
        this.answer(msg, handler);
      },
    });
    return { unsubscribe: () => subscription.unsubscribe() };
  }

  private answer(msg: Msg, handler: AckHandler): void {
    const frame = { body: msg.data, signerId: msg.headers?.get(SIGNER_HEADER), signature: msg.headers?.get(SIGNATURE_HEADER) };
    handler(frame)
      .catch((error: unknown): AckReply => {
        this.deps.log.error({ err: error }, 'ack handler failed');
        return { ok: false, code: 'INTERNAL', message: 'the lead could not process the ack' };
      })
      .then((reply) => answerWith(msg, this.deps.replies, reply))
      .catch((error: unknown) => this.deps.log.error({ err: error }, 'ack reply failed'));
  }
}

function frameHeaders(frame: SignedFrame): MsgHdrs {
  const h = headers();
  h.set(SIGNER_HEADER, frame.signerId);
  h.set(SIGNATURE_HEADER, frame.signature);
  return h;
}

