// What the demo calls things on screen. The API's release modes are `hold`, `lead` and `none`;
// on a screen that also shows leads (processes) and the mesh's degradation mode, "lead" and
// "mode" would read as something else, so each release mode gets a name that says what it does.
import type { ErrorFigures, ModeFigures, ReleaseMode } from './figures.js';

export const RELEASE_NAME: Readonly<Record<ReleaseMode, string>> = Object.freeze({ hold: 'hold', lead: 'timed send', none: 'naive' });

export const RELEASE_LEGEND = [
  'release: hold = one early message, every agent waits for T on its own clock;',
  '         timed send = the lead sends to each agent early by its predicted delay + processing (API release_mode "lead");',
  '         naive = sent to all at once, no timing at all: the BASELINE the other two are measured against.',
] as const;

/** The hold spread's bound: twice the offset estimator's p99 error (two agents off in opposite directions) plus 2 ms for the timers. */
export const HOLD_TIMER_ALLOWANCE_MS = 2;

export function holdSpreadBound(truth: ErrorFigures | null): number | null {
  return truth?.offsetP99 == null ? null : 2 * truth.offsetP99 + HOLD_TIMER_ALLOWANCE_MS;
}

/** "3.1 ms, bound 5.2 ms: within" for hold; the plain spread for the others. */
export function spreadText(f: ModeFigures): string {
  const spread = f.truth?.spread;
  if (spread == null) return '-';
  if (f.mode !== 'hold') return `${spread.toFixed(1)} ms`;
  const bound = holdSpreadBound(f.truth);
  if (bound === null) return `${spread.toFixed(1)} ms (bound unknown)`;
  return `${spread.toFixed(1)} ms, bound ${bound.toFixed(1)} ms: ${spread <= bound ? 'within' : 'OVER'}`;
}

/**
 * The cascade's outcome as shown: the quorum's status, but a cascade whose agents all missed
 * the window is not a plain success, whatever the quorum decided.
 */
export function outcomeText(f: ModeFigures): string {
  const hit = f.truth?.hitRate ?? f.leads?.hitRate ?? null;
  if (hit === 0) return `${f.status}, 0% on time`;
  return f.status;
}
