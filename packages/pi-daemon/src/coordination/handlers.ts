import { SyncPayload, TRANSIT_REFUSAL, verbPayloadIssues, verbPayloadRefusal, type ConflictDetail, type Coordinate, type Verb } from '@mesh30k/shared';
import { hashPayload } from './context-hash.js';

/** What a handler decided: READY (+1), TRANSIT (0, with a reason) or CONFLICT (-1). */
export type HandlerOutcome =
  | {
      state: 'ready';
      result?: unknown;
      /** Nothing had to change, the request was already satisfied (the ACK says so). */
      cacheHit?: boolean;
      /**
       * Work that must happen at the release instant, not before (hold mode: a GPIO switched at
       * T). The engine calls it when T arrives; READY only if it resolves, TRANSIT if it fails.
       */
      atRelease?: () => Promise<void>;
    }
  | { state: 'transit'; code: string; message: string }
  | { state: 'conflict'; conflict: Omit<ConflictDetail, 'context_hash'> & { context_hash?: string }; result?: unknown };

export interface HandlerContext {
  readonly coordinate: Coordinate;
  readonly agentId: string;
  /** '' when the agent holds no context. */
  contextHash(): string;
  setContextHash(hash: string): void;
  meshNow(): number;
  /** Aborted when the agent stops or crashes: long handlers should give up. */
  readonly signal: AbortSignal;
}

export type VerbHandler = (context: HandlerContext) => HandlerOutcome | Promise<HandlerOutcome>;
export type HandlerRegistry = Readonly<Record<Verb, VerbHandler>>;

/** What `sync` carries is the shared schema the lead checked before sending (protocol/verb-payloads). */
export { SyncPayload };

const ready = (result?: unknown): HandlerOutcome => (result === undefined ? { state: 'ready' } : { state: 'ready', result });

/** `sync`: adopt a new context hash, unless the agent's context diverged or the content is corrupt. */
export const syncHandler: VerbHandler = (ctx) => {
  const issues = verbPayloadIssues('sync', ctx.coordinate.payload);
  if (issues.length > 0) return { state: 'transit', code: TRANSIT_REFUSAL.PAYLOAD_INVALID, message: verbPayloadRefusal('sync', issues) };
  const payload = SyncPayload.parse(ctx.coordinate.payload);
  if (payload.context !== undefined) {
    const computed = hashPayload(payload.context);
    if (computed !== payload.context_hash) {
      return {
        state: 'conflict',
        conflict: {
          type: 'HASH_MISMATCH',
          expected_value: payload.context_hash,
          received_value: computed,
          detail: 'the context sent does not hash to the context_hash it came with',
        },
      };
    }
  }
  const current = ctx.contextHash();
  if (payload.base_hash !== undefined && current !== '' && payload.base_hash !== current) {
    return {
      state: 'conflict',
      conflict: {
        type: 'CONTEXT_DIVERGENCE',
        expected_value: current,
        received_value: payload.base_hash,
        ...(payload.depth === undefined ? {} : { divergence_depth: payload.depth }),
        detail: 'the lead believes this agent holds another context',
      },
    };
  }
  // Already on that context: READY, and the ACK says no new work was needed.
  if (current === payload.context_hash) return { state: 'ready', result: { context_hash: current }, cacheHit: true };
  ctx.setContextHash(payload.context_hash);
  return ready({ context_hash: payload.context_hash });
};

/**
 * Built-in handlers: enough for the protocol to run end to end and for the simulator. `act`
 * drives nothing here, so it is never READY: an agent with outputs gets the sensors module's
 * act handler (sensors/act-handler.ts) instead.
 */
export const BUILT_IN_HANDLERS: HandlerRegistry = Object.freeze({
  observe: (ctx) => ready({ context_hash: ctx.contextHash() }),
  orient: (ctx) => ready({ context_hash: ctx.contextHash(), payload_hash: ctx.coordinate.payload_hash }),
  decide: () => ready({ decision: 'proceed' }),
  // Not this agent's fault: it was sent a verb it cannot run (TRANSIT_REFUSAL, docs/protocol.md).
  act: (): HandlerOutcome => ({ state: 'transit', code: TRANSIT_REFUSAL.VERB_UNSUPPORTED, message: 'this agent has no outputs configured (sensors.devices)' }),
  record: (ctx) => ready({ recorded: ctx.coordinate.payload_hash }),
  sync: syncHandler,
});

export function handlerRegistry(overrides: Partial<Record<Verb, VerbHandler>> = {}): HandlerRegistry {
  return Object.freeze({ ...BUILT_IN_HANDLERS, ...overrides });
}
