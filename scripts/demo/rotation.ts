// The demo's work loop: one cascade from the root every interval, release modes in turn
// (hold, lead, none), each turned into ModeFigures for the screen. A cascade that takes
// longer than the interval delays the next one rather than overlapping it, so the modes
// never share the agents' time and their figures stay comparable.
import { setTimeout as delay } from 'node:timers/promises';
import { runCascade, type LeadApi } from '../../test/harness/index.js';
import { leadFigures, trueFigures, type ModeFigures, type ReleaseMode } from './figures.js';
import type { TrueArrivals } from './true-arrival.js';

export const MODES: readonly ReleaseMode[] = ['hold', 'lead', 'none'];
/** The hit-rate window: hold and lead should land inside it, naive sends do not. */
export const WINDOW_MS = 25;
const CASCADE_TIMEOUT_MS = 30_000;
/** Counts shown as ready/sent; the rest are listed when not zero. */
const SHOWN_COUNTS = new Set(['selected', 'sent', 'ready']);

export interface RotationDeps {
  api: LeadApi;
  arrivals: TrueArrivals;
  intervalMs: number;
  stop: AbortSignal;
  cancel: AbortSignal;
  onFigures: (figures: ModeFigures) => void;
  onError: (error: unknown) => void;
}

/**
 * Every cascade switches each simulated agent's virtual relay at T (on, then off, in turn):
 * the act lands on the outputs, which report when they switched (mesh sensors --all).
 * Workers hold no act:relay, so the lead leaves them out of the switch (skipped:
 * capability_mismatch); a Worker sent act would refuse it (NO_OUTPUTS), never READY.
 */
export function relaySwitch(seq: number): { action: 'set'; output: 'relay'; value: boolean } {
  return { action: 'set', output: 'relay', value: seq % 2 === 1 };
}

export async function runOneMode(api: LeadApi, arrivals: TrueArrivals, mode: ReleaseMode, seq: number, signal?: AbortSignal): Promise<ModeFigures> {
  const cascadeId = `demo-${seq}-${mode}`;
  const view = await runCascade(api, { cascade_id: cascadeId, strategy: 'wave', verb: 'act', payload: relaySwitch(seq), release_mode: mode, window_ms: WINDOW_MS }, CASCADE_TIMEOUT_MS, signal);
  const phase = view.result?.phases[0];
  const released = phase === undefined ? null : arrivals.releases(phase.operation_id, phase.target_time);
  return {
    mode,
    cascadeId,
    status: view.result?.status ?? `${view.state}: ${view.error ?? 'no result'}`,
    decidedAt: Date.now(),
    ready: view.result?.counts.ready ?? 0,
    sent: view.result?.counts.sent ?? 0,
    others: Object.entries(view.result?.counts ?? {})
      .filter(([name, n]) => n > 0 && !SHOWN_COUNTS.has(name))
      .map(([name, n]) => `${name} ${n}`)
      .join(', '),
    windowMs: WINDOW_MS,
    leads: leadFigures(view),
    truth: released === null ? null : trueFigures(released.errors, WINDOW_MS, released.offsetErrors),
  };
}

/**
 * Runs until `stop` aborts, then resolves once the cascade in flight has been decided; `cancel`
 * (a signal: the processes are going away) stops waiting for it at once.
 */
export async function runRotation(deps: RotationDeps): Promise<void> {
  for (let seq = 1; !deps.stop.aborted; seq++) {
    const started = Date.now();
    const mode = MODES[(seq - 1) % MODES.length]!;
    try {
      deps.onFigures(await runOneMode(deps.api, deps.arrivals, mode, seq, deps.cancel));
    } catch (error) {
      if (!deps.stop.aborted) deps.onError(error);
    }
    const wait = deps.intervalMs - (Date.now() - started);
    if (wait > 0) await delay(wait, undefined, { signal: deps.stop }).catch(() => undefined);
  }
}
