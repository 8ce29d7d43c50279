// The lead-against-oracle table, for the console (print.ts) and the report (report/render.ts).
import type { ArrivalResults } from '../arrival-bench.js';
import { ORACLE_P90_FACTOR } from './oracle.js';

export const ORACLE_HEADERS = ['profile', 'n', 'lead |err| p50', 'p90', 'p99', '<=50ms', 'oracle |err| p50', 'p90', 'p99', '<=50ms', 'lead p90 / oracle p90', 'lead time - oracle p50', '|.| p90'] as const;

const num = (x: number | null | undefined, digits = 1): string => (typeof x === 'number' && Number.isFinite(x) ? x.toFixed(digits) : '-');
const pct = (x: number | null | undefined): string => (typeof x === 'number' && Number.isFinite(x) ? `${(x * 100).toFixed(1)}%` : '-');

/** One row per (profile, scenario) with lead-mode releases that carry the truth. */
export function oracleRows(r: ArrivalResults): string[][] {
  return r.profiles.flatMap((p) => {
    const o = p.oracle;
    if (o === undefined || o === null) return [];
    return [[
      p.profile, String(o.n), num(o.lead.abs.p50), num(o.lead.abs.p90), num(o.lead.abs.p99), pct(o.lead.within50msRate),
      num(o.oracle.abs.p50), num(o.oracle.abs.p90), num(o.oracle.abs.p99), pct(o.oracle.within50msRate),
      num(o.lead.abs.p90 / o.oracle.abs.p90, 2), num(o.leadGap.signedP50), num(o.leadGap.absP90),
    ]];
  });
}

export const ORACLE_TITLE =
  `Lead mode against the oracle (ms): the same draws, had each agent been sent at T minus its true median one-way delay and true median processing. ` +
  `Target: lead p90 <= ${ORACLE_P90_FACTOR} x oracle p90. "lead time - oracle": the lead's planned lead time minus the oracle's (positive: sent too early).`;
