/**
 * The lead's answers to requests that let the requester drop or change state (an ACK or
 * CONFLICT it may delete from its outbox, a key announcement): a REPLY signed with the lead's
 * key, naming the request and the requester, as docs/protocol.md lists. A request whose own
 * signature did not verify gets an unsigned refusal: the lead vouches for nothing about bytes
 * it could not authenticate, and the requester treats an unsigned answer as no answer.
 */
import { encodeMessage, newMessageId, PROTOCOL_VERSION, type Clock, type Reply, type SignedFrame, type Signer } from '@mesh30k/shared';
import type { IncomingFrame } from '@mesh30k/shared';
import type { Msg, NatsConnection, Subscription } from 'nats';
import type { Logger } from '../lib/logger.js';
import { frameHeaders, frameOf } from './frames.js';

/** The verified request a verdict answers. */
export interface Answered {
  readonly messageId: string;
  readonly signerId: string;
}

export type Verdict =
  /** `cascade`: a child lead's confirmation of a cascade COORDINATE (only there). */
  | { readonly ok: true; readonly cascade?: Reply['cascade'] }
  | { readonly ok: false; readonly code: string; readonly message: string; readonly retry_after_ms?: number };

export interface ReplySigner {
  readonly leadId: string;
  readonly signer: Signer;
  readonly clock: Clock;
}

/** A reply is acted on at once; this bounds how long a captured one means anything. */
const REPLY_TTL_MS = 30_000;
const MAX_MESSAGE_CHARS = 512;
const encoder = new TextEncoder();

export function signReply(by: ReplySigner, answered: Answered, verdict: Verdict): Promise<SignedFrame> {
  const now = by.clock.now();
  const reply: Reply = {
    v: PROTOCOL_VERSION,
    message_id: newMessageId(now),
    sender_id: by.leadId,
    created_at: now,
    ttl_ms: REPLY_TTL_MS,
    kind: 'REPLY',
    in_reply_to: answered.messageId,
    to: answered.signerId,
    ok: verdict.ok,
    ...(verdict.ok && verdict.cascade !== undefined ? { cascade: verdict.cascade } : {}),
    ...(verdict.ok ? {} : { code: verdict.code.slice(0, 64), message: verdict.message.slice(0, MAX_MESSAGE_CHARS) }),
    ...(!verdict.ok && verdict.retry_after_ms !== undefined ? { retry_after_ms: Math.round(verdict.retry_after_ms) } : {}),
  };
  return encodeMessage(reply, by.signer, by.leadId);
}

/**
 * Answers a request: signed when the request was authenticated (`answered` known), plain
 * JSON otherwise. Does nothing for a publish without a reply subject.
 */
export async function answer(msg: Msg, by: ReplySigner, verdict: Verdict, answered: Answered | undefined): Promise<void> {
  if (msg.reply === undefined || msg.reply === '') return;
  if (answered === undefined) {
    msg.respond(encoder.encode(JSON.stringify(verdict)));
    return;
  }
  const frame = await signReply(by, answered, verdict);
  msg.respond(frame.body, { headers: frameHeaders(frame) });
}

/** A handler's verdict on a request, with the request it names once its signature verified. */
export type Verdicted = Verdict & { readonly answered?: Answered | undefined };

/** Answers `msg` with a handler's verdict: the one conversion every intake shares. */
export function answerWith(msg: Msg, by: ReplySigner, reply: Verdicted): Promise<void> {
  const verdict: Verdict = reply.ok
    ? { ok: true }
    : { ok: false, code: reply.code, message: reply.message, ...(reply.retry_after_ms === undefined ? {} : { retry_after_ms: reply.retry_after_ms }) };
  return answer(msg, by, verdict, reply.answered);
}

export interface RequestService {
  readonly subject: string;
  /** Shares the requests among the leads serving the subject. */
  readonly queue?: string;
  readonly replies: ReplySigner;
  readonly logger: Logger;
  /** Names the service in log lines ("sensor", "conflict"...). */
  readonly what: string;
  readonly handle: (frame: IncomingFrame) => Promise<Verdicted>;
}

/** Serves signed requests on a subject: each frame to `handle`, its verdict answered by answerWith. */
export function serveRequests(nc: NatsConnection, service: RequestService): Subscription {
  return nc.subscribe(service.subject, {
    ...(service.queue === undefined ? {} : { queue: service.queue }),
    callback: (error, msg) => {
      if (error !== null) {
        service.logger.error({ err: error }, `${service.what} subscription failed`);
        return;
      }
      service
        .handle(frameOf(msg))
        .then((reply) => answerWith(msg, service.replies, reply))
        .catch((failure: unknown) => service.logger.error({ err: failure }, `${service.what} reply failed`));
    },
  });
}
