/**
 * How late the last few ms of a hold release land, by how the thread waits for them: a pure
 * busy wait (what the precise timer does) against sleeping (Atomics.wait) until SPIN_TAIL_MS
 * before the due time and busy-waiting only the tail (a candidate). Interleaved, same process,
 * same minute, so the machine's load hits both alike; the run-queue wait (Linux schedstat) says
 * how much of each lateness was time spent waiting for a CPU.
 *
 *   npx tsx test/bench/arrival/release-wait-bench.ts            (400 waits per method)
 *   WAIT_SAMPLES=1000 npx tsx test/bench/arrival/release-wait-bench.ts
 */
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { argv, env, stdout } from 'node:process';
import { summarize } from '../../harness/percentiles.js';
import { formatTable, writeReport } from '../lib/report.js';
import { runQueueWaitReader } from '../../../packages/pi-daemon/src/clock/run-queue.js';

const SAMPLES = Number(env.WAIT_SAMPLES ?? 400);
/** The candidate's busy tail. */
const SPIN_TAIL_MS = 0.2;
const cell = new Int32Array(new SharedArrayBuffer(4));
const METHODS = ['busy wait', 'sleep, then spin the tail'] as const;
type Method = (typeof METHODS)[number];

function waitUntil(method: Method, due: number): void {
  if (method === 'sleep, then spin the tail') {
    const sleep = due - performance.now() - SPIN_TAIL_MS;
    if (sleep > 0.1) Atomics.wait(cell, 0, 0, sleep);
  }
  while (performance.now() < due);
}

export function runReleaseWaitBench(): { loadavg: number[]; samples: number; methods: { method: Method; lateMs: ReturnType<typeof summarize>; runQueueMs: ReturnType<typeof summarize> }[] } {
  const runQueue = runQueueWaitReader() ?? (() => Number.NaN);
  const late: Record<Method, number[]> = { 'busy wait': [], 'sleep, then spin the tail': [] };
  const queued: Record<Method, number[]> = { 'busy wait': [], 'sleep, then spin the tail': [] };
  const load = loadavg();
  for (let i = 0; i < SAMPLES; i++) {
    for (const method of METHODS) {
      // A wait of 0.5-8 ms: the precise timer's margin range.
      const start = performance.now();
      const due = start + 0.5 + Math.random() * 7.5;
      const queuedBefore = runQueue();
      waitUntil(method, due);
      late[method].push(performance.now() - due);
      queued[method].push(runQueue() - queuedBefore);
      // A gap between waits, as between releases (asleep, not busy).
      Atomics.wait(cell, 0, 0, 3);
    }
  }
  return { loadavg: load, samples: SAMPLES, methods: METHODS.map((method) => ({ method, lateMs: summarize(late[method]), runQueueMs: summarize(queued[method]) })) };
}

if (import.meta.url === `file://${argv[1]}`) {
  const startedAt = new Date();
  const results = runReleaseWaitBench();
  const f = (x: number): string => x.toFixed(3);
  stdout.write(`\nLateness of a precise wait (ms), ${results.samples} waits per method, interleaved; load average ${results.loadavg.map((x) => x.toFixed(1)).join(' ')}\n\n`);
  stdout.write(
    `${formatTable(
      ['method', 'late p50', 'p90', 'p99', 'max', 'waited for CPU p50', 'p90', 'p99'],
      results.methods.map((m) => [m.method, f(m.lateMs.p50), f(m.lateMs.p90), f(m.lateMs.p99), f(m.lateMs.max), f(m.runQueueMs.p50), f(m.runQueueMs.p90), f(m.runQueueMs.p99)]),
    )}\n`,
  );
  stdout.write(`\nwritten: ${writeReport('release-wait', results, startedAt)}\n`);
}
