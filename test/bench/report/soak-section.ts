// The soak's part of docs/BENCHMARKS.md, from its JSON: the windows compared with the baseline,
// the recoveries, the floods and where lost ACKs came from.
import type { SoakResults } from '../soak-bench.js';
import type { WindowFigures } from '../soak/analysis.js';

/** Around the soak's section in docs/BENCHMARKS.md, so a soak run alone can replace just it (publishSoak). */
export const SOAK_BEGIN = '<!-- soak:begin -->';
export const SOAK_END = '<!-- soak:end -->';

/** `doc` with its soak section replaced by `section` (appended when it has none). */
export function spliceSoak(doc: string, section: string): string {
  const begin = doc.indexOf(SOAK_BEGIN);
  const end = doc.indexOf(SOAK_END);
  if (begin < 0 || end < begin) return `${doc.trimEnd()}\n\n${section.trimEnd()}\n`;
  return `${doc.slice(0, begin)}${section.trimEnd()}${doc.slice(end + SOAK_END.length)}`;
}

type Table = (headers: readonly string[], rows: readonly (readonly string[])[]) => string;

const known = (x: number | null | undefined): x is number => typeof x === 'number' && Number.isFinite(x);
const num = (x: number | null | undefined, digits = 1): string => (!known(x) ? '-' : Math.abs(x) >= 100 ? Math.round(x).toLocaleString('en-US') : x.toFixed(digits));
const took = (ms: number | null): string => (ms === null ? '**not within 60 s**' : `${(ms / 1000).toFixed(1)} s`);

/** One line for the Targets section. */
export function soakTargetLine(r: SoakResults): string {
  const a = r.overall.acks;
  const verdict = (x: number): string => (x === 0 ? 'met' : '**MISSED**');
  return (
    `Soak (${r.options.durationS} s with faults): ACKs lost ${a.lost} of ${a.sent} (target 0: ${verdict(a.lost)}), ` +
    `ACKs duplicated into results ${a.duplicated} (target 0: ${verdict(a.duplicated)}), sensor events lost: ${r.sensorEvents}.`
  );
}

function windowRow(w: WindowFigures): string[] {
  const o = w.operations;
  return [
    `${w.name} (${w.fromS}-${w.toS} s)`, String(o.started), String(o.success), String(o.partial), String(o.failed), String(o.unsettled), String(o.notAccepted),
    String(w.acks.sent), String(w.acks.lost), String(w.acks.duplicated), `${num(w.heartbeats.perSecond)} / ${num(w.heartbeats.asked)}`, num(w.loopDelayMs.p99, 0), num(w.loopDelayMs.max, 0), String(w.breakerOpenScrapes ?? '-'),
  ];
}

export function soakSection(r: SoakResults, table: Table): string[] {
  const o = r.options;
  const out: string[] = [
    `${r.agents.simulated} simulated agents and ${r.agents.daemons} real \`mesh-agent run\` daemon (SQLite outbox) on one lead, heartbeats every ${o.heartbeatMs} ms, ` +
      `a hold scatter-gather or a broadcast to every agent every ${o.opIntervalS} s; ${o.durationS} s measured after a ${o.warmupS} s warm-up that is not counted${o.quick ? ' (`--quick`)' : ''}. ` +
      'The baseline window has the same load and no faults; the tail is quiet again after the faults. Breakers are `metrics_only` (they count, they do not stop sends), as in the scale run.',
    '',
    table(['window', 'operations', 'SUCCESS', 'PARTIAL', 'failed', 'unsettled', 'not accepted', 'ACKs sent', 'ACKs lost', 'dup. in results', 'heartbeats/s got / asked', 'loop delay p99 ms', 'max ms', 'breaker open s'], [...r.windows, r.overall].map(windowRow)),
    '',
    'Operations are counted in the window they were submitted in, with the ACKs of those operations. **ACKs sent** are the agents\' own records: a sim\'s arrivals file ' +
      '(one line per READY release) and its TRANSIT/CONFLICT log lines, and the daemon\'s log, which it writes synchronously (a line survives SIGKILL). **Lost**: sent and absent ' +
      'from the lead\'s operations history (the decided result or the late ACKs recorded after it), read from its database after the run. **Dup. in results**: entries beyond ' +
      'the first for one agent and operation. **Loop delay**: `mesh_lead_event_loop_delay_ms` scraped every second (the worst delay of that second); p99 and max of those scrapes. ' +
      `Heartbeats: the lead's accepted counter read at the window's edges. ACKs at the lead that no agent recorded: ${r.unmatchedAtLead.length}.`,
    '',
    `Sensor events lost: ${r.sensorEvents}.`,
    '',
    'Lead RSS, per lead process (the lead is restarted in the fault window; a restarted lead is measured from 10 s after its start):',
    '',
    table(['window', 'lead pid', 'from-to s', 'RSS start MB', 'RSS end MB', 'growth MB', 'MB/min'], [...r.windows, r.overall].flatMap((w) => w.rss.map((x) => [w.name, String(x.pid ?? '-'), `${num(x.fromS, 0)}-${num(x.toS, 0)}`, num(x.startMb, 0), num(x.endMb, 0), num(x.growthMb), num(x.mbPerMin, 2)]))),
    '',
    'Faults and recovery (from the end of the fault: the restart, or the end of the flood):',
    '',
    table(
      ['fault', 'started s (scheduled)', 'recovered when', 'took'],
      r.faults.flatMap((f) => f.recoveries.map((rec, i) => [i === 0 ? f.kind : '', i === 0 ? `${num(f.startedAtS, 0)} (${f.scheduledAtS})` : '', rec.what, took(rec.ms)])),
    ),
    '',
    ...r.faults.map((f) => `- ${f.kind} at ${num(f.startedAtS, 0)} s: \`${JSON.stringify(f.detail)}\``),
    '',
  ];
  if (r.lostBy.length === 0) out.push('No ACK was lost.', '');
  else {
    out.push(
      'Where the lost ACKs come from (the fault the operation met, which agent, the ACK, the lead\'s history row of the operation):',
      '',
      table(['fault met', 'agent', 'ACK', 'lead history', 'lost', 'operations'], r.lostBy.map((g) => [g.cause, g.source, g.state, g.leadRecord, String(g.count), g.operations.slice(0, 4).join(', ') + (g.operations.length > 4 ? ', ...' : '')])),
      '',
    );
  }
  return out;
}
