/**
 * How often each of the lead's limits was hit (GET /metrics: mesh_lead_limit_hits_total). One
 * instance per lead, handed to whatever enforces a limit; names are stable label values.
 */
export type LimitName =
  /** An operation payload over the wire limits (bytes, depth, keys): refused by the API. */
  | 'payload_bytes'
  | 'payload_depth'
  | 'payload_keys'
  /** A COORDINATE the send path would not sign because it exceeded the frame limit. */
  | 'coordinate_frame'
  /** A CONFLICT report refused by the per-agent conflict rate limit. */
  | 'conflict_rate'
  /** Conflict log rows removed by retention (counted per row). */
  | 'conflict_retention'
  /** An API request refused because its source address or claimed operator failed to authenticate too often. */
  | 'auth_failure_rate'
  /** A heartbeat refusal not answered because its signer or the lead was over the refusal rate. */
  | 'heartbeat_refusal_rate'
  /** A heartbeat shed unverified (OVERLOADED with retry_after_ms) because the verify backlog was at its limit. */
  | 'heartbeat_shed';

export class LimitCounters {
  private readonly hits = new Map<LimitName, number>();

  hit(name: LimitName, n = 1): void {
    this.hits.set(name, (this.hits.get(name) ?? 0) + n);
  }

  count(name: LimitName): number {
    return this.hits.get(name) ?? 0;
  }

  snapshot(): Readonly<Partial<Record<LimitName, number>>> {
    return Object.fromEntries(this.hits);
  }
}
