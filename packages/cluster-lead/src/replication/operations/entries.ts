/**
 * What travels on the operations streams, one JSON entry per message, each stamped with the
 * lease epoch of the lead that wrote it (null without HA). A follower parses every entry with
 * these schemas before it writes anything: the streams are shared with other processes.
 */
import { z } from 'zod';
import { JOB_KINDS, JOB_STATES, type JobKind, type JobState } from '../../jobs/index.js';

const Epoch = z.number().int().nonnegative().nullable();

const RunBegun = z.object({ type: z.literal('run.begun'), epoch: Epoch, operationId: z.string(), startedAt: z.number(), deadline: z.number(), run: z.unknown() });
const RunAcked = z.object({ type: z.literal('run.acked'), epoch: Epoch, operationId: z.string(), agentId: z.string(), receivedAt: z.number(), arrival: z.unknown() });
const RunEnded = z.object({ type: z.literal('run.ended'), epoch: Epoch, operationId: z.string() });
const History = z.object({
  type: z.literal('history'),
  epoch: Epoch,
  record: z.object({
    operationId: z.string(),
    createdAt: z.number(),
    updatedAt: z.number(),
    status: z.string(),
    verb: z.string(),
    priority: z.number().int(),
    request: z.unknown(),
    result: z.unknown(),
  }),
});
const Idempotency = z.object({
  type: z.literal('idempotency'),
  epoch: Epoch,
  caller: z.string(),
  key: z.string(),
  response: z.object({ fingerprint: z.string(), status: z.number().int(), headers: z.record(z.string(), z.string()), body: z.string(), createdAt: z.number() }),
});

/** A job of the API's board (any kind: operations, delegations, cascades, heal) as it is now. */
const Job = z.object({
  type: z.literal('job'),
  epoch: Epoch,
  job: z.object({
    id: z.string().min(1),
    kind: z.enum(JOB_KINDS as [JobKind, ...JobKind[]]),
    state: z.enum(JOB_STATES as [JobState, ...JobState[]]),
    createdAt: z.number(),
    updatedAt: z.number(),
    result: z.unknown().optional(),
    error: z.object({ code: z.string(), message: z.string() }).optional(),
  }),
});
export type JobEntry = z.infer<typeof Job>;

/** An entry of the operations stream (runs in flight, history, idempotency keys, jobs). */
export const OpsEntry = z.discriminatedUnion('type', [RunBegun, RunAcked, RunEnded, History, Idempotency, Job]);
export type OpsEntry = z.infer<typeof OpsEntry>;

/** A conflict as logged, its signed bytes in base64. */
export const ConflictEntryJson = z.object({
  type: z.literal('conflict'),
  epoch: Epoch,
  conflictId: z.string(),
  receivedAt: z.number(),
  agentId: z.string(),
  operationId: z.string().nullable(),
  conflictType: z.string(),
  priority: z.number().int(),
  signerId: z.string(),
  signature: z.string(),
  body: z.string(),
});
export type ConflictEntryJson = z.infer<typeof ConflictEntryJson>;

/** A dead letter's latest state; `letter` null once it was deleted. */
export const DeadLetterEntry = z.object({
  type: z.literal('dead_letter'),
  epoch: Epoch,
  id: z.number().int().positive(),
  letter: z
    .object({
      createdAt: z.number(),
      operationId: z.string().nullable(),
      agentId: z.string().nullable(),
      kind: z.string(),
      reason: z.string(),
      attempts: z.number().int(),
      payload: z.unknown(),
    })
    .nullable(),
});
export type DeadLetterEntry = z.infer<typeof DeadLetterEntry>;

/** A sensor reading as the acting lead stored it (src/store/sensor-readings.ts). */
export const SensorReadingEntry = z.object({
  type: z.literal('sensor_reading'),
  epoch: Epoch,
  agentId: z.string().min(1),
  sensorId: z.string().min(1),
  sensorKind: z.string(),
  value: z.unknown(),
  unit: z.string().nullable(),
  error: z.string().nullable(),
  sampledAt: z.number(),
  seq: z.number().int().nonnegative(),
  bootId: z.string(),
  receivedAt: z.number(),
});
export type SensorReadingEntry = z.infer<typeof SensorReadingEntry>;

/** Anything one of the operations streams carries. */
export type ReplicatedEntry = OpsEntry | ConflictEntryJson | DeadLetterEntry | SensorReadingEntry;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function encodeEntry(entry: ReplicatedEntry): Uint8Array {
  return encoder.encode(JSON.stringify(entry));
}

/** Parses one message's bytes with `schema`; a short problem (with the field's path) when it does not fit. */
export function decodeEntry<S extends z.ZodType>(schema: S, data: Uint8Array): { ok: true; value: z.infer<S> } | { ok: false; problem: string } {
  let json: unknown;
  try {
    json = JSON.parse(decoder.decode(data));
  } catch {
    return { ok: false, problem: 'not JSON' };
  }
  const parsed = schema.safeParse(json);
  if (parsed.success) return { ok: true, value: parsed.data };
  const issue = parsed.error.issues[0];
  return { ok: false, problem: `${issue?.path.join('.') || '(entry)'}: ${issue?.message ?? 'invalid'}` };
}
