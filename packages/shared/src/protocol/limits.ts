import { z } from 'zod';

/**
 * Wire limits: the one family of sizes every side enforces. The lead's API refuses an operation
 * whose COORDINATE would not fit, the lead's send path never signs a frame above the limit, and
 * agents (Pi daemons and Workers) refuse frames above it. They are protocol constants, not
 * settings: a limit one side could raise alone would make the other side refuse the traffic.
 */
export const WIRE_LIMITS = Object.freeze({
  /** Largest signed frame body any receiver accepts, bytes. */
  maxFrameBytes: 64 * 1024,
  /** Largest selector a COORDINATE carries (hold-mode id lists are split to fit), bytes of JSON. */
  maxSelectorBytes: 16 * 1024,
  /**
   * Largest operation payload, bytes of JSON: the frame limit less the room a COORDINATE needs
   * for its header, a selector of maxSelectorBytes and one compensation entry.
   */
  maxPayloadBytes: 40 * 1024,
  /** Deepest nesting of objects and arrays in a payload (or an ACK result). */
  maxPayloadDepth: 32,
  /** Object keys in a whole payload (or an ACK result), counted at every level. */
  maxPayloadKeys: 4_096,
});

export type PayloadLimit = 'depth' | 'keys' | 'bytes';

export type PayloadCheck = { ok: true; bytes: number } | { ok: false; limit: PayloadLimit; message: string };

const encoder = new TextEncoder();

/**
 * Checks a JSON value against the payload limits without recursion (a hostile payload nested
 * thousands deep must be refused, not overflow the stack), then measures its JSON size.
 */
export function checkPayload(value: unknown, maxBytes: number = WIRE_LIMITS.maxPayloadBytes): PayloadCheck {
  const { maxPayloadDepth, maxPayloadKeys } = WIRE_LIMITS;
  const stack: { value: unknown; depth: number }[] = [{ value, depth: 0 }];
  let keys = 0;
  while (stack.length > 0) {
    const { value: node, depth } = stack.pop()!;
    if (node === null || typeof node !== 'object') continue;
    if (depth >= maxPayloadDepth) {
      return { ok: false, limit: 'depth', message: `is nested deeper than ${maxPayloadDepth} levels (wire limit maxPayloadDepth)` };
    }
    const children = Array.isArray(node) ? (node as unknown[]) : Object.values(node);
    if (!Array.isArray(node)) {
      keys += children.length;
      if (keys > maxPayloadKeys) return { ok: false, limit: 'keys', message: `has more than ${maxPayloadKeys} object keys (wire limit maxPayloadKeys)` };
    }
    for (const child of children) if (child !== null && typeof child === 'object') stack.push({ value: child, depth: depth + 1 });
  }
  const text = JSON.stringify(value) ?? 'null';
  // UTF-8 is at most 3 bytes per UTF-16 unit: only texts near the limit need encoding.
  const bytes = text.length * 3 <= maxBytes ? text.length : encoder.encode(text).byteLength;
  if (bytes > maxBytes) return { ok: false, limit: 'bytes', message: `is ${bytes} bytes as JSON; the limit is ${maxBytes} (wire limit maxPayloadBytes)` };
  return { ok: true, bytes };
}

/** A payload field of the protocol: any JSON within the wire limits; the issue says which limit. */
export function payloadSchema(maxBytes: number = WIRE_LIMITS.maxPayloadBytes) {
  return z.unknown().superRefine((value, ctx) => {
    const check = checkPayload(value, maxBytes);
    if (!check.ok) ctx.addIssue({ code: 'custom', message: check.message, params: { limit: check.limit } });
  });
}

export const PayloadValue = payloadSchema();
