// A lead restarted with the whole fleet on record: how much its store holds per agent, how
// long until its API answers, until it is ready (heartbeats subscribed), and until the agents
// are active again. Each is polled with a deadline, never slept for.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { LeadApi } from '../../harness/index.js';
import { metricValues } from '../lib/metric-values.js';

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
  return metricValues(metricsText, name)[''];
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
  const back = await fleetBack(async () => {
    const [status, metrics] = await Promise.all([
      target.api.getOk<{ agents: { by_state: Record<string, number> } }>('/v1/status').catch(() => undefined),
      target.api.request('GET', '/metrics').catch(() => undefined),
    ]);
    return {
      active: status?.agents.by_state.active,
      inSession: metrics?.status === 200 ? gaugeValue(String(metrics.body), 'mesh_lead_agents_in_session') : undefined,
    };
  }, { agents: target.agents, backShare: options.backShare, from, deadline, pollMs: HEAVY_POLL_MS });
  await starting.catch(() => undefined);
  return { storeBytesPerAgent, apiServesS, readyS, ...back };
}

export interface FleetCounts {
  /** Agents active in the registry; undefined when the read failed. */
  active: number | undefined;
  /** mesh_lead_agents_in_session; undefined when the read failed or the gauge is absent. */
  inSession: number | undefined;
}

type FleetBack = Pick<RestartFigures, 'agentsBackS' | 'activeAtEnd' | 'inSessionShareS' | 'inSessionAllS' | 'inSessionAtEnd'>;

/**
 * Polls `read` until the fleet is back (active share reached and every agent in session) or the
 * deadline; each figure is stamped when it first reaches its mark. Read in the same polls, not
 * one after the other: waiting for an active share that never came used to leave the in-session
 * figures unread (reported 0).
 */
export async function fleetBack(
  read: () => Promise<FleetCounts>,
  o: { agents: number; backShare: number; from: number; deadline: number; pollMs: number },
): Promise<FleetBack> {
  const since = (): number => (performance.now() - o.from) / 1000;
  const figures: FleetBack = { agentsBackS: Number.NaN, activeAtEnd: 0, inSessionShareS: Number.NaN, inSessionAllS: Number.NaN, inSessionAtEnd: 0 };
  await secondsUntil(async () => {
    const { active, inSession } = await read();
    if (active !== undefined) figures.activeAtEnd = active;
    if (inSession !== undefined) figures.inSessionAtEnd = inSession;
    if (Number.isNaN(figures.agentsBackS) && figures.activeAtEnd >= o.backShare * o.agents) figures.agentsBackS = since();
    if (Number.isNaN(figures.inSessionShareS) && figures.inSessionAtEnd >= o.backShare * o.agents) figures.inSessionShareS = since();
    if (Number.isNaN(figures.inSessionAllS) && figures.inSessionAtEnd >= o.agents) figures.inSessionAllS = since();
    return !Number.isNaN(figures.agentsBackS) && !Number.isNaN(figures.inSessionAllS);
  }, o.from, o.deadline, o.pollMs);
  return figures;
}
