import { createInbox, type Msg, type NatsConnection, type Subscription } from 'nats';
import type { ZodType } from 'zod';
import type { Logger } from '../lib/logger.js';
import { PresenceAckWire, PresenceWire, WitnessAnswerWire, WitnessRequestWire, type PresenceAck, type WitnessAnswer, type WitnessLink, type WitnessParty, type WitnessRequest } from './lease-witness.js';

export interface NatsWitnessOptions {
  /** The lease key: one lead group's subjects may carry several leases' messages. */
  readonly key: string;
  /** Where holders ask for witnesses (`subjects.leaseWitness`). */
  readonly witnessSubject: string;
  /** Where standbys make themselves known (`subjects.leasePresence`). */
  readonly presenceSubject: string;
  /** The connection's reply inbox prefix (the broker lets a lead read only its own inboxes). */
  readonly inboxPrefix?: string | undefined;
  /** How long a standby waits for the holder's acknowledgement of its presence. */
  readonly presenceTimeoutMs: number;
}

/**
 * The witness protocol on core NATS: plain publish and subscribe, no JetStream, so it works while
 * a lease stream has no leader. Replies go to a fresh inbox per request, a subject nobody else
 * can guess; every message is checked with zod before a keeper sees it.
 */
export class NatsWitnessLink implements WitnessLink {
  private readonly subscriptions: Subscription[] = [];

  constructor(
    private readonly nc: NatsConnection,
    private readonly options: NatsWitnessOptions,
    private readonly logger: Logger,
  ) {}

  /** Answers other keepers' requests on behalf of `party` until `close`. */
  serve(party: WitnessParty): void {
    const { key } = this.options;
    this.subscriptions.push(
      this.nc.subscribe(this.options.witnessSubject, {
        callback: (error, message) => {
          const request = error === null ? this.parse(message, WitnessRequestWire, 'witness request') : undefined;
          if (request?.key !== key) return;
          const answer = party.witness({ from: request.from, holder: request.holder, epoch: request.epoch, ttlMs: request.ttl_ms });
          if (answer !== null) message.respond(JSON.stringify({ key, ...answer }));
        },
      }),
      this.nc.subscribe(this.options.presenceSubject, {
        callback: (error, message) => {
          const presence = error === null ? this.parse(message, PresenceWire, 'lease presence') : undefined;
          if (presence?.key !== key) return;
          const ack = party.presence(presence.standby);
          if (ack !== null) message.respond(JSON.stringify({ key, holder: ack.holder, epoch: ack.epoch, ttl_ms: ack.ttlMs }));
        },
      }),
    );
  }

  ask(request: WitnessRequest, expected: ReadonlySet<string>, waitMs: number): Promise<WitnessAnswer[]> {
    const answers: WitnessAnswer[] = [];
    const heard = new Set<string>();
    const inbox = createInbox(this.options.inboxPrefix);
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        subscription.unsubscribe();
        resolve(answers);
      };
      const subscription = this.nc.subscribe(inbox, {
        callback: (error, message) => {
          const answer = error === null ? this.parse(message, WitnessAnswerWire, 'witness answer') : undefined;
          if (answer?.key !== this.options.key || heard.has(answer.standby)) return;
          heard.add(answer.standby);
          answers.push({ standby: answer.standby, promise: answer.promise, ...(answer.reason === undefined ? {} : { reason: answer.reason }) });
          if (expected.size > 0 && [...expected].every((id) => heard.has(id))) done();
        },
      });
      const timer = setTimeout(done, waitMs);
      this.nc.publish(this.options.witnessSubject, JSON.stringify({ key: this.options.key, from: request.from, holder: request.holder, epoch: request.epoch, ttl_ms: request.ttlMs }), { reply: inbox });
    });
  }

  async present(standby: string): Promise<PresenceAck | null> {
    let reply: Msg;
    try {
      reply = await this.nc.request(this.options.presenceSubject, JSON.stringify({ key: this.options.key, standby }), { timeout: this.options.presenceTimeoutMs });
    } catch {
      return null; // no holder (or none reachable) now: the standby is simply not known to one
    }
    const ack = this.parse(reply, PresenceAckWire, 'presence acknowledgement');
    return ack?.key === this.options.key ? { holder: ack.holder, epoch: ack.epoch, ttlMs: ack.ttl_ms } : null;
  }

  close(): void {
    for (const subscription of this.subscriptions.splice(0)) subscription.unsubscribe();
  }

  private parse<T>(message: Msg, schema: ZodType<T>, what: string): T | undefined {
    let raw: unknown;
    try {
      raw = message.json();
    } catch {
      raw = undefined;
    }
    const checked = schema.safeParse(raw);
    if (checked.success) return checked.data;
    this.logger.warn({ subject: message.subject, problem: checked.error.issues.map((issue) => `${issue.path.join('.') || '(message)'}: ${issue.message}`).join('; ') }, `ignored a malformed ${what}`);
    return undefined;
  }
}
