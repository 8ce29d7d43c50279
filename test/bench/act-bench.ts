// `npm run bench:act`: how close to T the outputs switch across agents when one `act` sets a
// relay on every agent. Simulated agents (each with a virtual relay driven by the daemon's own
// act handler, a skewed and drifting clock, its own emulated link) record the true instant of
// each switch (the READY release, which follows the write). Baseline in the same run: the
// naive immediate act (release mode none: switch on receipt) against hold (switch at T on
// each agent's offset-corrected clock). Modes alternate, so load that comes and goes on a
// shared machine hits both alike. Prints a table and writes JSON under bench-results/.
import { readFile } from 'node:fs/promises';
import { argv, env, stdout } from 'node:process';
import { setTimeout as sleep } from 'node:timers/promises';
import { startLocalMesh, summarize, type Summary } from '../harness/index.js';
import { submitAndWait } from './arrival/operation-outcome.js';
import { profileNamed } from './arrival/profiles.js';
import type { ArrivalLine } from './arrival/stats.js';
import { formatTable, writeReport } from './lib/report.js';

const QUICK = argv.includes('--quick');
const AGENTS = Number(env.ACT_AGENTS ?? (QUICK ? 20 : 60));
const OPS_PER_MODE = Number(env.ACT_OPS ?? (QUICK ? 5 : 12));
const WARMUP_PER_MODE = 1;
const PROFILE = profileNamed(env.ACT_PROFILE ?? 'mixed');
const MODES = ['none', 'hold'] as const;
type Mode = (typeof MODES)[number];
const HEARTBEAT_MS = 1_500;
/** Heartbeats before measuring, so every agent's clock filter has samples. */
const SYNC_BEATS = 6;
const WINDOW_MS = 25;
const OPERATION_TIMEOUT_MS = 8_000;
const SEED = 13_013;

interface ModeResult {
  mode: Mode;
  operations: number;
  /** Switches recorded (agents x operations, less the missing). */
  switches: number;
  /** Switches expected and not recorded (the agent did not switch, or not in time to be READY). */
  missing: number;
  /** Per operation: latest minus earliest switch across agents (true clock), summarised over operations. */
  spreadMs: Summary;
  /** Every switch: |true switch time - T|. */
  absErrorMs: Summary;
  /** Every switch: true switch time - T (negative: early). */
  signedErrorMs: Summary;
}

async function readSwitches(files: readonly string[]): Promise<ArrivalLine[]> {
  const lines: ArrivalLine[] = [];
  for (const file of files) {
    const text = await readFile(file, 'utf8').catch(() => '');
    for (const line of text.split('\n')) if (line.length > 0) lines.push(JSON.parse(line) as ArrivalLine);
  }
  return lines;
}

async function main(): Promise<void> {
  stdout.write(`act-at-T: ${AGENTS} simulated agents with virtual relays, ${PROFILE.name} links (${PROFILE.description}), ${OPS_PER_MODE} operations per mode after ${WARMUP_PER_MODE} warm-up\n`);
  const mesh = await startLocalMesh({
    agents: AGENTS,
    classes: { A: 1, B: 1, C: 1, D: 1, E: 1 },
    linkProfiles: PROFILE.links,
    heartbeatMs: HEARTBEAT_MS,
    seed: SEED,
    readyTimeoutMs: 120_000,
    recordArrivals: true,
    // Readings are not what is measured: the temperature is read rarely.
    virtualSensors: { interval_ms: 600_000 },
    // This measures switching, not breaker policy: one late operation must not block the next.
    leadConfig: { breakers: { metrics_only: true } },
  });
  const measured: { operationId: string; mode: Mode; targetTime: number }[] = [];
  const problems: string[] = [];
  let lines: ArrivalLine[] = [];
  const skippedByReason: Record<string, number> = {};
  try {
    await sleep(SYNC_BEATS * HEARTBEAT_MS);
    for (let i = 0; i < WARMUP_PER_MODE + OPS_PER_MODE; i++) {
      for (const mode of MODES) {
        const operationId = `act-${mode}-${i}-${Date.now()}`;
        const body = {
          operation_id: operationId,
          verb: 'act',
          payload: { action: 'set', output: 'relay', value: i % 2 === 0 },
          selector: { capability: 'act:relay' },
          release_mode: mode,
          window_ms: WINDOW_MS,
          min_response_rate: 0.9,
          timeout_ms: OPERATION_TIMEOUT_MS,
        };
        const { id, outcome } = await submitAndWait(mesh.api, body, OPERATION_TIMEOUT_MS + 10_000);
        // Agents the lead did not send the switch to, by reason: they explain "missing".
        const view = await mesh.api.getOk<{ result?: { skipped?: { reason: string }[] } | null }>(`/v1/operations/${id}`);
        const reasons = new Map<string, number>();
        for (const skip of view?.result?.skipped ?? []) reasons.set(skip.reason, (reasons.get(skip.reason) ?? 0) + 1);
        const skippedText = [...reasons].map(([reason, n]) => `${n} ${reason}`).join(', ');
        if (i >= WARMUP_PER_MODE) for (const [reason, n] of reasons) skippedByReason[reason] = (skippedByReason[reason] ?? 0) + n;
        stdout.write(`${mode} #${i}${i < WARMUP_PER_MODE ? ' (warm-up)' : ''}: ${outcome.succeeded ? 'SUCCESS' : 'no success'}, ${outcome.responders} switched${skippedText === '' ? '' : `, skipped ${skippedText}`}${outcome.problem === null ? '' : `, ${outcome.problem}`}\n`);
        if (outcome.targetTime === null) {
          problems.push(`${operationId}: ${outcome.problem ?? 'no T in the result'}`);
          continue;
        }
        if (i >= WARMUP_PER_MODE) measured.push({ operationId, mode, targetTime: outcome.targetTime });
      }
    }
    await sleep(500); // the sims' arrival streams flush
    lines = await readSwitches(mesh.arrivalFiles);
  } finally {
    await mesh.stop();
  }
  const results: ModeResult[] = MODES.map((mode) => {
    const ops = measured.filter((o) => o.mode === mode);
    const spreads: number[] = [];
    const errors: number[] = [];
    let switches = 0;
    for (const op of ops) {
      const times = lines.filter((l) => l.operation_id === op.operationId).map((l) => l.ready_true_ms);
      switches += times.length;
      if (times.length > 1) spreads.push(Math.max(...times) - Math.min(...times));
      errors.push(...times.map((t) => t - op.targetTime));
    }
    return {
      mode,
      operations: ops.length,
      switches,
      missing: ops.length * AGENTS - switches,
      spreadMs: summarize(spreads),
      absErrorMs: summarize(errors.map(Math.abs)),
      signedErrorMs: summarize(errors),
    };
  });
  const f = (n: number): string => (Number.isFinite(n) ? n.toFixed(2) : '-');
  stdout.write(`\n${formatTable(
    ['mode', 'ops', 'switches', 'missing', 'spread p50', 'spread max', '|sw-T| p50', '|sw-T| p99', '|sw-T| max', 'sw-T min'],
    results.map((r) => [r.mode === 'none' ? 'none (naive, baseline)' : 'hold (at T)', String(r.operations), String(r.switches), String(r.missing), f(r.spreadMs.p50), f(r.spreadMs.max), f(r.absErrorMs.p50), f(r.absErrorMs.p99), f(r.absErrorMs.max), f(r.signedErrorMs.min)]),
  )}\n`);
  const none = results.find((r) => r.mode === 'none')!;
  const hold = results.find((r) => r.mode === 'hold')!;
  if (Number.isFinite(none.spreadMs.p50) && Number.isFinite(hold.spreadMs.p50) && hold.spreadMs.p50 > 0) {
    stdout.write(`spread p50: hold ${f(hold.spreadMs.p50)} ms vs naive ${f(none.spreadMs.p50)} ms (${(none.spreadMs.p50 / hold.spreadMs.p50).toFixed(1)}x tighter)\n`);
  }
  if (Object.keys(skippedByReason).length > 0) stdout.write(`not sent (lead skipped), all measured operations: ${JSON.stringify(skippedByReason)}\n`);
  if (problems.length > 0) stdout.write(`operations without a result: ${problems.join('; ')}\n`);
  const file = writeReport('act', { agents: AGENTS, profile: PROFILE.name, windowMs: WINDOW_MS, opsPerMode: OPS_PER_MODE, heartbeatMs: HEARTBEAT_MS, quick: QUICK, results, skippedByReason, problems });
  stdout.write(`written: ${file}\n`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`bench:act failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
