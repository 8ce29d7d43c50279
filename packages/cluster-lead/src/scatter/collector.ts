/**
 * The gather side of one operation: who was sent what, which ACKs came back, and whether the
 * operation can be decided early (every sent agent has answered and nothing is left to send).
 * One ACK per agent counts; a duplicate is confirmed but not counted again.
 */
import { trinaryQuorum } from '@mesh30k/shared';
import type { Ack, QuorumThresholds, Verified } from '@mesh30k/shared';
import { toArrival } from './arrival.js';
import type { AckReply, AgentClockView, TargetAgent } from './ports.js';
import type { AgentArrival, ArrivalBasis, PlannedAgent, SkippedAgent } from './record.js';

interface SentTo {
  /** Null when resumed after a restart: what was sent is not known, any COORDINATE of the operation counts. */
  readonly coordinateId: string | null;
  readonly sentAt: number | null;
}

export type AckVerdict = { reply: AckReply; arrival: AgentArrival | null };

export class AckCollector {
  private readonly planned: Map<string, PlannedAgent>;
  private readonly clocks: Map<string, AgentClockView | null>;
  private readonly sent = new Map<string, SentTo>();
  private readonly arrivals = new Map<string, AgentArrival>();
  private readonly failures: SkippedAgent[] = [];
  private sendingDone = false;
  /** Counted answers by trinary state, kept as they come: asking whether PROCEED is certain costs O(1) per ACK. */
  private readonly tally = { ready: 0, transit: 0, conflict: 0 };

  constructor(
    planned: readonly PlannedAgent[],
    agents: readonly TargetAgent[],
    private readonly targetMs: number,
    private readonly windowMs: number,
    private readonly basis: ArrivalBasis,
  ) {
    this.planned = new Map(planned.map((p) => [p.agentId, p]));
    this.clocks = new Map(agents.map((a) => [a.agentId, a.clock]));
  }

  markSent(agentId: string, coordinateId: string, sentAt: number): void {
    this.sent.set(agentId, { coordinateId, sentAt });
  }

  markFailed(agentId: string, detail: string, availableMs: number): void {
    const p = this.planned.get(agentId);
    this.failures.push({ agentId, reason: 'send_failed', detail, mode: p?.mode ?? null, wouldNeedMs: p?.leadTimeMs ?? null, availableMs });
  }

  /**
   * A resumed operation: every planned agent counts as sent (whether its COORDINATE left before
   * the restart is not known), and the ACKs stored before it are counted again.
   */
  resume(arrivals: readonly AgentArrival[]): void {
    for (const agentId of this.planned.keys()) this.sent.set(agentId, { coordinateId: null, sentAt: null });
    for (const arrival of arrivals) if (this.planned.has(arrival.agentId) && !this.arrivals.has(arrival.agentId)) this.count(arrival);
    this.sendingDone = true;
  }

  markSendingDone(): void {
    this.sendingDone = true;
  }

  /** Everything sent has answered and no send is pending. */
  get complete(): boolean {
    return this.sendingDone && this.arrivals.size >= this.sent.size;
  }

  get sentCount(): number {
    return this.sent.size;
  }

  sendTimes(): number[] {
    return [...this.sent.values()].flatMap((s) => (s.sentAt === null ? [] : [s.sentAt]));
  }

  wasSent(agentId: string): boolean {
    return this.sent.has(agentId);
  }

  accept(verified: Verified<Ack>, receivedAt: number): AckVerdict {
    const ack = verified.message;
    const planned = this.planned.get(ack.agent_id);
    const sent = this.sent.get(ack.agent_id);
    if (planned === undefined || sent === undefined) {
      return refuse('NOT_A_TARGET', `${ack.agent_id} was not sent operation ${ack.operation_id}`);
    }
    if (sent.coordinateId !== null && sent.coordinateId !== ack.coordinate_id) {
      return refuse('COORDINATE_MISMATCH', `coordinate ${ack.coordinate_id} is not the one sent to ${ack.agent_id}`);
    }
    if (this.arrivals.has(ack.agent_id)) return { reply: { ok: true }, arrival: null };
    const arrival = toArrival({
      ack,
      planned,
      clock: this.clocks.get(ack.agent_id) ?? null,
      targetMs: this.targetMs,
      windowMs: this.windowMs,
      basis: this.basis,
      sentAt: sent.sentAt,
      receivedAt,
    });
    this.count(arrival);
    return { reply: { ok: true }, arrival };
  }

  /**
   * Nothing is left to send, and the answers so far make PROCEED certain: it would still be
   * PROCEED if every agent yet to answer reported a conflict. Ready answers only add up, so the
   * decision cannot change after this.
   */
  proceedCertain(thresholds: Partial<QuorumThresholds>): boolean {
    if (!this.sendingDone) return false;
    const silent = this.sent.size - this.arrivals.size;
    const worst = { ready: this.tally.ready, transit: this.tally.transit, conflict: this.tally.conflict + silent, expected: this.sent.size };
    return trinaryQuorum(worst, thresholds).decision === 'PROCEED';
  }

  private count(arrival: AgentArrival): void {
    this.arrivals.set(arrival.agentId, arrival);
    if (arrival.trinaryState === 1) this.tally.ready += 1;
    else if (arrival.trinaryState === -1) this.tally.conflict += 1;
    else this.tally.transit += 1;
  }

  allArrivals(): AgentArrival[] {
    return [...this.arrivals.values()];
  }

  /** Sent, no ACK. */
  stragglers(): string[] {
    return [...this.sent.keys()].filter((id) => !this.arrivals.has(id));
  }

  sendFailures(): readonly SkippedAgent[] {
    return this.failures;
  }
}

function refuse(code: string, message: string): AckVerdict {
  return { reply: { ok: false, code, message }, arrival: null };
}
