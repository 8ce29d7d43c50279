import type { ConflictDetail } from '@mesh30k/shared';

/** Quarantined conflicts kept; the oldest go first beyond this. */
const MAX_KEPT = 1_000;

export interface QuarantinedConflict {
  at: number;
  coordinateId: string;
  operationId: string;
  detail: ConflictDetail;
}

/**
 * Conflicts this agent reported, kept with the context hash they were seen at, so they can be
 * inspected and resolved after the ACK that carried them is long gone.
 */
export class ConflictQuarantine {
  private readonly sql: SqlStorage;

  constructor(sql: SqlStorage) {
    this.sql = sql;
  }

  add(conflict: QuarantinedConflict): void {
    this.sql.exec(
      'INSERT INTO conflicts (at, coordinate_id, operation_id, type, detail) VALUES (?, ?, ?, ?, ?)',
      conflict.at,
      conflict.coordinateId,
      conflict.operationId,
      conflict.detail.type,
      JSON.stringify(conflict.detail),
    );
    this.sql.exec('DELETE FROM conflicts WHERE seq <= (SELECT MAX(seq) FROM conflicts) - ?', MAX_KEPT);
  }

  /** Newest first. */
  list(limit = 50): QuarantinedConflict[] {
    const rows = this.sql.exec<{ at: number; coordinate_id: string; operation_id: string; detail: string }>(
      'SELECT at, coordinate_id, operation_id, detail FROM conflicts ORDER BY seq DESC LIMIT ?',
      limit,
    );
    return rows.toArray().map((row) => ({
      at: row.at,
      coordinateId: row.coordinate_id,
      operationId: row.operation_id,
      detail: JSON.parse(row.detail) as ConflictDetail,
    }));
  }

  get count(): number {
    return this.sql.exec<{ n: number }>('SELECT COUNT(*) AS n FROM conflicts').one().n;
  }
}
