/**
 * The checks before the schedule: capabilities, state and routability. What passes becomes a
 * timing record for shared's scheduler; what fails is skipped with its reason.
 */
import type { AgentTiming } from '@mesh30k/shared';
import type { ResolvedOperation } from './operation-request.js';
import type { ScatterRoutes, ScatterTargets, TargetAgent } from './ports.js';
import type { SkippedAgent } from './record.js';

/** A skip found before T is known; the plan adds how much time was left. */
export type EarlySkip = Omit<SkippedAgent, 'availableMs'>;

export interface Eligibility {
  readonly timings: AgentTiming[];
  readonly skipped: EarlySkip[];
}

export function checkEligibility(
  agents: readonly TargetAgent[],
  op: ResolvedOperation,
  deps: { targets: ScatterTargets; routes: ScatterRoutes },
): Eligibility {
  const timings: AgentTiming[] = [];
  const skipped: EarlySkip[] = [];
  const skip = (agent: TargetAgent, reason: SkippedAgent['reason'], detail: string): void => {
    skipped.push({ agentId: agent.agentId, reason, detail, mode: null, wouldNeedMs: null });
  };
  for (const agent of agents) {
    const missing = op.requiresCapabilities.filter((c) => !agent.capabilities.includes(c));
    if (missing.length > 0) {
      skip(agent, 'capability_mismatch', `lacks ${missing.join(', ')}`);
      continue;
    }
    if (agent.state === 'offline') {
      skip(agent, 'agent_offline', 'agent is offline');
      continue;
    }
    const route = deps.routes.routable(agent);
    if (!route.routable) {
      skip(agent, 'not_routable', route.reason);
      continue;
    }
    const processing = deps.targets.estimateProcessing(agent.agentId, { verb: op.verb, payloadWeight: op.payloadWeight });
    timings.push({
      agentId: agent.agentId,
      oneWayDelayMs: agent.oneWayDelayMs,
      jitterMs: agent.jitterMs,
      expectedProcessingMs: processing.expectedMs,
      processingSpreadMs: processing.spreadMs,
      ...(processing.medianMs === undefined ? {} : { medianProcessingMs: processing.medianMs }),
      confidence: agent.confidence,
      supportedModes: agent.supportedModes,
    });
  }
  return { timings, skipped };
}
