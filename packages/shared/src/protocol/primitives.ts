import { z } from 'zod';

/**
 * Identifiers become NATS subject tokens, so they may not contain '.', '*', '>' or spaces.
 * Letters, digits, '_' and '-' cover every id scheme we have seen on a fleet.
 */
export const ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
export const Id = z.string().regex(ID_PATTERN, 'must be 1-64 letters, digits, "_" or "-"');

/** Message ids also allow ':' and '.', since they are never subject tokens. */
export const MessageId = z.string().regex(/^[A-Za-z0-9_.:-]{8,128}$/, 'must be 8-128 of [A-Za-z0-9_.:-]');

/** Milliseconds since the Unix epoch; fractional part allowed (sub-ms timing matters in hold mode). */
export const EpochMs = z.number().finite().min(0).max(8.64e15);
/** A duration in milliseconds. */
export const DurationMs = z.number().finite().min(0).max(86_400_000);
/** A signed clock offset or error in milliseconds; bounded to a day. */
export const SignedMs = z.number().finite().min(-86_400_000).max(86_400_000);

/**
 * A clock offset: mesh time minus the agent's clock. Not bounded to a day, since a Pi without
 * a real-time clock can boot years away from its lead.
 */
export const OffsetMs = z.number().finite().min(-8.64e15).max(8.64e15);

export const Capability = z.string().min(1).max(64).regex(/^[a-z0-9][a-z0-9_.:-]*$/, 'must be lower-case [a-z0-9_.:-]');
export const Capabilities = z.array(Capability).max(64);

export const Base64Url = z.string().regex(/^[A-Za-z0-9_-]*$/, 'must be base64url without padding');
export const Sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lower-case hex digits');
export const ShortText = z.string().max(512);
/**
 * The epoch of the HA lease a lead held when it signed a message (the lease's KV revision).
 * Absent from what a lead without HA sends; receivers accept that as before.
 */
export const LeaseEpoch = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);
