/** What one lead event looks like on the dashboard's feed: its name, time and ids, snake_case as the API. */
import type { LeadEvent } from '../lib/events.js';

export function feedEventJson(event: LeadEvent): Record<string, unknown> {
  const base = { name: event.name, at: event.at };
  if ('agentId' in event && 'to' in event) {
    return { ...base, agent_id: event.agentId, cluster_id: event.clusterId, from: event.from, to: event.to, reason: event.reason };
  }
  if ('agentId' in event) return { ...base, agent_id: event.agentId };
  if ('to' in event) return { ...base, from: event.from, to: event.to };
  return base;
}
