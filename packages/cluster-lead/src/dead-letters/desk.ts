/**
 * The lead's dead letters for an operator: list, replay, drop, and retention. A replay hands
 * the letter back to the part of the lead that failed to deliver it, by kind; a letter that
 * was delivered is deleted, one that failed again stays with its attempt count raised.
 */
import type { Logger } from '../lib/logger.js';
import type { DeadLetter, DeadLetterQuery, DeadLetterRetention, DeadLetters } from '../store/index.js';

/** Stable names of the log events, for dashboards and alerts. */
export const DEAD_LETTER_EVENTS = Object.freeze({
  replayed: 'dead-letter.replayed',
  replayFailed: 'dead-letter.replay-failed',
  dropped: 'dead-letter.dropped',
  pruned: 'dead-letter.pruned',
} as const);

export type ReplayOutcome =
  | { ok: true; detail: string; /** What the replay started (a delegation or operation id), when it started something. */ startedAs?: string }
  /** STALE: too late to mean anything (a COORDINATE past its TTL); NOT_REPLAYABLE: nothing here can send it; FAILED: tried and failed again. */
  | { ok: false; code: 'STALE' | 'NOT_REPLAYABLE' | 'FAILED'; reason: string };

/** Delivers one kind of letter again. */
export type Replayer = (letter: DeadLetter) => Promise<ReplayOutcome>;

export type ReplayResult = ReplayOutcome | { ok: false; code: 'NOT_FOUND'; reason: string };

export interface DeadLetterDeskDeps {
  store: DeadLetters;
  logger: Logger;
  now: () => number;
  /** By letter kind (`conflict.escalation`, `coordinate.agent`, `delegation`, ...). */
  replayers: Readonly<Record<string, Replayer>>;
}

export class DeadLetterDesk {
  private readonly replaying = new Set<number>();

  constructor(private readonly deps: DeadLetterDeskDeps) {}

  list(query: DeadLetterQuery): DeadLetter[] {
    return this.deps.store.query(query);
  }

  get(id: number): DeadLetter | undefined {
    return this.deps.store.get(id);
  }

  count(): number {
    return this.deps.store.count();
  }

  get pruned(): number {
    return this.deps.store.pruned;
  }

  async replay(id: number, by: string): Promise<ReplayResult> {
    const letter = this.deps.store.get(id);
    if (letter === undefined || this.replaying.has(id)) return { ok: false, code: 'NOT_FOUND', reason: `no dead letter ${id}` };
    const replayer = this.deps.replayers[letter.kind];
    if (replayer === undefined) return { ok: false, code: 'NOT_REPLAYABLE', reason: `letters of kind "${letter.kind}" cannot be replayed by this lead` };
    // One replay at a time per letter: a double click must not deliver twice.
    this.replaying.add(id);
    try {
      const outcome = await replayer(letter).catch((error: unknown): ReplayOutcome => ({ ok: false, code: 'FAILED', reason: error instanceof Error ? error.message : String(error) }));
      const ids = { dead_letter_id: id, kind: letter.kind, operation_id: letter.operationId, agent_id: letter.agentId, by };
      if (outcome.ok) {
        this.deps.store.delete(id);
        this.deps.logger.info({ event: DEAD_LETTER_EVENTS.replayed, ...ids, started_as: outcome.startedAs }, `dead letter replayed: ${outcome.detail}`);
      } else {
        if (outcome.code === 'FAILED') this.deps.store.failedAgain(id, outcome.reason.slice(0, 1_024));
        this.deps.logger.warn({ event: DEAD_LETTER_EVENTS.replayFailed, ...ids, code: outcome.code, reason: outcome.reason }, 'dead letter not replayed');
      }
      return outcome;
    } finally {
      this.replaying.delete(id);
    }
  }

  drop(id: number, by: string): boolean {
    const dropped = this.deps.store.delete(id);
    if (dropped) this.deps.logger.info({ event: DEAD_LETTER_EVENTS.dropped, dead_letter_id: id, by }, 'dead letter dropped');
    return dropped;
  }

  /** Retention by age and rows (rows are also kept in bounds on every add). */
  prune(): number {
    const deleted = this.deps.store.prune(this.deps.now());
    if (deleted > 0) this.deps.logger.info({ event: DEAD_LETTER_EVENTS.pruned, deleted }, 'old dead letters deleted');
    return deleted;
  }
}

export type { DeadLetterRetention };
