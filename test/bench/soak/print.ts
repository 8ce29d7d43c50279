// The soak's tables, on the console (and, through the run's log, in docs/BENCHMARKS.md).
import { stdout } from 'node:process';
import type { SoakResults } from '../soak-bench.js';
import { formatTable } from '../lib/report.js';
import type { WindowFigures } from './analysis.js';

const n = (x: number): string => (Number.isFinite(x) ? (Math.abs(x) >= 100 ? Math.round(x).toLocaleString('en-US') : x.toFixed(1)) : '-');
const s = (ms: number | null): string => (ms === null ? 'NOT within 60 s' : `${(ms / 1000).toFixed(1)} s`);

function windowRow(w: WindowFigures): string[] {
  const o = w.operations;
  return [
    `${w.name} (${w.fromS}-${w.toS} s)`, String(o.started), String(o.accepted), String(o.success), String(o.partial), String(o.failed), String(o.unsettled), String(o.notAccepted),
    String(w.acks.sent), String(w.acks.reached), String(w.acks.lost), String(w.acks.duplicated), `${n(w.heartbeats.perSecond)} / ${n(w.heartbeats.asked)}`, n(w.loopDelayMs.p99), n(w.loopDelayMs.max),
    String(w.breakerOpenScrapes),
  ];
}

function printSensors(f: SoakResults['sensorEvents']): void {
  if ('notCounted' in f) {
    stdout.write(`\nsensor events lost: NOT COUNTED (${f.notCounted})\n`);
    return;
  }
  const l = f.ledger;
  stdout.write(`\nSensor events, end to end over the whole run (${f.configured}):\n\n`);
  stdout.write(
    `${formatTable(
      ['streams', 'readings taken', 'stored by lead', 'sensor events lost (target 0)', 'dup. stored', 'at lead, not in agent records', 'settle s'],
      [[String(l.streams), String(l.produced), String(l.stored), String(l.lost), String(l.duplicated), String(l.unmatchedAtLead), (f.settleMs / 1000).toFixed(1)]],
    )}\n`,
  );
  stdout.write(
    'Readings taken: per (agent, sensor) the seqs the agent took: the daemon\'s debug log (sensor.reading, one line per reading written to its outbox; one stream per run) ' +
      'and every agent\'s last heartbeat summary (seq 0 up to the last it reports). Stored: found in GET /v1/agents/{id}/sensors/{sensor}/history, paged. ' +
      'Lost = taken - stored, after a settle in which missing readings are looked for again; dup. stored: history rows beyond the first for the same (agent, sensor, seq).\n',
  );
  if (l.lostBy.length > 0) {
    stdout.write(`\n${formatTable(['agent', 'sensor', 'boot', 'taken', 'lost', 'first lost seqs'], l.lostBy.slice(0, 20).map((x) => [x.agentId, x.sensorId, x.boot, String(x.produced), String(x.lost), x.lostSeqs.join(', ')]))}\n`);
    if (l.lostBy.length > 20) stdout.write(`... and ${l.lostBy.length - 20} more streams with losses (in the JSON)\n`);
  }
}

export function printSoak(r: SoakResults): void {
  const o = r.options;
  stdout.write(
    `\nSoak: ${r.agents.simulated} simulated agents + ${r.agents.daemons} real daemon, heartbeats every ${o.heartbeatMs} ms, an operation every ${o.opIntervalS} s ` +
      `(hold scatter-gather and broadcast in turn), ${o.durationS} s measured after a ${o.warmupS} s warm-up${o.quick ? ' (--quick)' : ''}\n\n`,
  );
  stdout.write('Per window (operations by the time they were submitted; ACKs of those operations; counters read at the window\'s edges):\n\n');
  stdout.write(
    `${formatTable(
      ['window', 'ops', 'accepted', 'SUCCESS', 'PARTIAL', 'failed', 'unsettled', 'not accepted', 'ACKs sent', 'reached lead', 'ACKs lost', 'dup. in results', 'hb/s got / asked', 'loop p99 ms', 'loop max ms', 'breaker open s'],
      [...r.windows, r.overall].map(windowRow),
    )}\n`,
  );
  stdout.write(
    '\nACKs sent: every ACK an agent decided to send (sims: arrivals file and info log; daemon: its synchronous log, which survives SIGKILL), one per agent and operation. ' +
      'Reached lead: found in the lead\'s operations history (result or late ACKs). Lost = sent - reached. Dup. in results: lead entries beyond the first for the same agent and operation. ' +
      'Loop: mesh_lead_event_loop_delay_last_window_seconds scraped every second (the worst delay of the last complete second); p99 and max over those scrapes. ' +
      'Breaker open s: scrapes (about 1 s each) with any breaker open; breakers are metrics_only here, so they did not stop sends.\n',
  );
  printSensors(r.sensorEvents);
  stdout.write(`ACKs at the lead missing from the agents' records: ${r.unmatchedAtLead.length} (0 means the agents' records are complete)\n`);

  stdout.write('\nLead RSS (per lead process; a restarted lead is measured from 10 s after it started):\n\n');
  const rssRows = [...r.windows, r.overall].flatMap((w) => w.rss.map((x) => [w.name, String(x.pid ?? '-'), `${n(x.fromS)}-${n(x.toS)} s`, n(x.startMb), n(x.endMb), n(x.growthMb), n(x.mbPerMin)]));
  stdout.write(`${formatTable(['window', 'lead pid', 'from-to', 'RSS start MB', 'RSS end MB', 'growth MB', 'MB/min'], rssRows)}\n`);

  stdout.write('\nFaults and recovery (times from the end of the fault: the restart, or the end of the flood):\n\n');
  const faultRows = r.faults.flatMap((f) => f.recoveries.map((rec, i) => [i === 0 ? `${f.kind} @ ${n(f.startedAtS)} s (scheduled ${f.scheduledAtS} s)` : '', rec.what, s(rec.ms)]));
  stdout.write(`${formatTable(['fault', 'recovered when', 'took'], faultRows)}\n`);
  for (const f of r.faults) stdout.write(`  ${f.kind} @ ${n(f.startedAtS)} s: ${JSON.stringify(f.detail)}\n`);

  stdout.write('\nWhere the lost ACKs come from:\n\n');
  stdout.write(
    r.lostBy.length === 0
      ? 'none lost\n'
      : `${formatTable(['fault met', 'agent', 'ACK', 'lead history of the operation', 'lost', 'operations'], r.lostBy.map((g) => [g.cause, g.source, g.state, g.leadRecord, String(g.count), g.operations.slice(0, 4).join(', ') + (g.operations.length > 4 ? ', ...' : '')]))}\n`,
  );
}
