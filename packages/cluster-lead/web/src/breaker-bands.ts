/**
 * Each breaker's state over time, as bands (from, to, state), from the lead's transition log
 * (GET /v1/breakers/history) and the breakers as they are now (GET /v1/breakers). Before its
 * first logged transition a breaker was in that transition's `from` state; one with no logged
 * transition (the log moved on, or it was restored at start) is drawn in its current state.
 */
export interface BreakerTransition {
  seq: number;
  at: number;
  scope: string;
  target_id: string;
  from: string;
  to: string;
  kind: string;
  reason: string;
  shadow: boolean;
}

export interface BreakerNow {
  scope: string;
  target_id: string;
  state: string;
  opened_at: number | null;
  next_check_at: number | null;
  failures_in_window: number;
  metrics_only: boolean;
}

export interface Band {
  readonly from: number;
  readonly to: number;
  readonly state: string;
}

export interface BreakerRow {
  readonly key: string;
  readonly label: string;
  readonly bands: Band[];
  /** The states in order, one per band: what the text list and the test read. */
  readonly states: string[];
}

const SCOPE_ORDER: Readonly<Record<string, number>> = { global: 0, sector: 1, cluster: 2 };

export const breakerKey = (b: { scope: string; target_id: string }) => `${b.scope}:${b.target_id}`;

export function breakerRows(transitions: readonly BreakerTransition[], current: readonly BreakerNow[], start: number, now: number): BreakerRow[] {
  const byKey = new Map<string, BreakerTransition[]>();
  for (const t of [...transitions].sort((a, b) => a.seq - b.seq)) {
    const list = byKey.get(breakerKey(t)) ?? [];
    list.push(t);
    byKey.set(breakerKey(t), list);
  }
  for (const b of current) if (b.state !== 'closed' && !byKey.has(breakerKey(b))) byKey.set(breakerKey(b), []);
  const stateNow = new Map(current.map((b) => [breakerKey(b), b.state]));
  const rows = [...byKey.entries()].map(([key, list]): BreakerRow => {
    const [scope = '', target = ''] = key.split(/:(.*)/s);
    const bands: Band[] = [];
    let state = list[0]?.from ?? stateNow.get(key) ?? 'closed';
    let since = start;
    for (const t of list) {
      if (t.at > since) bands.push({ from: since, to: t.at, state });
      state = t.to;
      since = Math.max(since, t.at);
    }
    bands.push({ from: since, to: Math.max(since, now), state });
    return { key, label: scope === 'global' ? 'global' : `${scope} ${target}`, bands, states: bands.map((b) => b.state) };
  });
  return rows.sort((a, b) => (SCOPE_ORDER[a.key.split(':')[0]!] ?? 9) - (SCOPE_ORDER[b.key.split(':')[0]!] ?? 9) || a.key.localeCompare(b.key));
}
