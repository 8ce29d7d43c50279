import type { Logger } from './logger.js';
import type { LeadEvent } from './events.js';

/** Warn-level events: an operator should look. Everything else is info. */
const WARN_EVENTS: ReadonlySet<string> = new Set([
  'agent.offline',
  'agent.crashed',
  'agent.quarantined',
  'agent.quarantine-deferred',
  'agent.retired',
  'impedance.spike',
  'mode.changed',
  'panic.entered',
  'guard.widened',
  'nats.disconnected',
  // An agent waits at the door: `mesh enrollments`, then `mesh enroll accept|reject`.
  'enrollment.requested',
]);

/** Refusals an operator must act on (enroll the agent); the rest are info (sampled either way). */
const WARN_REFUSALS: ReadonlySet<string> = new Set(['NOT_ENROLLED', 'ENROLLMENT_EXPIRED', 'ENROLLMENT_REVOKED']);

/** Writes every event as one pino line: `event` is the stable name, ids sit beside it. */
export function logEvents(logger: Logger): (event: LeadEvent) => void {
  return (event) => {
    const { name, ...fields } = event;
    const line = { event: name, ...renameIds(fields) };
    const warn = WARN_EVENTS.has(name) || (event.name === 'heartbeat.refused' && WARN_REFUSALS.has(event.code));
    if (warn) logger.warn(line, name);
    else logger.info(line, name);
  };
}

/** Log fields use the wire's snake_case ids so a grep for agent_id works across tiers. */
function renameIds(fields: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) {
    switch (key) {
      case 'agentId':
        out.agent_id = value;
        break;
      case 'clusterId':
        out.cluster_id = value;
        break;
      case 'signerId':
        out.signer_id = value;
        break;
      default:
        out[key] = value;
    }
  }
  return out;
}
