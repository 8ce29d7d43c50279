/**
 * What each verb's payload must be: the one table the lead checks before sending an
 * operation and every agent (Pi daemon, Worker) checks before acting on one, so work the
 * agents would all refuse is refused at the door instead (400 naming the field) and never
 * reaches them. Verbs that carry free data take any JSON value.
 */
import { z } from 'zod';
import type { Verb } from './enums.js';
import { SensorId } from './messages.js';
import { Sha256Hex } from './primitives.js';

/**
 * `sync`: the context hash to adopt, optionally the hash the lead believes the agent holds now
 * (base_hash), the context itself (checked against context_hash), and how far back the
 * histories agree (reported with a divergence).
 */
export const SyncPayload = z.object({
  context_hash: Sha256Hex,
  base_hash: Sha256Hex.optional(),
  context: z.unknown().optional(),
  depth: z.number().int().min(0).max(1_000_000).optional(),
});
export type SyncPayload = z.infer<typeof SyncPayload>;

const OnOff = z.union([z.boolean(), z.enum(['on', 'off']).transform((word) => word === 'on')]);

/** `act`: an output and what to do with it (set, pulse, toggle), or identify the node. */
export const ActPayload = z.discriminatedUnion('action', [
  z.strictObject({ action: z.literal('set'), output: SensorId, value: OnOff }),
  z.strictObject({ action: z.literal('pulse'), output: SensorId, duration_ms: z.number().int().min(1).max(600_000), value: OnOff.default(true) }),
  z.strictObject({ action: z.literal('toggle'), output: SensorId }),
  z.strictObject({ action: z.literal('identify'), duration_ms: z.number().int().min(500).max(60_000).optional() }),
]);
export type ActPayload = z.output<typeof ActPayload>;

/** Free data: whatever JSON the operator sends (its size is bounded by the wire limits). */
const AnyPayload = z.unknown();

export const VERB_PAYLOADS: Readonly<Record<Verb, z.ZodType>> = Object.freeze({
  observe: AnyPayload,
  orient: AnyPayload,
  decide: AnyPayload,
  record: AnyPayload,
  act: ActPayload,
  sync: SyncPayload,
});

/** One invalid part of a payload: its path inside the payload ('' for the payload itself). */
export interface VerbPayloadIssue {
  readonly path: string;
  readonly message: string;
}

/** Every issue of `payload` under `verb`'s schema; empty when the payload is fine. */
export function verbPayloadIssues(verb: Verb, payload: unknown): VerbPayloadIssue[] {
  const parsed = VERB_PAYLOADS[verb].safeParse(payload);
  return parsed.success ? [] : parsed.error.issues.map((issue) => ({ path: issue.path.map(String).join('.'), message: issue.message }));
}

/** One line for an agent's refusal: `sync payload context_hash: ...`. */
export function verbPayloadRefusal(verb: Verb, issues: readonly VerbPayloadIssue[]): string {
  const first = issues[0];
  return `${verb} payload ${first?.path ?? ''}: ${first?.message ?? 'invalid'}`;
}
