import type { Freeze, ReplayGuard, Scope, Thaw } from '@mesh30k/shared';
import type { AgentContext } from '../agent/context.js';
import { countCode } from '../agent/counters.js';
import { LogEvent } from '../logging/events.js';
import type { AgentIdentity } from '../agent/options.js';
import type { InboxDelivery } from '../nats/inbox.js';
import type { FreezeState } from './freeze.js';
import { checkLeaseEpoch } from './lease-fence.js';

export interface ControlDeps {
  ctx: AgentContext;
  replay: ReplayGuard;
  freeze: FreezeState;
  /** Called after a FREEZE took effect (queued work is handed back). */
  onFrozen(): void;
  /** Called after a THAW took effect. */
  onThawed(): void;
}

/** Whether a FREEZE or THAW of this scope and target reaches this agent. */
export function controlApplies(scope: Scope, targetId: string | undefined, self: AgentIdentity): boolean {
  switch (scope) {
    case 'global':
      return true;
    case 'cluster':
      return targetId === undefined || targetId === self.clusterId;
    case 'sector':
      return targetId === undefined || targetId === self.sectorId;
  }
}

/**
 * The lead's control messages: FREEZE stops new work (persisted, acknowledged through the next
 * heartbeat's `frozen`), THAW resumes, CIRCUIT is logged (breakers are the lead's business).
 */
export class ControlHandler {
  constructor(private readonly deps: ControlDeps) {}

  onControl(delivery: InboxDelivery): void {
    const { ctx, replay } = this.deps;
    const { message, signerId } = delivery.verified;
    const ids = { message: message.message_id, kind: message.kind };
    const refuse = (code: string, text: string): void => {
      countCode(ctx.counters.refusedByCode, code);
      ctx.log.warn({ event: LogEvent.CONTROL_REFUSED, ...ids, code }, `control message refused: ${text}`);
    };
    if (signerId !== ctx.identity.leadId) return refuse('WRONG_SIGNER', `signed by "${signerId}", not by the lead`);
    if (message.kind !== 'FREEZE' && message.kind !== 'THAW' && message.kind !== 'CIRCUIT') {
      return refuse('UNKNOWN_KIND', `${message.kind} is not a control message`);
    }
    const fenced = checkLeaseEpoch(ctx.leaseFence, ctx.identity.leadId, message.lease_epoch);
    if (fenced !== null) return refuse(fenced.code, fenced.message);
    const fresh = replay.check(message.message_id, message.created_at);
    if (!fresh.ok) return refuse(fresh.error.code, fresh.error.message);
    switch (message.kind) {
      case 'FREEZE':
        return this.onFreeze(message);
      case 'THAW':
        return this.onThaw(message);
      case 'CIRCUIT':
        ctx.log.info({ event: LogEvent.CONTROL_CIRCUIT, ...ids, action: message.action, scope: message.scope, target: message.target_id }, `circuit ${message.action}: ${message.reason}`);
        return;
    }
  }

  private onFreeze(message: Freeze): void {
    if (!controlApplies(message.scope, message.target_id, this.deps.ctx.identity)) return;
    if (message.preserve_state_to !== undefined) {
      // Never a path from the network: the agent's state is already on its own disk (data_dir),
      // written at every change, and the freeze itself survives a restart. The freeze still
      // applies; only the request to write elsewhere is refused, and said so.
      countCode(this.deps.ctx.counters.refusedByCode, 'PRESERVE_STATE_TO_UNSUPPORTED');
      this.deps.ctx.log.warn(
        { event: LogEvent.FREEZE_PRESERVE_REFUSED, message: message.message_id, preserve_state_to: message.preserve_state_to.slice(0, 64) },
        'FREEZE asked to preserve state to a path: refused (state stays in data_dir); freezing anyway',
      );
    }
    if (this.deps.freeze.freeze(message.reason, 'control')) this.deps.onFrozen();
  }

  private onThaw(message: Thaw): void {
    if (!controlApplies(message.scope, message.target_id, this.deps.ctx.identity)) return;
    if (this.deps.freeze.thaw(message.reason, 'control')) this.deps.onThawed();
  }
}
