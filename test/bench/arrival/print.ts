// The arrival benchmark's console output: one table of figures, one of targets.
import { stdout } from 'node:process';
import { formatTable } from '../lib/report.js';
import type { ArrivalResults } from '../arrival-bench.js';
import { asymmetryLines, errorPartsRows, ERROR_PARTS_HEADERS } from '../report/render.js';
import { formatCheck } from './targets.js';
import { ORACLE_HEADERS, ORACLE_TITLE, oracleRows } from './oracle-print.js';

const pct = (x: number): string => (Number.isNaN(x) ? '-' : `${(x * 100).toFixed(2)}%`);

export function printArrival(results: ArrivalResults): void {
  stdout.write(
    `\nTrue arrival error |ready - T| (ms, machine clock), ${results.agents} agents (classes ${results.classes}), window ${results.windowMs} ms, ` +
      `${results.opsPerMode} measured operations per mode after ${results.warmupPerMode} discarded${results.quick ? ' (quick)' : ''}\n\n`,
  );
  const rows = results.profiles.flatMap((p) =>
    p.modes.map((m) => [
      p.profile,
      m.mode === 'none' ? 'none (naive)' : m.mode,
      String(m.arrivalAbs.n),
      m.arrivalAbs.p50,
      m.arrivalAbs.p90,
      m.arrivalAbs.p99,
      m.arrivalAbs.max,
      m.arrivalSignedP50,
      pct(m.hitRate),
      pct(m.within50msRate),
      pct(m.successRate),
      m.offsetAbs.p50,
      m.offsetAbs.p99,
      String(m.missing),
    ]),
  );
  stdout.write(`${formatTable(['profile', 'mode', 'n', 'p50', 'p90', 'p99', 'max', 'signed p50', 'hit', '<=50ms', 'success', 'offset err p50', 'offset err p99', 'missing'], rows)}\n`);
  stdout.write('\nThe two parts of the error (true error = own-clock lateness - offset error, exactly; ms)\n\n');
  stdout.write(`${formatTable([...ERROR_PARTS_HEADERS], errorPartsRows(results))}\n`);
  stdout.write(`\n${ORACLE_TITLE}\n\n${formatTable([...ORACLE_HEADERS], oracleRows(results))}\n`);
  stdout.write('\nTargets\n\n');
  const checks = results.profiles.flatMap((p) => p.checks);
  stdout.write(`${formatTable(['profile', 'mode', 'metric', 'target', 'actual', 'verdict'], checks.map((c) => [c.profile, c.mode, c.metric, `${c.comparison} ${c.limit}`, c.actual, formatCheck(c)]))}\n`);
  for (const line of asymmetryLines(results)) stdout.write(`\n${line.replaceAll('**', '')}\n`);
  for (const f of results.failed) stdout.write(`\n${f.profile}: NOT MEASURED: ${f.error}\n`);
  stdout.write('\nLoad generator\n\n');
  for (const p of results.profiles) {
    const l = p.load;
    stdout.write(
      `${p.profile}: agents active ${l.agentsActive}/${l.agentsAsked}, heartbeats ${l.heartbeatRateAchieved.toFixed(0)}/s of ${l.heartbeatRateAsked.toFixed(0)}/s asked ` +
        `(${l.heartbeatsMissed} missed), operations settled ${l.operationsSettled}/${l.operationsAsked}: ${l.reached ? 'reached' : 'NOT REACHED'}` +
        `${p.truncated ? ', TRUNCATED by the time budget' : ''}\n`,
    );
    for (const problem of p.problems.slice(0, 5)) stdout.write(`  ${problem}\n`);
  }
}
