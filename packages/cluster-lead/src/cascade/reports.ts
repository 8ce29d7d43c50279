/** Child reports (ACKs on the summary subject) awaited by running cascade phases. */
import type { Ack, Clock } from '@mesh30k/shared';

interface Waiter {
  readonly resolve: (ack: Ack | null) => void;
  readonly timer: ReturnType<typeof setTimeout>;
}

export type ReportDelivery = 'delivered' | 'duplicate' | 'unknown';

export class ReportWaiters {
  private readonly waiting = new Map<string, Waiter>();
  /** Keys answered recently, so a re-sent report is confirmed, not refused. */
  private readonly answered = new Set<string>();
  private static readonly REMEMBER = 4_096;

  constructor(private readonly clock: Clock) {}

  /** Resolves with the child's report, or null at the deadline (this lead's clock). */
  expect(operationId: string, childId: string, deadline: number): Promise<Ack | null> {
    const key = `${operationId}|${childId}`;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiting.delete(key);
        resolve(null);
      }, Math.max(0, deadline - this.clock.now()));
      this.waiting.set(key, { resolve, timer });
    });
  }

  deliver(ack: Ack): ReportDelivery {
    const key = `${ack.operation_id}|${ack.agent_id}`;
    const waiter = this.waiting.get(key);
    if (waiter === undefined) return this.answered.has(key) ? 'duplicate' : 'unknown';
    clearTimeout(waiter.timer);
    this.waiting.delete(key);
    this.answered.add(key);
    if (this.answered.size > ReportWaiters.REMEMBER) this.answered.delete(this.answered.values().next().value!);
    waiter.resolve(ack);
    return 'delivered';
  }

  /** Stops waiting: every pending phase sees null (no report). */
  close(): void {
    for (const waiter of this.waiting.values()) {
      clearTimeout(waiter.timer);
      waiter.resolve(null);
    }
    this.waiting.clear();
  }
}
