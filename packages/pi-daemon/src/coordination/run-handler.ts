import type { AgentContext } from '../agent/context.js';
import { LogEvent } from '../logging/events.js';
import type { ContextHash } from './context-hash.js';
import type { HandlerContext, HandlerOutcome, HandlerRegistry } from './handlers.js';
import type { WorkItem } from './work-item.js';

export interface RunHandlerDeps {
  ctx: AgentContext;
  handlers: HandlerRegistry;
  context: ContextHash;
}

/** Runs the verb's handler for `item`; a handler that throws is a TRANSIT (HANDLER_THREW), counted and logged. */
export async function runHandler(item: WorkItem, deps: RunHandlerDeps, signal: AbortSignal): Promise<HandlerOutcome> {
  const { ctx, handlers, context } = deps;
  const handlerContext: HandlerContext = {
    coordinate: item.coordinate,
    agentId: ctx.identity.agentId,
    contextHash: () => context.value,
    setContextHash: (hash) => context.set(hash),
    meshNow: () => ctx.clock.meshNow(),
    signal,
  };
  try {
    return await handlers[item.coordinate.verb](handlerContext);
  } catch (error) {
    ctx.counters.handlerFailures++;
    ctx.log.error({ event: LogEvent.HANDLER_FAILED, operation: item.coordinate.operation_id, verb: item.coordinate.verb, err: error }, 'handler threw');
    return { state: 'transit', code: 'HANDLER_THREW', message: error instanceof Error ? error.message.slice(0, 200) : 'handler failed' };
  }
}
