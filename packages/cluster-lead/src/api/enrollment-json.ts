import type { PendingEnrollment } from '../trust/index.js';
import type { PendingEnrollmentJson } from './enrollment-routes.js';

/** A pending (or rejected) enrollment request as GET /v1/enrollments shows it. */
export function pendingEnrollmentJson(entry: PendingEnrollment): PendingEnrollmentJson {
  const { request } = entry;
  return {
    agent_id: entry.agentId,
    state: entry.state,
    public_key: request.public_key,
    class: request.class,
    capabilities: request.capabilities,
    cluster_id: request.cluster_id,
    ...(request.sector_id === undefined ? {} : { sector_id: request.sector_id }),
    first_seen_at: entry.firstSeenAt,
    last_seen_at: entry.lastSeenAt,
    requests: entry.requests,
    ...(entry.decidedAt === undefined ? {} : { decided_at: entry.decidedAt }),
    ...(entry.reason === undefined ? {} : { reason: entry.reason }),
    request: entry.signed,
  };
}
