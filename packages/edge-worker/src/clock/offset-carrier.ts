import type { Coordinate, Ping } from '@mesh30k/shared';

/**
 * How the lead tells a Worker its clock offset (mesh time - Worker clock, the lead's estimate
 * from its /v1/ping exchanges): inside the signed message, so it is authenticated with it.
 *
 *   COORDINATE: `compensation[<agent id>].clock_offset_ms`, extrapolated by the lead to T;
 *   PING:       top-level `clock_offset_ms`, the lead's current estimate (on the very first
 *               PING, a rough one from GET /v1/health's `now_local`).
 */

/** The offset a COORDINATE states for this agent, or undefined when it states none. */
export function clockOffsetFromCoordinate(message: Coordinate, agentId: string): number | undefined {
  return message.compensation?.[agentId]?.clock_offset_ms;
}

/** The offset a PING states, or undefined. */
export function clockOffsetFromPing(message: Ping): number | undefined {
  return message.clock_offset_ms;
}
