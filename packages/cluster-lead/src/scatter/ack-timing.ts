/**
 * Where an operation's ACKs spent their time on the lead: when each reached the ACK intake
 * (relative to T) and how long it waited there to be verified before the operation counted it.
 * Logged with the decision, so a late quorum says whether the ACKs came late or the lead was
 * slow to take them.
 */

export interface AckTimingSummary {
  readonly counted: number;
  /** Counted ACKs that reached the intake by the deadline. */
  readonly arrivedByDeadline: number;
  /** Intake arrival - T, ms: p50, p90, max (null with no ACK). */
  readonly arrivalAfterT: { readonly p50: number; readonly p90: number; readonly max: number } | null;
  /** Counted - intake arrival, ms (verification and its queue): p50, p90, max. */
  readonly verifyWait: { readonly p50: number; readonly p90: number; readonly max: number } | null;
}

export class AckTiming {
  private readonly arrivals: number[] = [];
  private readonly waits: number[] = [];

  constructor(private readonly targetMs: number) {}

  /** One counted ACK: when it reached the intake and when the operation counted it (lead clock). */
  counted(arrivedAt: number, countedAt: number): void {
    this.arrivals.push(arrivedAt - this.targetMs);
    this.waits.push(Math.max(0, countedAt - arrivedAt));
  }

  summary(deadline: number): AckTimingSummary {
    const byDeadline = deadline - this.targetMs;
    return {
      counted: this.arrivals.length,
      arrivedByDeadline: this.arrivals.filter((a) => a <= byDeadline).length,
      arrivalAfterT: spread(this.arrivals),
      verifyWait: spread(this.waits),
    };
  }
}

function spread(values: readonly number[]): AckTimingSummary['arrivalAfterT'] {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number): number => Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!);
  return { p50: at(0.5), p90: at(0.9), max: Math.round(sorted[sorted.length - 1]!) };
}
