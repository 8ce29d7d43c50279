import type { Db } from './database.js';

/** One operation as history keeps it; request and result are JSON the scatter engine defines. */
export interface OperationRecord {
  operationId: string;
  createdAt: number;
  updatedAt: number;
  status: string;
  verb: string;
  priority: number;
  request: unknown;
  result: unknown;
}

interface Row {
  operation_id: string;
  created_at: number;
  updated_at: number;
  status: string;
  verb: string;
  priority: number;
  request: string;
  result: string | null;
}

/** Operations history: written when an operation starts and when it ends. */
export class OperationsHistory {
  private readonly upsert;
  private readonly one;
  private readonly recentRows;
  private readonly exists;
  private readonly running;
  private observer: ((record: OperationRecord) => void) | undefined;

  constructor(db: Db) {
    this.upsert = db.prepare(
      `INSERT INTO operations (operation_id, created_at, updated_at, status, verb, priority, request, result)
       VALUES (@operation_id, @created_at, @updated_at, @status, @verb, @priority, @request, @result)
       ON CONFLICT (operation_id) DO UPDATE SET updated_at = excluded.updated_at, status = excluded.status, result = excluded.result`,
    );
    this.one = db.prepare('SELECT * FROM operations WHERE operation_id = ?');
    this.recentRows = db.prepare('SELECT * FROM operations ORDER BY created_at DESC LIMIT ?');
    this.exists = db.prepare('SELECT 1 FROM operations WHERE operation_id = ?').pluck();
    this.running = db.prepare("SELECT operation_id FROM operations WHERE status = 'running'").pluck();
  }

  /** Ids of the operations whose latest record says they are still running. */
  runningIds(): string[] {
    return this.running.all() as string[];
  }

  has(operationId: string): boolean {
    return this.exists.get(operationId) !== undefined;
  }

  /** One observer told of each record saved (the JetStream mirror, src/replication/operations). */
  observe(observer: (record: OperationRecord) => void): void {
    this.observer = observer;
  }

  save(record: OperationRecord): void {
    this.upsert.run({
      operation_id: record.operationId,
      created_at: record.createdAt,
      updated_at: record.updatedAt,
      status: record.status,
      verb: record.verb,
      priority: record.priority,
      request: JSON.stringify(record.request ?? null),
      result: record.result === undefined ? null : JSON.stringify(record.result),
    });
    this.observer?.(record);
  }

  get(operationId: string): OperationRecord | undefined {
    const row = this.one.get(operationId) as Row | undefined;
    return row === undefined ? undefined : fromRow(row);
  }

  recent(limit = 50): OperationRecord[] {
    return (this.recentRows.all(limit) as Row[]).map(fromRow);
  }
}

function fromRow(row: Row): OperationRecord {
  return {
    operationId: row.operation_id,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    status: row.status,
    verb: row.verb,
    priority: row.priority,
    request: JSON.parse(row.request) as unknown,
    result: row.result === null ? null : (JSON.parse(row.result) as unknown),
  };
}
