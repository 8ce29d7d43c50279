import { performance } from 'node:perf_hooks';
import type { Pong, ProcessingStats, ReplayGuard } from '@mesh30k/shared';
import { messageHeader, type AgentContext } from '../agent/context.js';
import { countCode } from '../agent/counters.js';
import { LogEvent } from '../logging/events.js';
import { respondSigned } from '../nats/frames.js';
import type { InboxDelivery } from '../nats/inbox.js';

export interface ProbeDeps {
  ctx: AgentContext;
  replay: ReplayGuard;
  frozen(): boolean;
  stats(): ProcessingStats;
}

/** Answers the lead's liveness probe (PING) with a signed PONG carrying t2/t3 on the agent clock. */
export class ProbeResponder {
  constructor(private readonly deps: ProbeDeps) {}

  onPing(delivery: InboxDelivery): void {
    const { ctx, replay } = this.deps;
    const { message, signerId } = delivery.verified;
    const t2 = ctx.clock.localNow() - (performance.now() - delivery.message.arrivedAt);
    const refuse = (code: string, text: string): void => {
      countCode(ctx.counters.refusedByCode, code);
      ctx.log.warn({ event: LogEvent.PROBE_REFUSED, message: message.message_id, code }, `probe refused: ${text}`);
    };
    if (message.kind !== 'PING') return refuse('UNKNOWN_KIND', `${message.kind} on the probe subject`);
    if (signerId !== ctx.identity.leadId) return refuse('WRONG_SIGNER', `signed by "${signerId}", not by the lead`);
    if (message.target_id !== ctx.identity.agentId) return refuse('WRONG_TARGET', `addressed to "${message.target_id}"`);
    const fresh = replay.check(message.message_id, message.created_at);
    if (!fresh.ok) return refuse(fresh.error.code, fresh.error.message);
    const pong: Pong = {
      ...messageHeader(ctx),
      causation_id: message.message_id,
      kind: 'PONG',
      agent_id: ctx.identity.agentId,
      t1: message.t1,
      t2,
      t3: ctx.clock.localNow(),
      agent_class: ctx.identity.agentClass,
      capabilities: [...ctx.identity.capabilities],
      frozen: this.deps.frozen(),
      stats: this.deps.stats(),
    };
    respondSigned(delivery.message, 'probe', pong, ctx.self)
      .then((sent) => {
        if (sent) ctx.counters.probesAnswered++;
        ctx.log.debug({ event: LogEvent.PROBE_ANSWERED, message: message.message_id, sent }, 'probe answered');
      })
      .catch((error: unknown) => ctx.log.error({ event: LogEvent.PROBE_REFUSED, message: message.message_id, err: error }, 'could not answer a probe'));
  }
}
