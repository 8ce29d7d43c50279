// When each replayed agent beats: agents spread evenly over the interval (agent i at phase
// i/n of it), every agent once per interval, in time order. Pure, so the schedule is tested
// without a lead.

export interface PlannedBeat {
  /** Index of the agent in the fleet. */
  agent: number;
  /** Planned send time, epoch ms (becomes the heartbeat's created_at and t1). */
  at: number;
}

/**
 * Every beat of agents [0, agents) planned in [fromMs, fromMs + durationMs), in time order.
 * The fleet's rate is agents / interval; each agent's phase is fixed, so one agent's beats are
 * exactly one interval apart across consecutive calls with adjoining ranges.
 */
export function planBeats(agents: number, intervalMs: number, fromMs: number, durationMs: number): PlannedBeat[] {
  const beats: PlannedBeat[] = [];
  const until = fromMs + durationMs;
  for (let agent = 0; agent < agents; agent++) {
    const phase = (agent * intervalMs) / agents;
    // The first beat at or after fromMs on this agent's grid (phase + k * interval).
    const k = Math.ceil((fromMs - phase) / intervalMs);
    for (let at = phase + k * intervalMs; at < until; at += intervalMs) beats.push({ agent, at });
  }
  return beats.sort((a, b) => a.at - b.at || a.agent - b.agent);
}

/** Per-agent sequence numbers, moving forward across every plan (the lead refuses a seq that does not). */
export class SequenceCounter {
  private readonly next: number[] = [];

  take(agent: number): number {
    const seq = this.next[agent] ?? 1;
    this.next[agent] = seq + 1;
    return seq;
  }
}
