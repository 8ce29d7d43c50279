// The soak's steady work: a scatter-gather (hold) or a broadcast to every agent every few
// seconds, alternating, each followed in the background until the lead settles it. Whatever
// happens to the lead meanwhile (down, restarting) is recorded as the operation's outcome.
import type { LeadApi } from '../../harness/index.js';
import { operationOutcome } from '../arrival/operation-outcome.js';

const POLL_MS = 250;
/** An operation not settled this long after it was accepted is recorded as unsettled. */
const SETTLE_TIMEOUT_MS = 60_000;
const SCATTER_TIMEOUT_MS = 10_000;

export type OperationKind = 'scatter_gather' | 'broadcast';

export interface SoakOperation {
  id: string;
  kind: OperationKind;
  /** Epoch ms of the POST. */
  submittedAt: number;
  /** The POST's HTTP status, or null when the lead could not be reached. */
  postStatus: number | null;
  /** Settled job state (SUCCEEDED, FAILED...) or 'unsettled' / 'not accepted'. */
  state: string;
  /** The scatter result's status (SUCCESS, PARTIAL) when there is one. */
  resultStatus: string | null;
  responders: number;
  stragglers: number;
  /** Agents the lead did not send to, by reason (breaker open, send time passed...). */
  skipped: Record<string, number>;
  problem: string | null;
  settledAt: number | null;
}

/**
 * `operator_override`: once faults have quarantined agents the lead goes DEGRADED_SEVERE or
 * EMERGENCY and refuses mesh-wide operations without it; the soak needs ACKs in flight through
 * every fault, so it overrides, as an operator would. The lead still skips quarantined agents.
 */
export function operationBody(kind: OperationKind, id: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return kind === 'broadcast'
    ? { kind: 'broadcast', operation_id: id, verb: 'observe', payload: { soak: id }, selector: { all: true }, timeout_ms: SCATTER_TIMEOUT_MS, operator_override: true, ...extra }
    : { operation_id: id, verb: 'record', payload: { soak: id }, selector: { all: true }, release_mode: 'hold', min_response_rate: 0.9, timeout_ms: SCATTER_TIMEOUT_MS, operator_override: true, ...extra };
}

export class OperationLoop {
  readonly operations: SoakOperation[] = [];
  private readonly following = new Set<Promise<void>>();
  private timer: NodeJS.Timeout | undefined;
  private count = 0;

  constructor(
    private readonly api: LeadApi,
    private readonly intervalMs: number,
    private readonly prefix: string,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.submit(this.count % 2 === 0 ? 'scatter_gather' : 'broadcast'), this.intervalMs);
  }

  /** Stops submitting; resolves when every operation submitted so far is settled or timed out. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    while (this.following.size > 0) await Promise.allSettled([...this.following]);
  }

  /** Submits one operation now (also used by the faults) and follows it; resolves after the POST. */
  async submit(kind: OperationKind, extra: Record<string, unknown> = {}, label = ''): Promise<SoakOperation> {
    const id = `${this.prefix}${label}${++this.count}`;
    const op: SoakOperation = { id, kind, submittedAt: Date.now(), postStatus: null, state: 'not accepted', resultStatus: null, responders: 0, stragglers: 0, skipped: {}, problem: null, settledAt: null };
    this.operations.push(op);
    try {
      const res = await this.api.post('/v1/operations', operationBody(kind, id, extra));
      op.postStatus = res.status;
      if (res.status !== 202) {
        const body = res.body as { code?: string; reason_code?: string; detail?: string } | undefined;
        op.problem = `POST ${res.status} ${body?.code ?? ''} ${body?.reason_code ?? ''}: ${body?.detail ?? ''}`;
        return op;
      }
    } catch (error) {
      op.problem = `POST failed: ${error instanceof Error ? error.message : String(error)}`;
      return op;
    }
    op.state = 'unsettled';
    const follow = this.follow(op);
    this.following.add(follow);
    void follow.finally(() => this.following.delete(follow));
    return op;
  }

  private async follow(op: SoakOperation): Promise<void> {
    const deadline = Date.now() + SETTLE_TIMEOUT_MS;
    while (Date.now() < deadline) {
      const view = await this.api.getOk<{ state?: string }>(`/v1/operations/${encodeURIComponent(op.id)}`);
      const outcome = operationOutcome(view);
      if (outcome.settled) {
        const result = (view as { result?: { status?: string; skipped?: { reason?: string }[] } | null }).result;
        const skipped: Record<string, number> = {};
        for (const x of result?.skipped ?? []) skipped[x.reason ?? '?'] = (skipped[x.reason ?? '?'] ?? 0) + 1;
        Object.assign(op, { state: view?.state ?? 'settled', resultStatus: result?.status ?? null, responders: outcome.responders, stragglers: outcome.stragglers, skipped, problem: outcome.problem, settledAt: Date.now() });
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
    op.problem = `not settled within ${SETTLE_TIMEOUT_MS / 1000} s`;
  }
}
