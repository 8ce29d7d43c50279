// The soak's part of docs/BENCHMARKS.md, from its JSON: the windows compared with the baseline,
// the recoveries, the floods, where lost ACKs came from and the sensor readings lost.
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

const verdict = (x: number): string => (x === 0 ? 'met' : '**MISSED**');

/** Reports written before sensors were counted hold a sentence instead of the figures. */
type SensorEvents = SoakResults['sensorEvents'] | string;

function sensorsLost(s: SensorEvents): string {
  if (typeof s === 'string') return `sensor events lost: ${s}`;
  if ('notCounted' in s) return `sensor events lost: **not counted** (${s.notCounted})`;
  const l = s.ledger;
  return `sensor events lost ${l.lost} of ${l.produced} (target 0: ${verdict(l.lost)}), sensor readings stored twice ${l.duplicated} (target 0: ${verdict(l.duplicated)})`;
}

/** One line for the Targets section. */
export function soakTargetLine(r: SoakResults): string {
  const a = r.overall.acks;
  return (
    `Soak (${r.options.durationS} s with faults): ACKs lost ${a.lost} of ${a.sent} (target 0: ${verdict(a.lost)}), ` +
    `ACKs duplicated into results ${a.duplicated} (target 0: ${verdict(a.duplicated)}), ${sensorsLost(r.sensorEvents)}.`
  );
}

function sensorLines(s: SensorEvents, table: Table): string[] {
  if (typeof s === 'string' || 'notCounted' in s) return [`${sensorsLost(s).replace(/^s/, 'S')}.`, ''];
  const l = s.ledger;
  const out = [
    `Sensor events, end to end over the whole run (${s.configured}): each (agent, sensor)'s readings as the agent took them (the daemon's synchronous log, a line per reading written ` +
      'to its outbox; every agent\'s last heartbeat summary, seq 0 up to the last it reports) against the lead\'s history of that sensor, read through ' +
      '`GET /v1/agents/{id}/sensors/{sensor}/history` page by page after the run, missing readings looked for again until none is (the settle).',
    '',
    table(['streams', 'readings taken', 'stored', 'lost', 'stored twice', 'at lead, in no agent record', 'settle s'], [[String(l.streams), String(l.produced), String(l.stored), String(l.lost), String(l.duplicated), String(l.unmatchedAtLead), num(s.settleMs / 1000)]]),
    '',
  ];
  if (l.lostBy.length > 0) {
    out.push(table(['agent', 'sensor', 'boot', 'taken', 'lost', 'first lost seqs'], l.lostBy.slice(0, 20).map((x) => [x.agentId, x.sensorId, x.boot, String(x.produced), String(x.lost), x.lostSeqs.join(', ')])), '');
  }
  return out;
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
      'the first for one agent and operation. **Loop delay**: `mesh_lead_event_loop_delay_last_window_seconds` scraped every second (the worst delay of the last complete second); p99 and max of those scrapes. ' +
      `Heartbeats: the lead's accepted counter read at the window's edges. ACKs at the lead that no agent recorded: ${r.unmatchedAtLead.length}.`,
    '',
    ...sensorLines(r.sensorEvents, table),
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
  const refused = new Map<string, number>();
  for (const op of r.operations) {
    if (op.problem === null) continue;
    const why = op.problem.replace(/\d+ ms/g, 'N ms').slice(0, 140);
    refused.set(why, (refused.get(why) ?? 0) + 1);
  }
  if (refused.size > 0) {
    out.push('Operations not accepted or failed, by reason (an operation the lead refuses sends nothing, so no ACK of it can be lost):', '');
    out.push(...[...refused.entries()].sort((a, b) => b[1] - a[1]).map(([why, count]) => `- ${count} × ${why}`), '');
  }
  const reach = (f: SoakResults['faults'][number]): number => r.operations.filter((o) => o.postStatus === 202 && o.problem === null && o.submittedAt >= f.startedAt - 30_000 && o.submittedAt <= f.endedAt).length;
  out.push(`Operations in flight through each fault (accepted, not failed, submitted from 30 s before it until it ended): ${r.faults.map((f) => `${f.kind} at ${num(f.startedAtS, 0)} s: ${reach(f)}`).join('; ')}.`, '');
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
