/**
 * Who is to blame for an agent's missing ACK. A straggler is evidence against the agent only
 * when the lead itself was well while the operation ran: a lead whose event loop lagged (its
 * timers fired late and ACKs sat unread), whose broker connection was down, or which was
 * restarted with the work in flight, cannot tell a slow agent from its own deafness. Such an
 * outcome moves neither the agent's health nor a breaker; answers (ready, transit, conflict,
 * refused) are the agent's own and always count.
 */
import type { GuardReason } from './lib/events.js';
import type { AgentOutcome, OutcomeFacts } from './scatter/ports.js';

export interface LeadImpairment {
  /** The guard rails' view: why the lead was impaired at some time since `sinceMs`, or null. */
  leadImpairedSince(sinceMs: number): GuardReason | null;
}

/** The reason an outcome is the lead's doing, or null when it counts against the agent. */
export function excusedBy(outcome: AgentOutcome, facts: OutcomeFacts, lead: LeadImpairment): GuardReason | null {
  if (outcome !== 'no_ack') return null;
  // Without a send time only an impairment lasting until now excuses it.
  return lead.leadImpairedSince(facts.sentAt ?? Number.POSITIVE_INFINITY);
}
