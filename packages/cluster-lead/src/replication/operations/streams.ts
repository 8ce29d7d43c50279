/**
 * Creates (or brings to the configured limits) the four streams of the operations side. Each
 * keeps the latest message per subject where a subject names one thing (a run's begin, one
 * agent's ACK, a history record, an idempotency key, a dead letter), so replaying a stream
 * rebuilds the current state; age and count limits bound what a new standby replays.
 */
import { DiscardPolicy, ErrorCode, NatsError, RetentionPolicy, StorageType, nanos, type JetStreamManager, type StreamConfig } from 'nats';
import type { OpsNames } from './names.js';

export interface OpsLimits {
  readonly replicas: number;
  /** The operations stream: at least the idempotency keys' lifetime. */
  readonly opsMaxAgeMs: number;
  readonly conflictsMaxAgeMs: number;
  readonly conflictsMaxMsgs: number;
  readonly deadLettersMaxAgeMs: number;
  readonly deadLettersMaxMsgs: number;
  /** Sensor readings kept per (agent, sensor): the local history's bound (sensors.history_per_sensor). */
  readonly sensorsPerSubject: number;
}

const STREAM_NOT_FOUND = 10059;
const ATTEMPTS = 4;
const RETRIABLE: ReadonlySet<string> = new Set([ErrorCode.Timeout, ErrorCode.NoResponders]);

export function streamConfigs(names: OpsNames, limits: OpsLimits): Array<Partial<StreamConfig> & { name: string }> {
  const common = { retention: RetentionPolicy.Limits, storage: StorageType.File, discard: DiscardPolicy.Old, num_replicas: limits.replicas };
  return [
    { ...common, name: names.opsStream, subjects: [names.opsSubjects], max_msgs_per_subject: 1, max_age: nanos(limits.opsMaxAgeMs) },
    { ...common, name: names.conflictsStream, subjects: [names.conflict], max_age: nanos(limits.conflictsMaxAgeMs), max_msgs: limits.conflictsMaxMsgs },
    { ...common, name: names.deadLettersStream, subjects: [names.deadLetterSubjects], max_msgs_per_subject: 1, max_age: nanos(limits.deadLettersMaxAgeMs), max_msgs: limits.deadLettersMaxMsgs },
    // One subject per (agent, sensor), so the stream trims each sensor's history as the SQLite table does.
    { ...common, name: names.sensorsStream, subjects: [names.sensorSubjects], max_msgs_per_subject: limits.sensorsPerSubject },
  ];
}

/** Adds each stream, or updates its limits when it exists; a cluster still electing is tried again. */
export async function ensureOpsStreams(jsm: JetStreamManager, names: OpsNames, limits: OpsLimits): Promise<void> {
  for (const config of streamConfigs(names, limits)) {
    for (let attempt = 1; ; attempt++) {
      try {
        await ensureOne(jsm, config);
        break;
      } catch (error) {
        const retriable = error instanceof NatsError && RETRIABLE.has(error.code);
        if (!retriable || attempt >= ATTEMPTS) throw error;
      }
    }
  }
}

async function ensureOne(jsm: JetStreamManager, config: Partial<StreamConfig> & { name: string }): Promise<void> {
  try {
    await jsm.streams.info(config.name);
  } catch (error) {
    if ((error as { api_error?: { err_code?: number } }).api_error?.err_code !== STREAM_NOT_FOUND) throw error;
    await jsm.streams.add(config);
    return;
  }
  // Replicas of an existing stream are left as they are (changing them moves data).
  const { num_replicas: _replicas, ...limits } = config;
  await jsm.streams.update(config.name, limits);
}
