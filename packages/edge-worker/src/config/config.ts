import { Capability, Id, PRIVATE_KEY_LENGTH, WIRE_LIMITS, fromBase64Url, type PublicKeyBytes } from '@mesh30k/shared';
import { z } from 'zod';
import { EdgeError } from '../http/errors.js';
import { parseLeadKeys } from './lead-keys.js';

/**
 * The default body limit: the wire's own frame limit (shared's WIRE_LIMITS, ADR 0002). It may be
 * raised, never lowered below it, or the Worker would refuse frames the lead is allowed to send.
 */
export const DEFAULT_MAX_BODY_BYTES = WIRE_LIMITS.maxFrameBytes;
export const DEFAULT_MAX_HOLD_MS = 30_000;
export const DEFAULT_REPLAY_SKEW_MS = 2_000;

const intVar = (fallback: number, min: number, max: number) =>
  z
    .string()
    .optional()
    .transform((text, ctx) => {
      if (text === undefined || text.trim() === '') return fallback;
      const value = Number(text);
      if (!Number.isInteger(value) || value < min || value > max) {
        ctx.addIssue({ code: 'custom', message: `must be an integer from ${min} to ${max}` });
        return z.NEVER;
      }
      return value;
    });

const capabilityList = z.string().transform((text, ctx) => {
  const list = text.split(',').map((c) => c.trim()).filter((c) => c.length > 0);
  const bad = list.find((c) => !Capability.safeParse(c).success);
  if (bad !== undefined) {
    ctx.addIssue({ code: 'custom', message: `"${bad}" is not a capability (lower-case [a-z0-9_.:-])` });
    return z.NEVER;
  }
  return Object.freeze([...new Set(list)]);
});

const privateKey = z.string().transform((text, ctx) => {
  try {
    const bytes = fromBase64Url(text.trim());
    if (bytes.byteLength === PRIVATE_KEY_LENGTH) return bytes;
  } catch {
    // reported below, without echoing the secret
  }
  ctx.addIssue({ code: 'custom', message: `must be a ${PRIVATE_KEY_LENGTH}-byte Ed25519 seed in base64url` });
  return z.NEVER;
});

const leadKeys = z.string().transform((text, ctx) => {
  const parsed = parseLeadKeys(text);
  if (parsed.ok) return parsed.value;
  ctx.addIssue({ code: 'custom', message: parsed.reason });
  return z.NEVER;
});

/** Worker variables and secrets, by their binding names (see wrangler.jsonc and README.md). */
const ConfigSchema = z.object({
  AGENT_ID: Id,
  CLUSTER_ID: Id,
  CAPABILITIES: capabilityList,
  AGENT_PRIVATE_KEY: privateKey,
  LEAD_PUBLIC_KEYS: leadKeys,
  MAX_BODY_BYTES: intVar(DEFAULT_MAX_BODY_BYTES, WIRE_LIMITS.maxFrameBytes, 1_048_576),
  MAX_HOLD_MS: intVar(DEFAULT_MAX_HOLD_MS, 0, 300_000),
  REPLAY_SKEW_MS: intVar(DEFAULT_REPLAY_SKEW_MS, 0, 60_000),
});

export interface EdgeConfig {
  readonly agentId: string;
  readonly clusterId: string;
  readonly capabilities: readonly string[];
  readonly agentPrivateKey: Uint8Array;
  /** Trusted public keys per lead id (two while a rotation overlaps). */
  readonly leadKeys: ReadonlyMap<string, readonly PublicKeyBytes[]>;
  readonly maxBodyBytes: number;
  /** Longest a hold-mode COORDINATE may be held before its T. */
  readonly maxHoldMs: number;
  /** Clock disagreement with the lead tolerated by the replay window. */
  readonly replaySkewMs: number;
}

/**
 * Parses the Worker's bindings once into a frozen config. Every problem names its binding;
 * no message ever contains a secret's value.
 */
export function parseConfig(env: Readonly<Record<string, unknown>>): EdgeConfig {
  const parsed = ConfigSchema.safeParse(env);
  if (!parsed.success) {
    // zod 4's messages never quote the input, so no secret can end up in the text.
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`);
    throw new EdgeError('MISCONFIGURED', `worker configuration is invalid: ${problems.join('; ')}`);
  }
  const c = parsed.data;
  return Object.freeze({
    agentId: c.AGENT_ID,
    clusterId: c.CLUSTER_ID,
    capabilities: c.CAPABILITIES,
    agentPrivateKey: c.AGENT_PRIVATE_KEY,
    leadKeys: c.LEAD_PUBLIC_KEYS,
    maxBodyBytes: c.MAX_BODY_BYTES,
    maxHoldMs: c.MAX_HOLD_MS,
    replaySkewMs: c.REPLAY_SKEW_MS,
  });
}


/** The part of the configuration the Durable Object needs; it never touches the keys. */
export function parseStateConfig(env: Readonly<Record<string, unknown>>): Pick<EdgeConfig, 'replaySkewMs'> {
  const parsed = ConfigSchema.pick({ REPLAY_SKEW_MS: true }).safeParse(env);
  if (!parsed.success) throw new EdgeError('MISCONFIGURED', `REPLAY_SKEW_MS: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  return Object.freeze({ replaySkewMs: parsed.data.REPLAY_SKEW_MS });
}
