// Test data for the cascade's tests: a child lead's SUMMARY with plain defaults.
import { PROTOCOL_VERSION } from '@mesh30k/shared';
import type { Summary } from '@mesh30k/shared';

/** A SUMMARY from `leadId`, created at `createdAt`: ten active agents, lead time 300 ms. */
export function summaryAt(leadId: string, createdAt: number, over: Partial<Summary> = {}): Summary {
  return {
    v: PROTOCOL_VERSION,
    message_id: `m-${leadId}-${createdAt}`,
    sender_id: leadId,
    created_at: createdAt,
    ttl_ms: 15_000,
    kind: 'SUMMARY',
    lead_id: leadId,
    cluster_id: `c-${leadId}`,
    agent_count: 10,
    by_state: { active: 10, degraded: 0, offline: 0, quarantined: 0 },
    impedance: { mean: 100, p50: 100, p95: 150, max: 200 },
    max_lead_time_ms: 300,
    mode: 'FULL',
    frozen: false,
    capabilities: ['gpio'],
    ...over,
  };
}
