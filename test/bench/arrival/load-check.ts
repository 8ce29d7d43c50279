// Did the load generator (the sims) deliver what was asked? Read from the totals lines each
// `mesh-agent sim` prints to its log once a second.
import { readFile } from 'node:fs/promises';

export interface SimTotalsLine {
  sim: { agents: number; heartbeatsSent: number; heartbeatsMissed: number };
  at: number;
}

export interface LoadCheck {
  agentsAsked: number;
  agentsActive: number;
  /** Heartbeats per second all sims should send, and what they sent while operations ran. */
  heartbeatRateAsked: number;
  heartbeatRateAchieved: number;
  heartbeatsMissed: number;
  operationsAsked: number;
  operationsSettled: number;
  /** True when every achieved figure is within 5% of the asked one. */
  reached: boolean;
}

const TOLERANCE = 0.95;

export function totalsLines(text: string): SimTotalsLine[] {
  const lines: SimTotalsLine[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('{"sim":')) continue;
    try {
      lines.push(JSON.parse(line) as SimTotalsLine);
    } catch {
      // a line cut short by the process exiting
    }
  }
  return lines;
}

/**
 * Heartbeats per second one sim sent, and beats it missed, between the first totals line at or
 * after `since` and the last at or before `until`: start-up (beats missed before the lead
 * listens, the start-up burst) is left out, and so is what came after the measured window.
 */
export function heartbeatRate(all: readonly SimTotalsLine[], since = 0, until = Number.POSITIVE_INFINITY): { rate: number; missed: number } {
  const lines = all.filter((l) => l.at >= since && l.at <= until);
  const first = lines[0];
  const last = lines[lines.length - 1];
  if (first === undefined || last === undefined || last.at <= first.at) return { rate: 0, missed: 0 };
  return { rate: ((last.sim.heartbeatsSent - first.sim.heartbeatsSent) * 1000) / (last.at - first.at), missed: last.sim.heartbeatsMissed - first.sim.heartbeatsMissed };
}

export async function checkLoad(
  simLogs: readonly string[],
  asked: { agents: number; active: number; heartbeatMs: number; operations: number; settled: number; since: number; until?: number },
): Promise<LoadCheck> {
  let rate = 0;
  let missed = 0;
  for (const file of simLogs) {
    const r = heartbeatRate(totalsLines(await readFile(file, 'utf8').catch(() => '')), asked.since, asked.until);
    rate += r.rate;
    missed += r.missed;
  }
  const rateAsked = (asked.agents * 1000) / asked.heartbeatMs;
  return {
    agentsAsked: asked.agents,
    agentsActive: asked.active,
    heartbeatRateAsked: rateAsked,
    heartbeatRateAchieved: rate,
    heartbeatsMissed: missed,
    operationsAsked: asked.operations,
    operationsSettled: asked.settled,
    reached: asked.active >= asked.agents * TOLERANCE && rate >= rateAsked * TOLERANCE && asked.settled >= asked.operations * TOLERANCE,
  };
}
