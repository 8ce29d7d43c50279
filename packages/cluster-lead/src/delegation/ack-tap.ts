/**
 * The scatter engine keeps each ACK's trinary state and timing but not its `result` payload or
 * its conflict detail. A delegation wants both, so this wraps the engine's ACK verifier: after a
 * frame verified (signature, schema, replay), an ACK of an operation a delegation is waiting on
 * is kept, first one per agent, until the delegation takes it. Nothing else is retained, nothing
 * is changed: the engine sees exactly what the inner verifier returned.
 */
import type { Ack } from '@mesh30k/shared';
import type { AckVerifier } from '../scatter/ports.js';

export class AckTap {
  private readonly watched = new Map<string, Map<string, Ack>>();

  /** The engine's verifier, observed. Pass the result as ScatterDeps.verifier. */
  wrap(inner: AckVerifier): AckVerifier {
    return {
      verify: async (frame) => {
        const verified = await inner.verify(frame);
        if (verified.ok) {
          const ack = verified.value.message;
          const byAgent = this.watched.get(ack.operation_id);
          if (byAgent !== undefined && !byAgent.has(ack.agent_id)) byAgent.set(ack.agent_id, ack);
        }
        return verified;
      },
    };
  }

  watch(operationId: string): void {
    if (!this.watched.has(operationId)) this.watched.set(operationId, new Map());
  }

  /** The verified ACK this agent sent for the operation, if one came; stops watching it. */
  take(operationId: string, agentId: string): Ack | undefined {
    const ack = this.watched.get(operationId)?.get(agentId);
    this.watched.delete(operationId);
    return ack;
  }

  /** Every verified ACK kept for the operation (first per agent); stops watching it. */
  drain(operationId: string): Ack[] {
    const acks = [...(this.watched.get(operationId)?.values() ?? [])];
    this.watched.delete(operationId);
    return acks;
  }

  release(operationId: string): void {
    this.watched.delete(operationId);
  }

  /** Operations being watched (for tests: nothing leaks). */
  get size(): number {
    return this.watched.size;
  }
}
