// A measured window of steady heartbeat load: every counter is read at the window's two edges
// (never before a settle sleep), and the CPU of the lead, the sims and nats-server is kept
// apart, so the lead's cost per heartbeat is its own and not the load generator's.
import { worstLoopDelayMsBetween } from '../../harness/index.js';

/** What is read at one edge of the window. */
export interface WindowEdge {
  /** performance.now() when the edge was read. */
  atMs: number;
  /** The lead's ingest.accepted counter (heartbeats it accepted since it started). */
  accepted: number;
  /** CPU seconds used so far by each part; NaN when it could not be read. */
  leadCpuS: number;
  simsCpuS: number;
  natsCpuS: number;
}

export interface WindowFigures {
  windowS: number;
  /** Heartbeats the lead accepted inside the window, and per second. */
  accepted: number;
  acceptedPerSec: number;
  /** Cores each part used over the window. */
  leadCores: number;
  simsCores: number;
  natsCores: number;
  /** CPU the lead (and nats-server) spent per heartbeat it accepted, µs; NaN without heartbeats. */
  leadCpuUsPerHeartbeat: number;
  natsCpuUsPerHeartbeat: number;
}

/** The figures of the window between two edges. */
export function windowFigures(start: WindowEdge, end: WindowEdge): WindowFigures {
  const windowS = (end.atMs - start.atMs) / 1000;
  if (!(windowS > 0)) throw new Error(`window end (${end.atMs}) is not after its start (${start.atMs})`);
  const accepted = end.accepted - start.accepted;
  const perBeatUs = (cpuS: number): number => (accepted > 0 ? (cpuS * 1e6) / accepted : Number.NaN);
  const lead = end.leadCpuS - start.leadCpuS;
  const nats = end.natsCpuS - start.natsCpuS;
  return {
    windowS,
    accepted,
    acceptedPerSec: accepted / windowS,
    leadCores: lead / windowS,
    simsCores: (end.simsCpuS - start.simsCpuS) / windowS,
    natsCores: nats / windowS,
    leadCpuUsPerHeartbeat: perBeatUs(lead),
    natsCpuUsPerHeartbeat: perBeatUs(nats),
  };
}

/** The lead's worst event-loop delay (ms) between two /metrics pages (a bucket bound), or NaN. */
export function loopDelayFromMetrics(before: unknown, after: unknown): number {
  return worstLoopDelayMsBetween(typeof before === 'string' ? before : undefined, typeof after === 'string' ? after : undefined);
}
