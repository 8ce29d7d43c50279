// docs/BENCHMARKS.md from one results folder: machine, how to reproduce, every target met or
// missed (and by how much), a section per benchmark. Pure: the folder is read by run-manifest.ts.
import type { ArrivalResults } from '../arrival-bench.js';
import type { ScaleResults } from '../scale-bench.js';
import type { SoakResults } from '../soak-bench.js';
import { formatCheck, type TargetCheck } from '../arrival/targets.js';
import { ORACLE_HEADERS, ORACLE_PROSE, ORACLE_TITLE, oracleRows } from '../arrival/oracle-print.js';
import type { BenchReport } from '../lib/report.js';
import { contention } from '../scale/verdict.js';
import type { LoadedRun } from './run-manifest.js';
import { SOAK_BEGIN, SOAK_END, soakSection, soakTargetLine } from './soak-section.js';

export const PLOT_FILE = 'arrival-errors.svg';
/** Console output kept per benchmark in the report: its tables are at the end. */
const LOG_TAIL_LINES = 60;

// Figures read back from JSON: NaN (nothing measured) was written as null.
const known = (x: number | null | undefined): x is number => typeof x === 'number' && Number.isFinite(x);
const num = (x: number | null | undefined, digits = 2): string => (!known(x) ? '-' : Math.abs(x) >= 100 ? Math.round(x).toLocaleString('en-US') : x.toFixed(digits));
const pct = (x: number | null | undefined): string => (known(x) ? `${(x * 100).toFixed(2)}%` : '-');

export function markdownTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]): string => `| ${cells.map((c) => c.replaceAll('|', '\\|')).join(' | ')} |`;
  return [line(headers), line(headers.map(() => '---')), ...rows.map(line)].join('\n');
}

/**
 * Why a target was missed, from the exact parts of the error in its profile's records: the
 * offset estimate, the release timer's lateness, processing that ended after T, or late ACKs.
 */
export function whyMissed(c: TargetCheck, profile: ArrivalResults['profiles'][number] | undefined): string {
  const m = profile?.modes.find((x) => x.mode === c.mode);
  if (profile === undefined || m === undefined) return '';
  if (c.metric.includes('success')) {
    return m.stragglers > 0 ? `${m.stragglers} ACKs reached the lead after its deadline (stragglers)` : 'quorum not reached';
  }
  if (c.mode === 'lead') {
    const bias = m.arrivalSignedP50 < -0.5 * m.arrivalAbs.p50 ? 'mostly early: the schedule over-estimates' : m.arrivalSignedP50 > 0.5 * m.arrivalAbs.p50 ? 'mostly late: it under-estimates' : 'spread both ways';
    return `READY at the end of processing: the error is the lead's prediction of processing time and one-way delay (signed p50 ${num(m.arrivalSignedP50)} ms, ${bias})`;
  }
  const parts: string[] = [];
  if (profile.halfAsymmetryMs > 0) parts.push(`half-asymmetry ${profile.halfAsymmetryMs} ms is invisible to the offset estimate`);
  if (m.offsetAbs.p99 >= 0.5 * m.arrivalAbs.p99) parts.push(`offset estimate (offset error p99 ${num(m.offsetAbs.p99)} ms)`);
  const timer = m.timerLateness;
  if (timer !== undefined && timer.n > 0 && timer.p99 >= 0.5 * m.arrivalAbs.p99) parts.push(`release timer late (timer lateness p99 ${num(timer.p99)} ms, max ${num(timer.max)} ms)`);
  const afterT = m.finishedAfterT;
  if (afterT !== undefined && afterT.n > 0) parts.push(`${afterT.n} releases whose processing ended after T, by up to ${num(afterT.maxMs)} ms: T was chosen too early`);
  if (parts.length === 0) parts.push(`neither part alone (offset error p99 ${num(m.offsetAbs.p99)} ms, timer lateness p99 ${num(timer?.p99)} ms): they add up`);
  return parts.join('; ');
}

export const ERROR_PARTS_HEADERS = ['profile', 'mode', '|err| p99', 'offset err p50', 'p99', 'max', 'own-clock lateness p50', 'p99', 'max', 'timer lateness p50', 'p99', 'max', 'ended after T', 'by up to'] as const;

/** Per profile and mode: the offset error and the lateness on the agent's own clock, the two exact parts of the arrival error. */
export function errorPartsRows(r: ArrivalResults): string[][] {
  return r.profiles.flatMap((p) =>
    p.modes.map((m) => {
      const timer = m.mode === 'hold' && m.timerLateness !== undefined && m.timerLateness.n > 0 ? m.timerLateness : undefined;
      const afterT = timer === undefined ? undefined : m.finishedAfterT;
      return [
        p.profile, m.mode === 'none' ? 'none (naive)' : m.mode, num(m.arrivalAbs.p99), num(m.offsetAbs.p50), num(m.offsetAbs.p99), num(m.offsetAbs.max),
        num(m.latenessSigned?.p50), num(m.latenessSigned?.p99), num(m.latenessSigned?.max),
        num(timer?.p50), num(timer?.p99), num(timer?.max),
        afterT === undefined ? '-' : String(afterT.n), afterT === undefined || afterT.n === 0 ? '-' : num(afterT.maxMs),
      ];
    }),
  );
}

function arrivalSection(r: ArrivalResults): string[] {
  const out: string[] = [];
  out.push(
    `${r.agents} simulated agents (classes ${r.classes}), clocks off by up to ±${r.clock.offsetMs} ms and drifting up to ±${r.clock.driftPpm} ppm, ` +
      `window ±${r.windowMs} ms; ${r.warmupPerMode} warm-up operation(s) per mode discarded, then ${r.opsPerMode} per mode, ` +
      `the three modes interleaved.${r.quick ? ' (quick run)' : ''}`,
    '',
    `The error is true: each sim records the machine-clock instant of every release (\`mesh-agent sim --arrivals-out\`), and the error is that minus T. ` +
      `Offset error: the agent's estimate of mesh time at the release minus the true time. Hit rate and the 50 ms KPI count agents with no READY as misses. ` +
      `The machine clock is what every process reads as performance.timeOrigin + performance.now() (the monotonic clock anchored to wall time at process start): ` +
      `the lead's T and the sims' records share it, up to what the wall clock is slewed in the seconds between their starts.`,
    '',
    `![CDF of the true arrival error per mode and profile](${PLOT_FILE})`,
    '',
  );
  const rows = r.profiles.flatMap((p) =>
    p.modes.map((m) => [
      p.profile, m.mode === 'none' ? 'none (naive)' : m.mode, String(m.arrivalAbs.n), num(m.arrivalAbs.p50), num(m.arrivalAbs.p90), num(m.arrivalAbs.p99), num(m.arrivalAbs.max), num(m.arrivalSignedP50),
      pct(m.hitRate), pct(m.within50msRate), pct(m.successRate), num(m.offsetAbs.p50), num(m.offsetAbs.p99), num(m.offsetAbs.max),
    ]),
  );
  out.push(markdownTable(['profile', 'mode', 'n', '|err| p50 ms', 'p90', 'p99', 'max', 'signed p50', 'hit rate', '≤ 50 ms', 'success', 'offset err p50', 'p99', 'max'], rows), '');
  out.push(
    'Profiles (each a fresh mesh; heartbeat interval per profile, since a beat times out after 2 s):',
    '',
    ...r.profiles.map((p) => `- **${p.profile}**: ${p.description}${p.halfAsymmetryMs > 0 ? ` (half-asymmetry bound ${p.halfAsymmetryMs} ms)` : ''}; heartbeats every ${r.heartbeatMs[p.network ?? p.profile] ?? '?'} ms`),
    ...(r.failed ?? []).map((f) => `- **${f.profile}: not measured**: ${f.error}`),
    '',
  );
  out.push(
    'The two parts of the error, exactly, from the same records: the offset error (the agent\'s estimate of mesh time minus the true time at the release) and the lateness of the release on the agent\'s own estimate of mesh time (ready_true + offset_error - T); true error = lateness - offset error. ' +
      'In hold mode the lateness splits again into the release timer\'s own lateness (ready - max(T, end of processing)) and processing that ended after T (T chosen too early).',
    '',
    markdownTable([...ERROR_PARTS_HEADERS], errorPartsRows(r)),
    '',
  );
  out.push(
    'Hold mode, per operation (median signed error, and its range, ms):',
    '',
    ...r.profiles.map((p) => `- ${p.profile}: ${(p.perOperation ?? []).filter((o) => o.mode === 'hold').map((o) => `${num(o.signedP50)} [${num(o.signedMin)}, ${num(o.signedMax)}]`).join('; ') || '-'}`),
    '',
  );
  if (oracleRows(r).length > 0) out.push(ORACLE_PROSE, '', ORACLE_TITLE, '', markdownTable([...ORACLE_HEADERS], oracleRows(r)), '');
  for (const line of asymmetryLines(r)) out.push(line, '');
  out.push('Load generator (did the sims deliver what was asked?):', '');
  out.push(
    markdownTable(
      ['profile', 'agents active', 'heartbeats/s got / asked', 'missed', 'operations settled', 'verdict'],
      r.profiles.map((p) => [p.profile, `${p.load.agentsActive}/${p.load.agentsAsked}`, `${num(p.load.heartbeatRateAchieved, 0)} / ${num(p.load.heartbeatRateAsked, 0)}`, String(p.load.heartbeatsMissed), `${p.load.operationsSettled}/${p.load.operationsAsked}`, (p.load.reached ? 'reached' : '**not reached**') + (p.truncated ? ', truncated by the time budget' : '')]),
    ),
    '',
  );
  return out;
}

/** Over an asymmetric link: how the hold error and the offset error compare with the half-asymmetry. */
export function asymmetryLines(r: ArrivalResults): string[] {
  return r.profiles
    .filter((p) => p.halfAsymmetryMs > 0)
    .map((p) => {
      const hold = p.modes.find((m) => m.mode === 'hold');
      if (hold === undefined) return `${p.profile}: no hold figures`;
      const beyond = (x: number): string => `${x >= 0 ? '+' : ''}${num(x)}`;
      return (
        `**${p.profile}**: half-asymmetry bound ${p.halfAsymmetryMs} ms; hold |error| p50 ${num(hold.arrivalAbs.p50)} ms (${beyond(hold.arrivalAbs.p50 - p.halfAsymmetryMs)} past the bound), ` +
        `p99 ${num(hold.arrivalAbs.p99)} ms (${beyond(hold.arrivalAbs.p99 - p.halfAsymmetryMs)}); offset error p50 ${num(hold.offsetAbs.p50)} ms: the estimate is off by the bound, as no two-way exchange can see an asymmetry.`
      );
    });
}

function checksTable(r: ArrivalResults): string {
  const checks = r.profiles.flatMap((p) => p.checks);
  return markdownTable(
    ['profile', 'mode', 'metric', 'target', 'measured', 'verdict', 'why, when missed'],
    checks.map((c) => [c.profile, c.mode, c.metric, `${c.comparison} ${c.limit}`, c.metric.includes('rate') || c.metric.includes('within') || c.metric.includes('success') ? pct(c.actual) : num(c.actual), c.met ? 'met' : `**${formatCheck(c)}**`, c.met ? '' : whyMissed(c, r.profiles.find((p) => p.profile === c.profile))]),
  );
}

function scaleSection(r: ScaleResults): string[] {
  const rows = r.steps.map((s) => [
    String(s.agents), num(s.startupS, 0), pct(s.meshCpuShare), pct(s.machineCpuBusy), num(s.leadCpuCores), num(s.leadRssMb, 0), num(s.apiP99Ms, 1), s.slowConsumers === null ? '-' : String(s.slowConsumers), `${s.active}/${s.agents}`, String(s.degraded ?? '-'), String(s.offline ?? '-'),
    `${num(s.heartbeatRateAchieved, 0)} / ${num(s.heartbeatRateAsked, 0)}`, String(s.heartbeatsMissed), s.scatterSucceeded ? 'SUCCESS' : 'no', s.reasons.length === 0 ? 'ok' : `**${s.reasons.map((x) => x.kind).join(', ')}**`,
  ]);
  return [
    `Heartbeats every ${r.heartbeatMs / 1000} s, ${r.measureMs / 1000} s measured per step, then one hold scatter-gather with a 95% quorum; a fresh mesh per step. Limits: the mesh's processes using ≥ ${pct(r.limits.meshCpuShare)} of all cores (machine CPU is shown for load from elsewhere), lead RSS > ${r.limits.leadRssMb} MB, lead API p99 > ${r.limits.apiP99Ms} ms (its event-loop delay seen from outside), any NATS slow consumer, > ${pct(r.limits.offlineShare)} of agents offline or > ${pct(r.limits.degradedShare)} degraded, < ${pct(r.limits.heartbeatShare)} of the heartbeat rate, no quorum.`,
    '',
    markdownTable(['agents', 'start-up s', 'mesh CPU', 'machine CPU', 'lead cores', 'lead RSS MB', 'API p99 ms', 'slow consumers', 'active', 'degraded', 'offline', 'hb/s got / asked', 'missed', 'quorum', 'verdict'], rows),
    '',
    r.steps.length === 0
      ? `No step ran: the time budget was spent (sizes not run: ${r.notRun.join(', ')}).`
      : r.brokeAt === null
      ? `Nothing broke up to ${r.steps.at(-1)?.agents ?? 0} agents${r.notRun.length > 0 ? ` (not run within the time budget: ${r.notRun.join(', ')})` : ''}.`
      : `**Broke first at ${r.brokeAt.agents} agents: ${r.brokeAt.first.kind}** (${r.brokeAt.first.detail})${r.brokeAt.all.length > 1 ? `; also ${r.brokeAt.all.slice(1).map((x) => `${x.kind} (${x.detail})`).join('; ')}` : ''}. The sims, NATS and the lead share this machine's cores, so the CPU limit is reached before a lead on its own machine would reach it.`,
    '',
    ...scaleCaveat(r),
  ];
}

function scaleCaveat(r: ScaleResults): string[] {
  const last = r.steps.at(-1);
  const caveat = r.brokeAt !== null && last !== undefined && last.meshCpuShare !== undefined ? contention(last) : null;
  return caveat === null ? [] : [`Caveat: ${caveat}.`, ''];
}

function tail(text: string | undefined): string {
  if (text === undefined || text.trim() === '') return '(no output kept)';
  return text.trimEnd().split('\n').slice(-LOG_TAIL_LINES).join('\n');
}

function reportOf<T>(run: LoadedRun, name: string): BenchReport<T> | undefined {
  return run.reports.filter((r) => r.benchmark === name).at(-1) as BenchReport<T> | undefined;
}

export function renderBenchmarks(run: LoadedRun, folder: string): string {
  const m = run.manifest;
  const machine = m?.machine ?? run.reports[0]?.machine;
  const arrival = reportOf<ArrivalResults>(run, 'arrival');
  const scale = reportOf<ScaleResults>(run, 'scale');
  const soak = reportOf<SoakResults>(run, 'soak');
  const out: string[] = ['# Benchmarks', '', `<!-- Generated by \`npm run bench:report -- ${folder}\` from the files of that folder; edit the renderer (test/bench/report/render.ts), not this file. -->`, ''];
  if (m?.note) out.push(`> **${m.note}**`, '');
  out.push(`Results of \`${folder}\` (started ${m?.startedAt ?? run.reports[0]?.startedAt ?? '?'}${m?.quick ? ', `--quick`' : ''}).`, '');
  if (machine !== undefined) {
    out.push('## Machine', '', markdownTable(['cores', 'CPU', 'memory', 'Node', 'nats-server', 'platform'], [[String(machine.cores), machine.cpuModel, `${machine.memoryGiB} GiB`, machine.node, machine.natsServer ?? '-', machine.platform]]), '');
  }
  out.push('## Reproduce', '', '```sh', 'npm run bench             # every benchmark, results in bench-results/<date>T<time>/, then this page', 'npm run bench -- --quick  # reduced sizes', `npm run bench:report -- ${folder}  # this page again from that folder`, '```', '');
  if (m !== null) {
    out.push('Each benchmark as it ran:', '', markdownTable(['benchmark', 'command', 'result', 'seconds'], m.runs.map((r) => [r.name, `\`${r.command}\``, r.skipped ? `not run: ${r.reason ?? 'time budget spent'}` : r.timedOut ? '**timed out**' : r.exitCode === 0 ? 'ok' : `**exit ${r.exitCode}**`, num(r.durationS, 0)])), '');
  }
  out.push('## Targets', '');
  if (arrival !== undefined) out.push('Arrival (project targets and the spec\'s KPIs):', '', checksTable(arrival.results), '');
  if (scale !== undefined) out.push(`Scale: ${scale.results.steps.length === 0 ? 'no step ran (time budget)' : scale.results.brokeAt === null ? 'nothing broke within the sizes run' : `broke first at ${scale.results.brokeAt.agents} agents (${scale.results.brokeAt.first.kind})`}.`, '');
  if (soak !== undefined) out.push(soakTargetLine(soak.results), '');
  out.push('Other benchmarks print their targets with their tables, below.', '');
  if (arrival !== undefined) out.push('## Arrival (end to end)', '', ...arrivalSection(arrival.results));
  if (scale !== undefined) out.push('## Scale', '', ...scaleSection(scale.results));
  if (soak !== undefined) out.push(SOAK_BEGIN, '## Soak (faults under load)', '', ...soakSection(soak.results, markdownTable), SOAK_END, '');
  const own = new Set(['arrival', 'scale', ...(soak === undefined ? [] : ['soak'])]);
  const others = run.reports.filter((r) => !own.has(r.benchmark));
  const logNames = Object.keys(run.logs).filter((n) => !own.has(n));
  for (const name of logNames.length > 0 ? logNames : [...new Set(others.map((r) => r.benchmark))]) {
    out.push(`## ${name}`, '', '```text', tail(run.logs[name]), '```', '');
  }
  return `${out.join('\n').trimEnd()}\n`;
}
