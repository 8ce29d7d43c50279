// The processing scenarios the arrival benchmark runs each network profile under (sim spec
// `processing.scenario`, packages/pi-daemon/src/sim/processing-model.ts), and the checks that
// depend on the scenario: the spec's lead-mode KPI is judged on the realistic one, the lead's
// gap to the oracle on both.
import type { OracleFigures } from './oracle.js';
import { ORACLE_P90_FACTOR } from './oracle.js';
import type { TargetCheck } from './targets.js';

export const PROCESSING_SCENARIOS = ['independent', 'realistic'] as const;
export type ProcessingScenario = (typeof PROCESSING_SCENARIOS)[number];

export function scenariosFrom(text: string | undefined): ProcessingScenario[] {
  if (text === undefined) return [...PROCESSING_SCENARIOS];
  return text.split(',').map((name) => {
    const found = PROCESSING_SCENARIOS.find((s) => s === name);
    if (found === undefined) throw new Error(`unknown processing scenario ${name} (known: ${PROCESSING_SCENARIOS.join(', ')})`);
    return found;
  });
}

/** The row label of a (network profile, scenario) run: the profile's name, and the scenario unless it is the independent one the bench always ran. */
export function runLabel(profile: string, scenario: ProcessingScenario): string {
  return scenario === 'independent' ? profile : `${profile} (realistic)`;
}

/** Lead-mode checks that only the realistic scenario is judged on: independent draws leave nothing per agent to learn. */
const REALISTIC_ONLY = new Set(['spec KPI: within 50 ms of T', 'arrival |error| p90 (ms)']);

/**
 * The profile's checks for its scenario: under independent draws the spec's lead KPI is not
 * judged (it is on the realistic scenario); under both, lead p90 within 10% of the oracle's.
 */
export function scenarioChecks(checks: readonly TargetCheck[], scenario: ProcessingScenario, oracle: OracleFigures | null, label: string): TargetCheck[] {
  const kept = checks
    .filter((c) => scenario === 'realistic' || c.mode !== 'lead' || !REALISTIC_ONLY.has(c.metric))
    .map((c) => ({ ...c, profile: label }));
  const limit = oracle === null ? Number.NaN : Math.round(oracle.oracle.abs.p90 * ORACLE_P90_FACTOR * 100) / 100;
  const actual = oracle === null ? Number.NaN : oracle.lead.abs.p90;
  const met = actual <= limit;
  kept.push({
    profile: label,
    mode: 'lead',
    metric: 'lead p90 vs oracle p90 x 1.1 (ms)',
    comparison: '<=',
    limit,
    actual,
    met,
    missedBy: met ? 0 : Number.isNaN(actual) || Number.isNaN(limit) ? Number.NaN : actual - limit,
    ...(oracle === null ? { note: 'no release carried the oracle\'s truth' } : {}),
  });
  return kept;
}
