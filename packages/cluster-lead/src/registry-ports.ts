import type { HealthOutcome, Selector } from '@mesh30k/shared';
import { LeadError } from './lib/errors.js';
import type { Registry } from './registry/index.js';
import type { AgentOutcome, MeshModeSource, OutcomeFacts, OutcomeRecorder, Routability, ScatterRoutes, ScatterTargets, TargetAgent } from './scatter/ports.js';

/**
 * The registry as the scatter-gather engine's ports (src/scatter/ports.ts): targets with
 * timing inputs, processing estimates, outcome recording, the mesh mode, and the registry's
 * part of routability (quarantine and liveness, panic-aware). Breakers compose on top.
 */
export interface RegistryPorts {
  targets: ScatterTargets;
  outcomes: OutcomeRecorder;
  mode: MeshModeSource;
  routes: ScatterRoutes;
}

/**
 * How an operation's outcome moves the agent's health (shared HealthScore outcomes). A
 * conflict is an answer, not a failure (spec 5.1); transit means it answered but was not ready
 * in time, a mild penalty; a refusal counts as an error; no ACK at all as a timeout. Two
 * refinements (healthOutcomeOf): READY with the ACK's cache_hit is a cache hit, and no ACK from
 * an agent that kept heartbeating after the work was sent is a stall (alive, but the work hung).
 */
export const HEALTH_OUTCOME: Readonly<Record<Exclude<AgentOutcome, 'unrunnable'>, HealthOutcome>> = Object.freeze({
  ready: 'success',
  conflict: 'success',
  transit: 'cancelled',
  refused: 'error',
  no_ack: 'timeout',
});

/** null: the outcome says nothing about the agent's health (it could not run what it was sent). */
export function healthOutcomeOf(outcome: AgentOutcome, facts: OutcomeFacts, lastHeartbeatAt: number | null): HealthOutcome | null {
  if (outcome === 'unrunnable') return null;
  if (outcome === 'ready' && facts.cacheHit === true) return 'cache_hit';
  if (outcome === 'no_ack' && facts.sentAt !== undefined && lastHeartbeatAt !== null && lastHeartbeatAt > facts.sentAt) return 'stall';
  return HEALTH_OUTCOME[outcome];
}

/**
 * How many agents enrolled with this lead (`enrolled`: trusted agent ids) the selector may pick on
 * their own side although the registry does not hold them. Only an id list rules an agent out
 * for certain: class, capabilities and sector are what the agent reports, which the lead learns
 * from its heartbeats, so an agent not heard from counts whatever else the selector says.
 */
export function countUnheard(selector: Selector, enrolled: Iterable<string>, known: (agentId: string) => boolean): number {
  const listed = selector.agent_ids === undefined ? undefined : new Set(selector.agent_ids);
  let unheard = 0;
  for (const agentId of enrolled) if (!known(agentId) && (listed === undefined || listed.has(agentId))) unheard += 1;
  return unheard;
}

/** `enrolled`: the agent ids whose keys the lead trusts now (its trust store); absent, no agent counts as unheard. */
export function registryPorts(registry: Registry, enrolled?: () => Iterable<string>): RegistryPorts {
  return {
    targets: {
      select: (selector) => registry.scheduleTargets(selector),
      ...(enrolled === undefined ? {} : { unheard: (selector: Selector) => countUnheard(selector, enrolled(), (agentId) => registry.has(agentId)) }),
      estimateProcessing: (agentId, query) => {
        const estimate = registry.estimateProcessing(agentId, { verb: query.verb, payloadWeight: query.payloadWeight });
        if (estimate === undefined) throw new LeadError('INTERNAL', `processing estimate asked for unknown agent "${agentId}"`);
        return estimate;
      },
    },
    outcomes: {
      recordOutcome: (agentId, outcome, processingMs, verb, facts = {}) => {
        // Only finished work is a processing sample; transit and refusals are not.
        const finished = (outcome === 'ready' || outcome === 'conflict') && processingMs !== null;
        const lastHeartbeatAt = outcome === 'no_ack' ? (registry.get(agentId)?.lastHeartbeatAt ?? null) : null;
        const result = healthOutcomeOf(outcome, facts, lastHeartbeatAt);
        if (result === null || outcome === 'unrunnable') return;
        const reason = result === HEALTH_OUTCOME[outcome] ? `operation outcome ${outcome}` : `operation outcome ${outcome} (${result})`;
        registry.recordOutcome(agentId, { result, verb, reason, ...(finished ? { processingMs } : {}), ...(facts.operationId === undefined ? {} : { operationId: facts.operationId }) });
      },
    },
    mode: { mode: () => registry.mode },
    routes: { routable: (agent) => registryRoutability(registry, agent) },
  };
}

/**
 * Offline and quarantined agents are not routable, except in panic mode, where (as in Envoy)
 * health stops filtering altogether. Retired agents never are.
 */
export function registryRoutability(registry: Registry, agent: TargetAgent): Routability {
  if (registry.get(agent.agentId)?.health.state === 'retired') return { routable: false, reason: 'agent is retired' };
  switch (agent.state) {
    case 'active':
    case 'degraded':
      return { routable: true };
    case 'quarantined':
    case 'offline':
      return registry.panic ? { routable: true } : { routable: false, reason: `agent is ${agent.state}` };
  }
}
