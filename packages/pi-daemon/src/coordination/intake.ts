import { CONFLICT_LIMITS } from '@mesh30k/shared';
import type { ConflictDetail, Coordinate, EpochFence, ReplayGuard, TransitRefusalCode, UnrunnableCoordinate } from '@mesh30k/shared';
import type { AgentIdentity, AgentTuning } from '../agent/options.js';
import { hashPayload } from './context-hash.js';
import { checkLeaseEpoch } from './lease-fence.js';
import { isSelected, missingCapabilities } from './selector.js';

/** Codes of COORDINATEs declined with a TRANSIT ACK (the work was valid but not taken). */
export type DeclineCode = 'FROZEN' | 'SHUTTING_DOWN' | 'TARGET_PASSED' | 'QUEUE_FULL' | 'HANDED_BACK' | 'HANDLER_FAILED' | TransitRefusalCode;

/** What to do with a verified COORDINATE. */
export type IntakeDecision =
  /** Refused without an ACK: not trustworthy or not current (counted and logged). */
  | { kind: 'refuse'; code: string; message: string }
  /** Not for this agent. */
  | { kind: 'ignore' }
  | { kind: 'decline'; code: DeclineCode; message: string }
  | { kind: 'conflict'; conflict: Omit<ConflictDetail, 'context_hash'> }
  | { kind: 'accept' };

export interface IntakeState {
  identity: AgentIdentity;
  tuning: Readonly<AgentTuning>;
  replay: ReplayGuard;
  meshNow: number;
  signerId: string;
  frozen: boolean;
  closing: boolean;
  /** The agent's lease fence (absent: nothing is fenced, as in unit tests of the other checks). */
  leaseFence?: EpochFence;
}

const MAX_VALUE_CHARS = CONFLICT_LIMITS.maxValueChars;
const MAX_DETAIL_CHARS = CONFLICT_LIMITS.maxDetailChars;

/** Payload checks are memoised per message object: in simulation one frame serves many agents. */
const payloadChecks = new WeakMap<Coordinate, boolean>();

function payloadMatches(coordinate: Coordinate): boolean {
  let matches = payloadChecks.get(coordinate);
  if (matches === undefined) {
    matches = hashPayload(coordinate.payload) === coordinate.payload_hash;
    payloadChecks.set(coordinate, matches);
  }
  return matches;
}

/**
 * The checks a COORDINATE passes before it is queued, cheapest and most fundamental first:
 * who signed it, whether it is for this agent, whether it is fresh, whether the agent takes
 * work now, whether it is still worth doing, whether the agent can do it, and whether the
 * payload is what the lead hashed.
 */
export function decideIntake(coordinate: Coordinate, s: IntakeState): IntakeDecision {
  if (s.signerId !== s.identity.leadId) {
    return { kind: 'refuse', code: 'WRONG_SIGNER', message: `signed by "${s.signerId}", not by the lead "${s.identity.leadId}"` };
  }
  if (!isSelected(coordinate.selector, s.identity)) return { kind: 'ignore' };
  const fenced = s.leaseFence === undefined ? null : checkLeaseEpoch(s.leaseFence, s.identity.leadId, coordinate.lease_epoch);
  if (fenced !== null) return { kind: 'refuse', code: fenced.code, message: fenced.message };
  const fresh = s.replay.check(coordinate.message_id, coordinate.created_at);
  if (!fresh.ok) return { kind: 'refuse', code: fresh.error.code, message: fresh.error.message };
  const ttl = Math.min(coordinate.ttl_ms, s.tuning.replayWindowMs);
  if (s.meshNow > coordinate.created_at + ttl) {
    return { kind: 'refuse', code: 'EXPIRED', message: `created at ${coordinate.created_at} with ttl ${coordinate.ttl_ms} ms; now ${s.meshNow}` };
  }
  if (s.closing) return { kind: 'decline', code: 'SHUTTING_DOWN', message: 'the agent is shutting down' };
  if (s.frozen) return { kind: 'decline', code: 'FROZEN', message: 'the agent is frozen' };
  const grace = Math.max(coordinate.arrival_window_ms, s.tuning.lateGraceMs);
  if (s.meshNow > coordinate.target_time + grace) {
    return { kind: 'decline', code: 'TARGET_PASSED', message: `target ${coordinate.target_time} passed ${Math.round(s.meshNow - coordinate.target_time)} ms ago` };
  }
  const missing = missingCapabilities(coordinate.requires_capabilities, s.identity);
  if (missing.length > 0) {
    return {
      kind: 'conflict',
      conflict: {
        type: 'CAPABILITY_MISMATCH',
        expected_value: JSON.stringify([...s.identity.capabilities]).slice(0, MAX_VALUE_CHARS),
        received_value: JSON.stringify(coordinate.requires_capabilities).slice(0, MAX_VALUE_CHARS),
        detail: `missing capabilities: ${missing.join(', ')}`.slice(0, MAX_DETAIL_CHARS),
      },
    };
  }
  if (!payloadMatches(coordinate)) {
    return {
      kind: 'conflict',
      conflict: {
        type: 'HASH_MISMATCH',
        expected_value: coordinate.payload_hash,
        received_value: hashPayload(coordinate.payload),
        detail: 'payload does not hash to payload_hash',
      },
    };
  }
  return { kind: 'accept' };
}

/**
 * The checks an authentic COORDINATE the agent cannot run passes before it is answered TRANSIT:
 * for this agent (else 'ignore'), not replayed, not expired; null when it is to be answered.
 */
export function refuseUnrunnable(
  read: UnrunnableCoordinate,
  s: Pick<IntakeState, 'identity' | 'tuning' | 'replay' | 'meshNow' | 'leaseFence'>,
): 'ignore' | { code: string; message: string } | null {
  const { head } = read;
  if (read.signerId !== s.identity.leadId) return { code: 'WRONG_SIGNER', message: `signed by "${read.signerId}", not by the lead "${s.identity.leadId}"` };
  if (!isSelected(head.selector, s.identity)) return 'ignore';
  const fenced = s.leaseFence === undefined ? null : checkLeaseEpoch(s.leaseFence, s.identity.leadId, head.lease_epoch);
  if (fenced !== null) return fenced;
  const fresh = s.replay.check(head.message_id, head.created_at);
  if (!fresh.ok) return { code: fresh.error.code, message: fresh.error.message };
  if (s.meshNow > head.created_at + Math.min(head.ttl_ms, s.tuning.replayWindowMs)) {
    return { code: 'EXPIRED', message: `created at ${head.created_at} with ttl ${head.ttl_ms} ms; now ${s.meshNow}` };
  }
  return null;
}
