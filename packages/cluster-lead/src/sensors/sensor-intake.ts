/**
 * The lead's sensor subject: SENSOR_EVENTs from agents' outboxes, sent as requests. Verified
 * before parsing (signature, enrolled signer who must be the agent named, replay), stored
 * (latest and bounded history), answered with a signed REPLY (src/nats/replies.ts): ok (also
 * for a duplicate, so the agent's outbox moves on) or a refusal, counted by code for /metrics.
 * With the JetStream store the answer also waits for the reading to be on its stream: the agent
 * drops from its outbox only a reading a standby lead can find.
 */
import { subjects, verifyAndParse, type Clock, type Ed25519, type IncomingFrame, type KeyResolver, type ReplayCheck, type SensorEvent } from '@mesh30k/shared';
import type { NatsConnection, Subscription } from 'nats';
import type { Logger } from '../lib/logger.js';
import { serveRequests, type ReplySigner } from '../nats/replies.js';
import type { AckReply } from '../scatter/ports.js';
import type { SensorReadingRow, SensorReadings } from '../store/index.js';

export const SENSOR_QUEUE_GROUP = 'leads';

export interface SensorIntakeDeps {
  readonly readings: SensorReadings;
  readonly clock: Clock;
  readonly ed25519: Ed25519;
  readonly resolveKey: KeyResolver;
  readonly replay: ReplayCheck;
  readonly logger: Logger;
  readonly leadId: string;
  readonly replies: ReplySigner;
  /** Resolves once the reading is replicated (JetStream store); absent with the SQLite store. */
  readonly replicate?: ((reading: SensorReadingRow) => Promise<void>) | undefined;
}

export interface SensorIntakeStats {
  accepted: number;
  duplicates: number;
  refused: Readonly<Record<string, number>>;
}

export class SensorIntake {
  private subscription: Subscription | undefined;
  private accepted = 0;
  private duplicates = 0;
  private readonly refused: Record<string, number> = {};

  constructor(private readonly deps: SensorIntakeDeps) {}

  async handle(frame: IncomingFrame): Promise<AckReply> {
    const verified = await verifyAndParse(frame, { ed25519: this.deps.ed25519, resolveKey: this.deps.resolveKey, replay: this.deps.replay, accept: ['SENSOR_EVENT'] });
    if (!verified.ok) return this.refuse(verified.error.code, verified.error.message);
    const event = verified.value.message as SensorEvent;
    const answered = { messageId: event.message_id, signerId: verified.value.signerId };
    const reading: SensorReadingRow = {
      agentId: event.agent_id,
      sensorId: event.sensor_id,
      sensorKind: event.sensor_kind,
      value: event.value,
      unit: event.unit ?? null,
      error: event.error ?? null,
      sampledAt: event.sampled_at,
      seq: event.seq,
      bootId: event.boot_id ?? '',
      receivedAt: this.deps.clock.now(),
    };
    let fresh: boolean;
    try {
      fresh = this.deps.readings.record(reading);
    } catch (error) {
      this.deps.logger.error({ err: error, agent_id: event.agent_id, sensor: event.sensor_id }, 'sensor reading could not be stored');
      return { ...this.refuse('STORE_FAILED', 'the lead could not store the reading; retry later'), answered };
    }
    // A duplicate is published again too: its first publish may be the one that failed.
    if (this.deps.replicate !== undefined) {
      try {
        await this.deps.replicate(reading);
      } catch (error) {
        this.deps.logger.error({ err: error, agent_id: event.agent_id, sensor: event.sensor_id }, 'sensor reading stored but not replicated');
        return { ...this.refuse('STORE_FAILED', 'the lead could not replicate the reading; retry later'), answered };
      }
    }
    if (fresh) this.accepted += 1;
    else this.duplicates += 1;
    this.deps.logger.debug({ event: 'sensor.reading', agent_id: event.agent_id, sensor: event.sensor_id, seq: event.seq, fresh }, 'sensor reading stored');
    return { ok: true, answered };
  }

  subscribe(nc: NatsConnection): void {
    this.subscription ??= serveRequests(nc, { subject: subjects.sensor(this.deps.leadId), queue: SENSOR_QUEUE_GROUP, replies: this.deps.replies, logger: this.deps.logger, what: 'sensor', handle: (frame) => this.handle(frame) });
  }

  unsubscribe(): void {
    this.subscription?.unsubscribe();
    this.subscription = undefined;
  }

  stats(): SensorIntakeStats {
    return { accepted: this.accepted, duplicates: this.duplicates, refused: { ...this.refused } };
  }

  private refuse(code: string, message: string): AckReply {
    this.refused[code] = (this.refused[code] ?? 0) + 1;
    this.deps.logger.debug({ event: 'sensor.refused', code, reason: message }, 'sensor reading refused');
    return { ok: false, code, message };
  }
}
