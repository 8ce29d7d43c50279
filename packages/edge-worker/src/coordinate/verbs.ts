import { REFUSAL, SyncPayload, TRANSIT_REFUSAL, payloadHash, verbPayloadIssues, verbPayloadRefusal, type ConflictDetail, type Coordinate } from '@mesh30k/shared';

/** What a verb handler decided: READY with a result, a conflict, or a refusal (TRANSIT: nothing was done). */
export type VerbOutcome =
  | { state: 'ready'; result: Record<string, unknown>; advanceWith?: string }
  | { state: 'conflict'; detail: ConflictDetail }
  | { state: 'refused'; code: string; message: string };

/**
 * The verbs a class-A edge agent performs: light, bounded work (spec 2.2: routing, light
 * transforms, cache operations). Every verb first checks that the payload is the one the
 * lead hashed and that it fits the verb's shared schema (the one the lead checked before
 * sending); `record` folds the payload into the agent's context, `sync` compares contexts.
 * A Worker drives no outputs, so `act` is refused (TRANSIT, NO_OUTPUTS), never READY: READY
 * would tell the lead that something was switched.
 */
export async function runVerb(message: Coordinate, contextHash: string): Promise<VerbOutcome> {
  const actual = await payloadHash(message.payload);
  if (actual !== message.payload_hash) {
    return conflict('HASH_MISMATCH', actual, message.payload_hash, contextHash, 'payload does not hash to payload_hash');
  }
  const issues = message.verb === 'act' ? [] : verbPayloadIssues(message.verb, message.payload);
  if (issues.length > 0) return { state: 'refused', code: TRANSIT_REFUSAL.PAYLOAD_INVALID, message: verbPayloadRefusal(message.verb, issues) };
  switch (message.verb) {
    case 'record':
      return { state: 'ready', result: { verb: 'record' }, advanceWith: message.payload_hash };
    case 'sync': {
      const theirs = SyncPayload.parse(message.payload).context_hash;
      if (theirs !== contextHash) {
        return conflict('CONTEXT_DIVERGENCE', contextHash, theirs, contextHash, 'the lead expects another context');
      }
      return { state: 'ready', result: { verb: 'sync' } };
    }
    case 'observe':
    case 'orient':
    case 'decide':
      return { state: 'ready', result: { verb: message.verb } };
    case 'act':
      return { state: 'refused', code: REFUSAL.NO_OUTPUTS, message: 'this agent is a Worker and drives no outputs: act needs an agent holding act:<output>' };
  }
}

function conflict(type: ConflictDetail['type'], expected: string, received: string, contextHash: string, detail: string): VerbOutcome {
  return {
    state: 'conflict',
    detail: {
      type,
      expected_value: expected.slice(0, 4_096),
      received_value: received.slice(0, 4_096),
      context_hash: contextHash,
      detail,
    },
  };
}
