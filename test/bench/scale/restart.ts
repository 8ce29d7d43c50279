// A lead restarted with the whole fleet on record: how much its store holds per agent, how
// long until its API answers, until it is ready (heartbeats subscribed), and until the agents
// are active again. Each is polled with a deadline, never slept for.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { LeadApi } from '../../harness/index.js';

const POLL_MS = 50;

export interface RestartFigures {
  /** Bytes of the lead's data directory (SQLite registry, history, WAL) per agent, after a graceful stop. */
  storeBytesPerAgent: number;
  /** From the new process's spawn until GET /health/live answers; NaN if it never did. */
  apiServesS: number;
  /** Until GET /health/ready answers 200 (connected, heartbeats subscribed). */
  readyS: number;
  /** Until at least `backShare` of the agents are active again; NaN if not within the deadline. */
  agentsBackS: number;
  activeAtEnd: number;
}

/** Total size of the files under `dir` (recursively); 0 when it cannot be read. */
export function directoryBytes(dir: string): number {
  let total = 0;
  try {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      total += entry.isDirectory() ? directoryBytes(path) : statSync(path).size;
    }
  } catch {
    return total;
  }
  return total;
}

/** Polls `check` every POLL_MS until it is true or `deadline` (performance.now() ms) passes; seconds since `from`, or NaN. */
export async function secondsUntil(check: () => Promise<boolean>, from: number, deadline: number): Promise<number> {
  while (performance.now() < deadline) {
    if (await check().catch(() => false)) return (performance.now() - from) / 1000;
    await sleep(POLL_MS);
  }
  return Number.NaN;
}

export interface RestartTarget {
  api: LeadApi;
  agents: number;
  dataDir: string;
  /** SIGTERM and wait for the exit (the lead writes its last snapshot). */
  stop(): Promise<void>;
  /** Spawn again; resolves once ready (the harness's own wait). */
  start(): Promise<void>;
}

export async function measureRestart(target: RestartTarget, options: { timeoutMs: number; backShare: number }): Promise<RestartFigures> {
  await target.stop();
  const storeBytesPerAgent = directoryBytes(target.dataDir) / target.agents;
  const from = performance.now();
  const deadline = from + options.timeoutMs;
  const starting = target.start();
  starting.catch(() => undefined); // its failure shows as NaN below
  const apiServesS = await secondsUntil(async () => (await target.api.request('GET', '/health/live')).status === 200, from, deadline);
  const readyS = await secondsUntil(async () => (await target.api.request('GET', '/health/ready')).status === 200, from, deadline);
  let activeAtEnd = 0;
  const agentsBackS = await secondsUntil(async () => {
    const status = await target.api.getOk<{ agents: { by_state: Record<string, number> } }>('/v1/status');
    activeAtEnd = status?.agents.by_state.active ?? 0;
    return activeAtEnd >= options.backShare * target.agents;
  }, from, deadline);
  await starting.catch(() => undefined);
  return { storeBytesPerAgent, apiServesS, readyS, agentsBackS, activeAtEnd };
}
