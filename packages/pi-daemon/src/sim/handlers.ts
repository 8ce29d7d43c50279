import type { Verb } from '@mesh30k/shared';
import { Verb as VerbSchema } from '@mesh30k/shared';
import { BUILT_IN_HANDLERS, type HandlerOutcome, type VerbHandler } from '../coordination/handlers.js';
import { ActPayload } from '@mesh30k/shared';
import { agentProcessing } from './processing-model.js';
import type { VirtualProfile } from './profiles.js';
import { seededRandom } from './random.js';

/** One operation's processing draw, and the lead time the lead gave this agent (lead mode), for the benchmark's oracle. */
export type DrawObserver = (operationId: string, draw: { processingMs: number; plannedLeadMs: number | undefined }) => void;

/** Longest delay setTimeout takes. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Resolves after `ms`, or at once when the signal aborts. */
function wait(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

/**
 * Handlers of a virtual agent: the built-ins (and `act` on its virtual relay), after a processing time drawn from the agent's
 * processing model (processing-model.ts, slow factor included), with its conflict rate; a stalled agent never finishes
 * until it is stopped. Waiting is a timer, not busy work, so thousands can process at once.
 */
export function simHandlers(profile: VirtualProfile, act?: VerbHandler, observe?: DrawObserver): Record<Verb, VerbHandler> {
  const random = seededRandom(profile.seed);
  const processing = agentProcessing(profile.processingModel, profile.processingMedianMs, profile.slowFactor, profile.seed, random);
  const wrap =
    (verb: Verb): VerbHandler =>
    async (ctx): Promise<HandlerOutcome> => {
      if (profile.stall) {
        while (!ctx.signal.aborted) await wait(MAX_TIMER_MS, ctx.signal);
        return { state: 'transit', code: 'STALLED', message: 'simulated stall' };
      }
      const processingMs = processing.draw();
      observe?.(ctx.coordinate.operation_id, { processingMs, plannedLeadMs: ctx.coordinate.compensation?.[profile.agentId]?.lead_time_ms });
      await wait(processingMs, ctx.signal);
      if (random() < profile.conflictRate) {
        return {
          state: 'conflict',
          conflict: { type: 'DATA_CONTRADICTION', expected_value: 'simulated', received_value: 'contradicted', affects_agent_count: 1, detail: 'simulated conflict' },
        };
      }
      if (verb === 'act') {
        // A payload that names an output drives the virtual relay through the real act handler;
        // any other payload is the simulated workload benchmarks send (nothing to switch).
        if (act !== undefined && ActPayload.safeParse(ctx.coordinate.payload).success) return act(ctx);
        return { state: 'ready' };
      }
      return BUILT_IN_HANDLERS[verb](ctx);
    };
  return Object.fromEntries(VerbSchema.options.map((verb) => [verb, wrap(verb)])) as Record<Verb, VerbHandler>;
}
