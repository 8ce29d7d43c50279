/**
 * bench:edge, the arrival half — a mixed scatter-gather: Pi-class simulated agents over a real
 * nats-server and edge Workers running in workerd (Miniflare, bundled as for `wrangler
 * deploy`), each behind a link emulator, one lead with the edge tier (HTTP probes, offset
 * carried in the COORDINATE, ACKs in the same quorum). The lead's clock is skewed from the
 * machine clock, which is the truth: a Worker's ready_at_local plus its true offset is its
 * true ready instant.
 *
 * Reports the true arrival error (ready - T) of the Worker agents per release mode: hold (the
 * project's mode), lead (the spec's) and none (the naive send-at-once baseline, same run).
 * Pis are shown beside them. Table on stdout, JSON via test/bench/lib/report.ts.
 *
 *   npx tsx test/bench/edge-arrival-bench.ts     (EDGE_ARRIVAL_OPS, EDGE_ARRIVAL_WORKERS to scale)
 */
import { stdout } from 'node:process';
import { pino } from 'pino';
import { startMixedStack, type MixedRun, type MixedStack } from '../../packages/cluster-lead/test/edge/support/mixed-stack.js';
import type { OperationRequestInput } from '../../packages/cluster-lead/src/scatter/operation-request.js';
import { summarize } from '../harness/index.js';
import { formatTable, writeReport } from './lib/report.js';

const OPERATIONS = Number(process.env.EDGE_ARRIVAL_OPS ?? 20);
const WORKER_LINKS_MS = (process.env.EDGE_ARRIVAL_WORKERS ?? '10,20,40,60').split(',').map(Number);
const PI_AGENTS = 12;
const PI_LINKS_MS = [5, 30, 80];
const LEAD_SKEW_MS = 7_000;
const T_AHEAD_MS = 800;
const WINDOW_MS = 20;

type Mode = 'hold' | 'lead' | 'none';

interface Row {
  population: 'workers' | 'pis';
  mode: Mode;
  samples: number;
  abs: { p50: number; p90: number; p99: number; max: number };
  signed: { min: number; max: number; mean: number };
  /** Worker ACKs only: |ACK ready_at_mesh - true ready instant| (offset error as the lead measured it). */
  conversionErrorMaxMs: number | null;
}

export interface EdgeArrivalResults {
  operationsPerMode: number;
  workerLinksMs: number[];
  piAgents: number;
  piLinksMs: number[];
  leadSkewMs: number;
  rows: Row[];
  stragglers: Record<Mode, number>;
}

export async function runEdgeArrivalBench(): Promise<EdgeArrivalResults> {
  const stack = await startMixedStack({
    piAgents: PI_AGENTS,
    piLinkDelaysMs: PI_LINKS_MS,
    workerLinkDelaysMs: WORKER_LINKS_MS,
    linkJitterMs: 1,
    leadSkewMs: LEAD_SKEW_MS,
    seed: 30_030,
    logger: pino({ level: 'error' }),
    engine: { holdMarginMs: 150, ackReturnSlackMs: 1_000 },
  });
  try {
    await stack.sync(8);
    const rows: Row[] = [];
    const stragglers: Record<Mode, number> = { hold: 0, lead: 0, none: 0 };
    for (const mode of ['hold', 'lead', 'none'] as const) {
      const runs: MixedRun[] = [];
      for (let i = 0; i < OPERATIONS; i++) {
        // Clock exchanges between operations, as the heartbeat interval would give.
        await stack.tier.prober.probeAll();
        runs.push(await stack.run(request(stack, mode)));
      }
      for (const r of runs) stragglers[mode] += r.result.counts.stragglers;
      rows.push(row('workers', mode, runs.flatMap((r) => [...r.workerErrors.values()]), conversionErrors(runs)));
      rows.push(row('pis', mode, runs.flatMap((r) => [...r.piErrors.values()]), null));
    }
    return { operationsPerMode: OPERATIONS, workerLinksMs: WORKER_LINKS_MS, piAgents: PI_AGENTS, piLinksMs: PI_LINKS_MS, leadSkewMs: LEAD_SKEW_MS, rows, stragglers };
  } finally {
    await stack.close();
  }
}

function request(stack: MixedStack, mode: Mode): OperationRequestInput {
  return {
    // Not act: a Worker drives no outputs and refuses it (NO_OUTPUTS).
    verb: 'decide',
    payload: { command: 'arm' },
    targets: { all: true },
    releaseMode: mode,
    arrivalWindowMs: WINDOW_MS,
    minResponseRate: 0,
    timeoutMs: 5_000,
    ...(mode === 'hold' ? { targetTime: stack.leadClock.now() + T_AHEAD_MS } : {}),
  };
}

function conversionErrors(runs: MixedRun[]): number {
  let worst = 0;
  for (const r of runs) {
    const T = r.result.timings.targetTime;
    for (const a of r.result.responders) {
      const error = r.workerErrors.get(a.agentId);
      if (error !== undefined) worst = Math.max(worst, Math.abs(a.readyAtMeshAgent - (T + error)));
    }
  }
  return worst;
}

function row(population: Row['population'], mode: Mode, errors: number[], conversionErrorMaxMs: number | null): Row {
  const abs = summarize(errors.map(Math.abs));
  const signed = summarize(errors);
  return {
    population,
    mode,
    samples: errors.length,
    abs: { p50: abs.p50, p90: abs.p90, p99: abs.p99, max: abs.max },
    signed: { min: signed.min, max: signed.max, mean: errors.reduce((a, b) => a + b, 0) / Math.max(1, errors.length) },
    conversionErrorMaxMs,
  };
}

export function printEdgeArrival(results: EdgeArrivalResults): void {
  stdout.write(
    `\nArrival error |ready - T| (true, ms), mixed scatter-gather: ${results.workerLinksMs.length} Workers (links ${results.workerLinksMs.join('/')} ms one way) ` +
      `+ ${results.piAgents} Pis over NATS, ${results.operationsPerMode} operations per mode, lead clock ${results.leadSkewMs} ms off the Workers'\n\n`,
  );
  stdout.write(
    `${formatTable(
      ['agents', 'mode', 'n', 'p50', 'p90', 'p99', 'max', 'signed min', 'signed max', 'offset err max'],
      results.rows.map((r) => [
        r.population,
        r.mode === 'none' ? 'none (naive)' : r.mode,
        String(r.samples),
        r.abs.p50,
        r.abs.p90,
        r.abs.p99,
        r.abs.max,
        r.signed.min,
        r.signed.max,
        r.conversionErrorMaxMs === null ? '-' : r.conversionErrorMaxMs,
      ]),
    )}\n`,
  );
  stdout.write(`\nstragglers: hold ${results.stragglers.hold}, lead ${results.stragglers.lead}, none ${results.stragglers.none}\n`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const startedAt = new Date();
  const results = await runEdgeArrivalBench();
  printEdgeArrival(results);
  stdout.write(`\nwritten: ${writeReport('edge-arrival', results, startedAt)}\n`);
  process.exit(0);
}
