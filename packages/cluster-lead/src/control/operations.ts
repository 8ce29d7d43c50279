/**
 * Operations as the API sees them: admission in front of the scatter engine (a frozen lead
 * refuses), and one view per operation id, from memory while it is queued, running or refused,
 * and from the operations history (SQLite) once it completed, so results survive a restart.
 */
import type { Clock } from '@mesh30k/shared';
import type { OperationsHistory } from '../store/index.js';
import type { OperationOutcome, ScatterEngine, ScatterRefusal } from '../scatter/index.js';

export type OperationState = 'queued' | 'running' | 'completed' | 'refused';

export interface OperationView {
  readonly operationId: string;
  readonly state: OperationState;
  readonly submittedAt: number | null;
  readonly refusal: ScatterRefusal | null;
  /** The engine's result once completed (JSON as stored). */
  readonly result: unknown;
}

export type SubmitOutcome =
  | { readonly ok: true; readonly operationId: string; readonly state: 'queued' | 'running'; readonly outcome: Promise<OperationOutcome> }
  | { readonly ok: false; readonly operationId: string | null; readonly refusal: OperationRefusal };

/** The engine's refusals plus the lead's own admission refusal. */
export type OperationRefusal = ScatterRefusal | { readonly code: 'FROZEN'; readonly reason: string };

export interface OperationsDeps {
  readonly clock: Clock;
  readonly engine: ScatterEngine;
  readonly history: OperationsHistory;
  /** Why new operations are refused now (freeze), or null. */
  readonly admissionRefusal: () => string | null;
  /** Told every admitted operation's outcome (for metrics). */
  readonly onOutcome?: (outcome: OperationOutcome) => void;
  /** Told every operation refused at submission (for metrics: limit hits). */
  readonly onRefused?: (refusal: OperationRefusal) => void;
}

interface Tracked {
  state: OperationState;
  readonly submittedAt: number;
  refusal: ScatterRefusal | null;
}

/** Refused and live operations kept in memory; completed ones live in the history. */
const MAX_TRACKED = 1_024;

export class Operations {
  private readonly tracked = new Map<string, Tracked>();

  constructor(private readonly deps: OperationsDeps) {}

  async submit(request: unknown): Promise<SubmitOutcome> {
    const frozen = this.deps.admissionRefusal();
    if (frozen !== null) return { ok: false, operationId: null, refusal: { code: 'FROZEN', reason: frozen } };
    const submittedAt = this.deps.clock.now();
    const handle = await this.deps.engine.submit(request);
    if (handle.operationId === null || handle.admission === 'refused') {
      const outcome = await handle.outcome;
      const refusal = outcome.status === 'refused' ? outcome.refusal : { code: 'INVALID_OPERATION' as const, reason: 'refused' };
      if (handle.operationId !== null) this.track(handle.operationId, { state: 'refused', submittedAt, refusal });
      this.deps.onRefused?.(refusal);
      return { ok: false, operationId: handle.operationId, refusal };
    }
    const operationId = handle.operationId;
    const entry: Tracked = { state: handle.admission === 'started' ? 'running' : 'queued', submittedAt, refusal: null };
    this.track(operationId, entry);
    void handle.outcome.then((outcome) => {
      this.deps.onOutcome?.(outcome);
      if (outcome.status === 'refused') {
        entry.state = 'refused';
        entry.refusal = outcome.refusal;
      } else {
        // The history has the record now; memory need not keep it.
        this.tracked.delete(operationId);
      }
    });
    return { ok: true, operationId, state: entry.state === 'running' ? 'running' : 'queued', outcome: handle.outcome };
  }

  get(operationId: string): OperationView | undefined {
    const live = this.tracked.get(operationId);
    const stored = this.deps.history.get(operationId);
    if (live !== undefined && (live.state === 'refused' || stored === undefined)) {
      return { operationId, state: live.state, submittedAt: live.submittedAt, refusal: live.refusal, result: null };
    }
    if (stored === undefined) return undefined;
    const completed = stored.status === 'completed';
    const detail = stored.result as { result?: unknown } | null;
    return { operationId, state: completed ? 'completed' : 'running', submittedAt: stored.createdAt, refusal: null, result: completed ? (detail?.result ?? null) : null };
  }

  private track(operationId: string, entry: Tracked): void {
    this.tracked.set(operationId, entry);
    for (const [id, t] of this.tracked) {
      if (this.tracked.size <= MAX_TRACKED) break;
      if (t.state === 'refused') this.tracked.delete(id);
    }
  }
}
