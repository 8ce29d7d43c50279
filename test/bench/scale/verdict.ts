// When does a scale step count as broken? Every limit the step crossed, named, so the report
// can say what broke first (CPU, memory, event loop, NATS, heartbeats, quorum) and by how much.

export interface StepMeasure {
  agents: number;
  /** Every agent active at the lead before the deadline. */
  registered: boolean;
  /** Share of all cores the mesh's own processes (NATS, lead, sims) used over the window. */
  meshCpuShare: number;
  /** Share of all cores busy, every process on the machine: shows load from elsewhere. */
  machineCpuBusy: number;
  leadCpuCores: number;
  /** Cores the sims (the load generator) and nats-server used over the window, apart from the lead's. */
  simsCpuCores: number;
  natsCpuCores: number;
  /** Lead CPU per heartbeat it accepted in the window, µs. */
  leadCpuUsPerHeartbeat: number;
  /** Worst event-loop delay inside the lead over the window (its own histogram), ms. */
  loopDelayMaxMs: number;
  leadRssMb: number;
  /** Lead API answer time p99 while heartbeats flow: the lead's event-loop delay, seen from outside. */
  apiP99Ms: number;
  slowConsumers: number | null;
  /** Agents the lead counts active at the end of the window. */
  active: number;
  /** Agents the lead counts degraded (unstable latency) and offline (heartbeats timed out). */
  degraded: number;
  offline: number;
  /** Agents the lead quarantined (health score, after operations): none should be, for load that is the machine's own. */
  quarantined: number;
  heartbeatRateAsked: number;
  /** Heartbeats per second the lead accepted in the steady-state window (start-up bursts excluded). */
  heartbeatRateAchieved: number;
  /** Heartbeats per second the sims say they sent in the same window. */
  heartbeatRateSent: number;
  heartbeatsMissed: number;
  /** The scatter-gather with quorum reached SUCCESS. */
  scatterSucceeded: boolean;
  scatterReadyShare: number;
}

export const LIMITS = {
  meshCpuShare: 0.9,
  leadRssMb: 1_024,
  apiP99Ms: 100,
  /** At most this share of agents offline (heartbeat timeouts) or degraded (latency judged unstable). */
  offlineShare: 0.01,
  degradedShare: 0.01,
  heartbeatShare: 0.95,
  missedShare: 0.01,
} as const;

export interface BreakReason {
  kind: 'startup' | 'cpu' | 'memory' | 'event-loop' | 'nats' | 'heartbeats' | 'degraded' | 'quarantined' | 'quorum';
  detail: string;
}

export function breakReasons(m: StepMeasure): BreakReason[] {
  const reasons: BreakReason[] = [];
  const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;
  if (!m.registered) reasons.push({ kind: 'startup', detail: `only ${m.active} of ${m.agents} agents active before the deadline` });
  if (m.meshCpuShare >= LIMITS.meshCpuShare) {
    reasons.push({ kind: 'cpu', detail: `mesh processes used ${pct(m.meshCpuShare)} of all cores (limit ${pct(LIMITS.meshCpuShare)}); lead ${m.leadCpuCores.toFixed(2)} cores, machine ${pct(m.machineCpuBusy)} busy` });
  }
  if (m.leadRssMb > LIMITS.leadRssMb) reasons.push({ kind: 'memory', detail: `lead RSS ${m.leadRssMb} MB (limit ${LIMITS.leadRssMb} MB)` });
  if (m.apiP99Ms > LIMITS.apiP99Ms) reasons.push({ kind: 'event-loop', detail: `lead API p99 ${m.apiP99Ms.toFixed(0)} ms (limit ${LIMITS.apiP99Ms} ms)` });
  if ((m.slowConsumers ?? 0) > 0) reasons.push({ kind: 'nats', detail: `${m.slowConsumers} NATS slow consumer(s)` });
  const hbShare = m.heartbeatRateAsked > 0 ? m.heartbeatRateAchieved / m.heartbeatRateAsked : 1;
  const unseen = m.agents - m.active - m.degraded - m.quarantined; // offline, or never registered
  if (unseen > m.agents * LIMITS.offlineShare || hbShare < LIMITS.heartbeatShare || m.heartbeatsMissed > m.agents * LIMITS.missedShare) {
    reasons.push({ kind: 'heartbeats', detail: `${m.offline} offline and ${unseen - m.offline} unseen of ${m.agents}, heartbeats ${pct(hbShare)} of the asked rate, ${m.heartbeatsMissed} missed` });
  }
  if (m.degraded > m.agents * LIMITS.degradedShare) {
    reasons.push({ kind: 'degraded', detail: `${m.degraded}/${m.agents} agents degraded: the lead saw their heartbeat latency swing (delays on a busy machine show up there first)` });
  }
  if (m.quarantined > 0) reasons.push({ kind: 'quarantined', detail: `${m.quarantined}/${m.agents} agents quarantined after one operation on a loopback mesh: the lead held its own (or the machine's) slowness against them` });
  if (!m.scatterSucceeded) reasons.push({ kind: 'quorum', detail: `scatter-gather not SUCCESS (${pct(m.scatterReadyShare)} ready)` });
  return reasons;
}

/** Busy-machine share not explained by the mesh beyond which a step's limits say more about the machine. */
export const CONTENTION_SHARE = 0.3;

/** A caveat when other work kept the machine busy during the step, or null. */
export function contention(m: Pick<StepMeasure, 'machineCpuBusy' | 'meshCpuShare'>): string | null {
  const other = m.machineCpuBusy - m.meshCpuShare;
  if (!(other > CONTENTION_SHARE)) return null;
  return `the machine was ${(m.machineCpuBusy * 100).toFixed(0)}% busy but this mesh used only ${(m.meshCpuShare * 100).toFixed(0)}%: other work competed for the CPU, so delays measured here are partly that work's`;
}
