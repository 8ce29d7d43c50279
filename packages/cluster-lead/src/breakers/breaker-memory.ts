/**
 * Breakers across a restart: every breaker that is not closed is written to the lead's
 * database (lead_state, key `breakers`) when a breaker changes state, never on a timer, and
 * re-applied at start. A tripped cluster does not come back into service just because its lead
 * restarted; the open period starts again from the restart (the conservative side), and
 * failure counts inside the window are not kept.
 */
import { z } from 'zod';
import type { LeadBreakers } from './lead-breakers.js';

export const BREAKERS_STATE_KEY = 'breakers';

/** The stored form (replication validates what it follows with it). */
export const StoredBreakers = z.array(
  z.object({ scope: z.enum(['cluster', 'sector', 'global']), target_id: z.string().min(1).max(128), state: z.enum(['open', 'half-open']), since: z.number().nullable() }),
);
type StoredBreakers = z.infer<typeof StoredBreakers>;

export interface BreakerStateStore {
  get<S extends z.ZodType>(key: string, schema: S): z.infer<S> | undefined;
  set(key: string, value: unknown): void;
}

/** What to write now: the breakers that are not closed. */
export function breakersToStore(breakers: LeadBreakers): StoredBreakers {
  return breakers
    .list()
    .filter((b) => b.state !== 'closed' && !b.metricsOnly)
    .map((b) => ({ scope: b.scope, target_id: b.targetId, state: b.state === 'open' ? ('open' as const) : ('half-open' as const), since: b.openedAt ?? null }));
}

export function saveBreakers(store: BreakerStateStore, breakers: LeadBreakers): void {
  store.set(BREAKERS_STATE_KEY, breakersToStore(breakers));
}

/**
 * Re-applies the stored cluster and sector breakers; returns how many. The global breaker is
 * not restored: it follows from the sectors (restoring them re-trips it when enough are open).
 */
export function restoreBreakers(store: BreakerStateStore, breakers: LeadBreakers): number {
  const stored = (store.get(BREAKERS_STATE_KEY, StoredBreakers) ?? []).filter((b) => b.scope !== 'global');
  for (const b of stored) breakers.apply(b.scope, b.target_id, b.state === 'open' ? 'OPEN' : 'HALF_OPEN', 'restored after restart');
  return stored.length;
}

/**
 * A standby taking over: the stored breakers again, and every other cluster or sector breaker
 * closed (one the standby restored at its own start may have closed on the active lead since).
 */
export function reloadBreakers(store: BreakerStateStore, breakers: LeadBreakers): number {
  const stored = (store.get(BREAKERS_STATE_KEY, StoredBreakers) ?? []).filter((b) => b.scope !== 'global');
  const keep = new Set(stored.map((b) => `${b.scope}:${b.target_id}`));
  for (const b of breakers.list()) {
    if (b.scope === 'global' || b.state === 'closed' || b.metricsOnly || keep.has(`${b.scope}:${b.targetId}`)) continue;
    breakers.apply(b.scope, b.targetId, 'CLOSE', 'closed on the lead this one took over from');
  }
  return restoreBreakers(store, breakers);
}
