/**
 * The selector(s) a hold-mode group COORDINATE carries. Every agent of the lead sees the group
 * message and acts when the selector matches it, so the selector must pick exactly the held
 * agents: the operation's own selector when all it matches are held and the lead knows every
 * agent it could match (the usual case: one small message), otherwise (or when the operation's
 * selector is itself too big) explicit id lists, split so each fits the wire's selector budget.
 * The lead cannot vouch for its selector while agents enrolled with it are missing from its
 * registry (`unheard`): a standby that has just taken over, or a lead whose agents are still
 * coming up, would otherwise reach agents it never planned for, which would run the operation
 * and have their ACKs refused NOT_A_TARGET.
 * No message ever carries a per-agent compensation map.
 */
import { WIRE_LIMITS, type Selector } from '@mesh30k/shared';
import type { TargetAgent } from './ports.js';

/** Bytes of agent ids per group message: the wire's selector budget, which leaves room for the largest payload. */
export const HOLD_SELECTOR_BUDGET_BYTES = WIRE_LIMITS.maxSelectorBytes - 32;
/** Selector.agent_ids holds at most this many (shared's schema). */
export const MAX_SELECTOR_IDS = 10_000;
/** JSON quotes and comma around each id. */
const ID_OVERHEAD_BYTES = 3;

export function holdSelectors(original: Selector, selected: readonly TargetAgent[], held: readonly string[], unheard = 0): Selector[] {
  // The operation's own selector, unless it is itself too big for one frame (a long id list).
  if (unheard === 0 && held.length === selected.length && JSON.stringify(original).length <= WIRE_LIMITS.maxSelectorBytes) return [original];
  const chunks: Selector[] = [];
  let ids: string[] = [];
  let bytes = 0;
  for (const id of held) {
    const size = id.length + ID_OVERHEAD_BYTES;
    if (ids.length > 0 && (bytes + size > HOLD_SELECTOR_BUDGET_BYTES || ids.length >= MAX_SELECTOR_IDS)) {
      chunks.push({ agent_ids: ids });
      ids = [];
      bytes = 0;
    }
    ids.push(id);
    bytes += size;
  }
  if (ids.length > 0) chunks.push({ agent_ids: ids });
  return chunks;
}
