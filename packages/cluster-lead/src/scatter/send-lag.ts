/**
 * How long the lead takes from choosing T to its first COORDINATE leaving: selecting and timing
 * every agent, writing the record and the journal, the timer, signing. T is chosen at the start
 * of that, so a T sized only for the agents (lead time + a few ms) leaves them that much less:
 * at 5,000 agents here the hold group left 175-275 ms after T was chosen, while T was 700 ms
 * ahead, and most agents were still processing at T. The lag grows with the fleet, so it is
 * learned per agent from the lead's own recent operations and added to T's slack.
 */

/** Per agent, before any operation was measured: 35-55 us were measured at 5,000 agents on a busy 2-core machine. */
export const DEFAULT_SEND_LAG_PER_AGENT_MS = 0.05;
/** Operations remembered; the estimate is the worst of them, as a T too early costs the quorum and a later one costs nothing in hold mode. */
export const SEND_LAG_MEMORY = 8;
/** Fixed part already covered by the scheduling slack (shared DEFAULT_SCHEDULING_SLACK_MS). */
export const SEND_LAG_FIXED_MS = 5;

export class SendLag {
  private readonly perAgent: number[] = [];

  constructor(private readonly priorPerAgentMs = DEFAULT_SEND_LAG_PER_AGENT_MS) {}

  /** One operation: `agents` planned, its first send left `lagMs` after T was chosen. */
  observe(agents: number, lagMs: number): void {
    if (!(agents > 0) || !Number.isFinite(lagMs)) return;
    this.perAgent.push(Math.max(0, lagMs - SEND_LAG_FIXED_MS) / agents);
    if (this.perAgent.length > SEND_LAG_MEMORY) this.perAgent.shift();
  }

  /** The extra slack T needs for an operation over `agents`: the worst recent lag per agent (the prior until one was seen). */
  estimateMs(agents: number): number {
    if (!(agents > 0)) return 0;
    const perAgent = this.perAgent.length === 0 ? this.priorPerAgentMs : Math.max(...this.perAgent);
    return perAgent * agents;
  }
}
