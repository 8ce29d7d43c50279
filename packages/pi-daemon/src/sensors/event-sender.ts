/**
 * Turns readings into SENSOR_EVENT messages: a per-sensor sequence number (persisted, so it
 * keeps counting across restarts), sampled_at in mesh time, and into the outbox with the
 * sensor id as ordering key. The outbox relay delivers them, oldest first, once the lead is
 * reachable; the last value of each sensor rides on the heartbeat. Each event carries the boot
 * id, so the lead tells a wiped agent's new readings (seq from 0) from redeliveries.
 */
import type { Priority, SensorEvent, SensorSummary } from '@mesh30k/shared';
import { messageHeader, type AgentContext } from '../agent/context.js';
import { LogEvent } from '../logging/events.js';
import type { SensorReading } from './sensor-hub.js';

export const SENSOR_SEQ_KEY = 'sensors.seq';
/** Input and output changes outrank periodic readings when a full outbox must drop some. */
const EVENT_PRIORITY: Priority = 2;
const READING_PRIORITY: Priority = 1;

export class SensorEventSender {
  private readonly seqs: Record<string, number>;
  private readonly last = new Map<string, SensorSummary>();
  /** Readings queued since start, per sensor (for /metrics). */
  private readonly queued = new Map<string, number>();

  constructor(
    private readonly ctx: AgentContext,
    private readonly onQueued: () => void,
    /** This start's boot id (the heartbeat's): stamped on each reading, it stays with it in the outbox. */
    private readonly bootId: () => string,
  ) {
    this.seqs = { ...(ctx.state.get<Record<string, number>>(SENSOR_SEQ_KEY) ?? {}) };
  }

  send(reading: SensorReading): void {
    const { ctx } = this;
    const seq = this.seqs[reading.sensorId] ?? 0;
    this.seqs[reading.sensorId] = seq + 1;
    const sampledAt = Math.max(0, ctx.clock.toMesh(reading.sampledAtLocal));
    const event: SensorEvent = {
      ...messageHeader(ctx),
      kind: 'SENSOR_EVENT',
      agent_id: ctx.identity.agentId,
      sensor_id: reading.sensorId,
      sensor_kind: reading.sensorKind,
      value: reading.value,
      ...(reading.unit === undefined ? {} : { unit: reading.unit }),
      sampled_at: sampledAt,
      seq,
      boot_id: this.bootId(),
      ...(reading.error === undefined ? {} : { error: reading.error }),
    };
    this.last.set(reading.sensorId, { sensor_id: reading.sensorId, value: reading.value, ...(reading.unit === undefined ? {} : { unit: reading.unit }), sampled_at: sampledAt, seq });
    const priority = reading.sensorKind.startsWith('gpio.') ? EVENT_PRIORITY : READING_PRIORITY;
    try {
      ctx.state.set(SENSOR_SEQ_KEY, this.seqs);
      ctx.outbox.enqueue([{ kind: 'EVENT', priority, body: JSON.stringify(event), stream: reading.sensorId }]);
      this.queued.set(reading.sensorId, (this.queued.get(reading.sensorId) ?? 0) + 1);
      ctx.log.debug({ event: LogEvent.SENSOR_READING, sensor: reading.sensorId, seq, value: reading.value }, 'sensor reading queued');
      this.onQueued();
    } catch (error) {
      ctx.log.error({ event: LogEvent.OUTBOX_DROPPED, sensor: reading.sensorId, seq, err: error }, 'sensor reading could not be written to the outbox and is lost');
    }
  }

  /** Readings queued into the outbox since start, by sensor id. */
  counts(): Record<string, number> {
    return Object.fromEntries(this.queued);
  }

  /** Each sensor's last value, for the heartbeat. */
  summary(): SensorSummary[] {
    return [...this.last.values()];
  }
}
