/**
 * `mesh heal`: recover the quarantined agents that may be recovered (not retired) and close
 * half-open breakers, over the whole lead (`auto`) or one cluster or sector. Says what it did.
 */
import type { BreakerStatus, Selector } from '@mesh30k/shared';
import type { AgentView } from '../registry/index.js';

export interface HealDeps {
  /** Quarantined agents matching the selector (retired ones included). */
  quarantined(selector: Selector): string[];
  agent(agentId: string): AgentView | undefined;
  recover(agentId: string, reason: string): void;
  breakers(): BreakerStatus[];
  closeBreaker(scope: BreakerStatus['scope'], targetId: string, reason: string): void;
}

export interface HealResult {
  readonly target: string;
  readonly recovered: string[];
  readonly skipped: { agent_id: string; reason: string }[];
  readonly breakers_reset: { scope: string; target_id: string }[];
}

export function heal(deps: HealDeps, target: string, by: string): HealResult {
  const reason = `heal by ${by}`;
  const selectors: Selector[] = target === 'auto' ? [{ all: true }] : [{ cluster_id: target }, { sector_id: target }];
  const ids = new Set(selectors.flatMap((selector) => deps.quarantined(selector)));
  const recovered: string[] = [];
  const skipped: { agent_id: string; reason: string }[] = [];
  for (const id of [...ids].sort()) {
    const view = deps.agent(id);
    if (view === undefined) continue;
    if (view.health.state === 'retired') {
      skipped.push({ agent_id: id, reason: 'retired' });
      continue;
    }
    deps.recover(id, reason);
    recovered.push(id);
  }
  const breakersReset: { scope: string; target_id: string }[] = [];
  for (const b of deps.breakers()) {
    if (b.state !== 'half-open') continue;
    if (target !== 'auto' && b.targetId !== target) continue;
    deps.closeBreaker(b.scope, b.targetId, reason);
    breakersReset.push({ scope: b.scope, target_id: b.targetId });
  }
  return { target, recovered, skipped, breakers_reset: breakersReset };
}
