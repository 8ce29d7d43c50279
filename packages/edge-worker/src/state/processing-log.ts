import { RollingSamples, type ProcessingStats } from '@mesh30k/shared';

/** Samples kept for the percentiles, and rows kept in SQLite. */
const SAMPLE_CAPACITY = 100;
/** A COORDINATE still in flight after this long is assumed lost (its isolate died). */
const IN_FLIGHT_EXPIRY_MS = 120_000;

/**
 * Processing times of this Worker agent (receipt to the end of the verb handler, Worker clock)
 * and how many COORDINATEs are between admission and completion: what the PONG reports.
 */
export class ProcessingLog {
  private readonly sql: SqlStorage;
  private readonly samples = new RollingSamples(SAMPLE_CAPACITY);
  private readonly inFlight = new Map<string, number>();
  private requests = 0;

  constructor(sql: SqlStorage) {
    this.sql = sql;
  }

  load(): void {
    const last = this.sql.exec<{ seq: number | null }>('SELECT MAX(seq) AS seq FROM processing').one().seq ?? 0;
    this.requests = last;
    const rows = this.sql.exec<{ ms: number }>('SELECT ms FROM processing WHERE seq > ? ORDER BY seq', last - SAMPLE_CAPACITY);
    for (const row of rows) this.samples.add(row.ms);
  }

  started(coordinateId: string, atLocal: number): void {
    for (const [id, at] of this.inFlight) if (atLocal - at > IN_FLIGHT_EXPIRY_MS) this.inFlight.delete(id);
    this.inFlight.set(coordinateId, atLocal);
  }

  finished(coordinateId: string, processingMs: number): void {
    this.inFlight.delete(coordinateId);
    const ms = Number.isFinite(processingMs) && processingMs >= 0 ? processingMs : 0;
    this.samples.add(ms);
    this.requests += 1;
    this.sql.exec('INSERT INTO processing (seq, ms) VALUES (?, ?)', this.requests, ms);
    this.sql.exec('DELETE FROM processing WHERE seq <= ?', this.requests - SAMPLE_CAPACITY);
  }

  stats(): ProcessingStats {
    const [p50, p95] = this.samples.percentiles([50, 95]);
    return {
      requests: this.requests,
      processing_p50_ms: p50 ?? null,
      processing_p95_ms: p95 ?? null,
      queue_depth: this.inFlight.size,
    };
  }
}
