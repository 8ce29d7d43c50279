/**
 * The selector(s) a hold-mode group COORDINATE carries. Every agent of the lead sees the group
 * message and acts when the selector matches it, so the selector must pick exactly the held
 * agents: the operation's own selector when all it matches are held (the usual case: one small
 * message), otherwise explicit id lists, split so each message stays well under the wire limit.
 * No message ever carries a per-agent compensation map.
 */
import type { Selector } from '@mesh30k/shared';
import type { TargetAgent } from './ports.js';

/** Bytes of agent ids per group message; leaves room for the payload within the 64 KiB frame limit. */
export const HOLD_SELECTOR_BUDGET_BYTES = 16 * 1024;
/** Selector.agent_ids holds at most this many (shared's schema). */
export const MAX_SELECTOR_IDS = 10_000;
/** JSON quotes and comma around each id. */
const ID_OVERHEAD_BYTES = 3;

export function holdSelectors(original: Selector, selected: readonly TargetAgent[], held: readonly string[]): Selector[] {
  if (held.length === selected.length) return [original];
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
