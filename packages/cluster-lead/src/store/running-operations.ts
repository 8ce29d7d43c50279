import type { Db } from './database.js';

/** One ACK an operation in flight has taken; `arrival` is JSON the scatter engine defines. */
export interface StoredAck {
  readonly operationId: string;
  readonly agentId: string;
  readonly receivedAt: number;
  readonly arrival: unknown;
}

/** An operation in flight as stored: its own state (JSON the engine defines) and its ACKs so far. */
export interface StoredRunningOperation {
  readonly operationId: string;
  readonly startedAt: number;
  readonly deadline: number;
  readonly state: unknown;
  readonly acks: readonly StoredAck[];
}

interface RunRow {
  operation_id: string;
  started_at: number;
  deadline: number;
  state: string;
}

interface AckRow {
  operation_id: string;
  agent_id: string;
  received_at: number;
  arrival: string;
}

/**
 * Operations in flight, kept so a lead killed mid-operation can resume them on its database:
 * written when one starts, one row per ACK as they arrive, removed when it is decided (its
 * result then lives in the operations history).
 */
export class RunningOperations {
  private readonly upsertRun;
  private readonly insertAck;
  private readonly deleteRun;
  private readonly runs;
  private readonly acksOf;
  private readonly countRuns;
  private readonly addMany;
  private readonly endTogether;

  constructor(db: Db) {
    // The state lives in its own table: the parent row every ACK insert checks stays a few bytes.
    const upsertRow = db.prepare(
      `INSERT INTO running_operations (operation_id, started_at, deadline, state) VALUES (?, ?, ?, '')
       ON CONFLICT (operation_id) DO UPDATE SET deadline = excluded.deadline`,
    );
    const upsertState = db.prepare(
      `INSERT INTO running_operation_states (operation_id, state) VALUES (?, ?)
       ON CONFLICT (operation_id) DO UPDATE SET state = excluded.state`,
    );
    this.upsertRun = db.transaction((operationId: string, startedAt: number, deadline: number, state: string) => {
      upsertRow.run(operationId, startedAt, deadline);
      upsertState.run(operationId, state);
    });
    // An ACK whose operation was decided (and removed) meanwhile is not stored: the result has it.
    this.insertAck = db.prepare(
      `INSERT OR IGNORE INTO running_operation_acks (operation_id, agent_id, received_at, arrival)
       SELECT ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM running_operations WHERE operation_id = ?)`,
    );
    const deleteRow = db.prepare('DELETE FROM running_operations WHERE operation_id = ?');
    const deleteState = db.prepare('DELETE FROM running_operation_states WHERE operation_id = ?');
    this.deleteRun = db.transaction((operationId: string) => {
      deleteRow.run(operationId);
      deleteState.run(operationId);
    });
    this.runs = db.prepare(
      `SELECT r.operation_id, r.started_at, r.deadline, COALESCE(s.state, r.state) AS state
       FROM running_operations r LEFT JOIN running_operation_states s ON s.operation_id = r.operation_id ORDER BY r.started_at`,
    );
    this.acksOf = db.prepare('SELECT * FROM running_operation_acks WHERE operation_id = ? ORDER BY received_at');
    this.countRuns = db.prepare('SELECT COUNT(*) FROM running_operations').pluck();
    this.addMany = db.transaction((acks: readonly StoredAck[]) => {
      let stored = 0;
      for (const a of acks) stored += this.insertAck.run(a.operationId, a.agentId, a.receivedAt, JSON.stringify(a.arrival), a.operationId).changes;
      return stored;
    });
    this.endTogether = db.transaction((operationId: string, alongside: () => void) => {
      alongside();
      this.deleteRun(operationId);
    });
  }

  /** Records an operation that started (or updates its state and deadline). */
  begin(operationId: string, startedAt: number, deadline: number, state: unknown): void {
    this.upsertRun(operationId, startedAt, deadline, JSON.stringify(state));
  }

  /** Stores ACKs in one transaction; an (operation, agent) already stored is kept as it was. Returns how many were new. */
  addAcks(acks: readonly StoredAck[]): number {
    return acks.length === 0 ? 0 : this.addMany(acks);
  }

  /**
   * Forgets a decided operation and its ACKs. `alongside` (the history row that records the
   * decision) runs in the same transaction: a crash between the two would resume a decided run.
   */
  end(operationId: string, alongside?: () => void): void {
    if (alongside === undefined) this.deleteRun(operationId);
    else this.endTogether(operationId, alongside);
  }

  count(): number {
    return this.countRuns.get() as number;
  }

  /** Every operation in flight with its ACKs, oldest first. */
  load(): StoredRunningOperation[] {
    return (this.runs.all() as RunRow[]).map((row) => ({
      operationId: row.operation_id,
      startedAt: row.started_at,
      deadline: row.deadline,
      state: JSON.parse(row.state) as unknown,
      acks: (this.acksOf.all(row.operation_id) as AckRow[]).map((a) => ({
        operationId: a.operation_id,
        agentId: a.agent_id,
        receivedAt: a.received_at,
        arrival: JSON.parse(a.arrival) as unknown,
      })),
    }));
  }
}

/**
 * How long the first ACK of a group commit waits for others, ms. A transaction per turn of the
 * event loop held one or two ACKs when they came in at T from thousands of agents (the verify
 * pool hands them back a few at a time): about 100 us of SQLite each, against about 10 us in
 * batches of 50 or more, on the lead's main thread while the quorum is being counted. The
 * reply waits this much longer; the agent waits seconds for it.
 */
export const DEFAULT_ACK_COMMIT_WINDOW_MS = 10;
/** A group this large is written at once, without waiting out the window. */
export const DEFAULT_ACK_COMMIT_MAX = 512;

/**
 * Group commit for ACKs: each ACK waits (its reply is held) until it is in the database, and
 * every ACK that arrived within `windowMs` of the first of a group (0: in the same turn of the
 * event loop) is written in one transaction.
 */
export class AckWriteBatch {
  private queue: { ack: StoredAck; done: (error: unknown) => void }[] = [];
  /** Cancels the pending flush of the group being gathered; null when none is. */
  private pending: (() => void) | null = null;

  constructor(
    private readonly store: Pick<RunningOperations, 'addAcks'>,
    private readonly options: { readonly windowMs?: number; readonly maxBatch?: number } = {},
  ) {}

  /** Resolves once the ACK is stored; rejects when the write failed. */
  add(ack: StoredAck): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({ ack, done: (error) => (error === undefined ? resolve() : reject(error instanceof Error ? error : new Error('the ACK could not be stored'))) });
      if (this.queue.length >= (this.options.maxBatch ?? DEFAULT_ACK_COMMIT_MAX)) this.flush();
      else if (this.pending === null) this.pending = this.scheduleFlush();
    });
  }

  private scheduleFlush(): () => void {
    const windowMs = this.options.windowMs ?? DEFAULT_ACK_COMMIT_WINDOW_MS;
    if (windowMs > 0) {
      const timer = setTimeout(() => this.flush(), windowMs);
      return () => clearTimeout(timer);
    }
    const immediate = setImmediate(() => this.flush());
    return () => clearImmediate(immediate);
  }

  /** Writes what is queued now, in one transaction. */
  flush(): void {
    this.pending?.();
    this.pending = null;
    const batch = this.queue;
    this.queue = [];
    if (batch.length === 0) return;
    let failure: unknown;
    try {
      this.store.addAcks(batch.map((b) => b.ack));
    } catch (error) {
      failure = error ?? new Error('write failed');
    }
    for (const b of batch) b.done(failure);
  }
}
