// A lead restarted with the whole fleet on record: how much its store holds per agent, how
// long until its API answers, until it is ready (heartbeats subscribed), and until the agents
// are active again. Each is polled with a deadline, never slept for.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { LeadApi } from '../../harness/index.js';

const POLL_MS = 50;
/**
 * /v1/status and /metrics walk every agent: polled every 50 ms at 30,000 agents they took 15%
 * of the restarted lead's main thread (a profile), load no real dashboard or scraper puts on it.
 */
const HEAVY_POLL_MS = 1_000;
/** A poll that takes longer than this counts as a miss (a busy lead must not stall the measurement). */
const POLL_TIMEOUT_MS = 2_000;

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
  /**
   * Until `backShare` of the agents, and then every agent, beat on a session opened with the new
   * process (mesh_lead_agents_in_session; a restarted lead knows no session). NaN if not within
   * the deadline, or in ed25519 heartbeat mode (no such gauge).
   */
  inSessionShareS: number;
  inSessionAllS: number;
  inSessionAtEnd: number;
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

/** Polls `check` every `pollMs` until it is true or `deadline` (performance.now() ms) passes; seconds since `from`, or NaN. */
export async function secondsUntil(check: () => Promise<boolean>, from: number, deadline: number, pollMs = POLL_MS): Promise<number> {
  while (performance.now() < deadline) {
    if (await withinPollTimeout(check()).catch(() => false)) return (performance.now() - from) / 1000;
    await sleep(pollMs);
  }
  return Number.NaN;
}

function withinPollTimeout<T>(pending: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('poll timed out')), POLL_TIMEOUT_MS);
  });
  return Promise.race([pending, timeout]).finally(() => clearTimeout(timer));
}

/** The value of an unlabelled gauge in Prometheus text, or undefined when it is not there. */
export function gaugeValue(metricsText: string, name: string): number | undefined {
  const line = metricsText.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.slice(name.length + 1));
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
  }, from, deadline, HEAVY_POLL_MS);
  let inSessionAtEnd = 0;
  const inSession = async (share: number): Promise<boolean> => {
    const res = await target.api.request('GET', '/metrics');
    const value = res.status === 200 ? gaugeValue(String(res.body), 'mesh_lead_agents_in_session') : undefined;
    if (value === undefined) return false;
    inSessionAtEnd = value;
    return value >= share * target.agents;
  };
  const inSessionShareS = await secondsUntil(() => inSession(options.backShare), from, deadline, HEAVY_POLL_MS);
  const inSessionAllS = await secondsUntil(() => inSession(1), from, deadline, HEAVY_POLL_MS);
  await starting.catch(() => undefined);
  return { storeBytesPerAgent, apiServesS, readyS, agentsBackS, activeAtEnd, inSessionShareS, inSessionAllS, inSessionAtEnd };
}
