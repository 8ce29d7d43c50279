/**
 * Every ACK frame the lead receives: verified (signature, schema, replay) before anything else,
 * routed to its operation by id, answered with the reply the agent waits for. Refusals are
 * counted by code so a flood of bad frames shows in the stats, not in the log volume.
 *
 * An ACK for an operation no longer in memory is refused for good, so the agent's outbox moves
 * it to its dead letters: LATE when the operations history has the operation (it finished;
 * its result is final), UNKNOWN_OPERATION when nothing here ever ran it.
 */
import { REFUSAL, type IncomingFrame } from '@mesh30k/shared';
import type { Logger } from 'pino';
import { SCATTER_EVENTS } from './events.js';
import type { OperationRun } from './operation-run.js';
import type { AckReply, AckVerifier } from './ports.js';

export interface AckIntakeStats {
  readonly accepted: number;
  /** Refused frames by code (wire codes such as BAD_SIGNATURE, and UNKNOWN_OPERATION, NOT_A_TARGET, ...). */
  readonly refused: Readonly<Record<string, number>>;
}

export interface AckIntakeDeps {
  readonly verifier: AckVerifier;
  readonly log: Logger;
  /** Lead clock: when each frame reached the intake. */
  readonly now: () => number;
  /** The running or recently completed operation with this id. */
  readonly find: (operationId: string) => OperationRun | undefined;
  /** True when the operations history (SQLite) has this operation. */
  readonly inHistory?: (operationId: string) => boolean;
}

export class AckIntake {
  private accepted = 0;
  private readonly refused: Record<string, number> = {};
  /** Frames received and not yet handed to their operation (being verified), by receipt, with when they arrived. */
  private readonly receiving = new Map<number, number>();
  private nextReceipt = 0;
  private waiters: Array<{ readonly before: number; readonly wake: () => void }> = [];

  constructor(private readonly deps: AckIntakeDeps) {}

  async handle(frame: IncomingFrame): Promise<AckReply> {
    const receipt = this.nextReceipt++;
    const arrivedAt = this.deps.now();
    this.receiving.set(receipt, arrivedAt);
    try {
      const verified = await this.deps.verifier.verify(frame);
      if (!verified.ok) return this.refuse(verified.error.code, verified.error.message, frame.signerId ?? null);
      const ack = verified.value.message;
      const answered = { messageId: ack.message_id, signerId: verified.value.signerId };
      const run = this.deps.find(ack.operation_id);
      if (run === undefined) {
        const refusal = this.deps.inHistory?.(ack.operation_id) === true
          ? this.refuse(REFUSAL.LATE, `operation ${ack.operation_id} finished and its result is final`, ack.agent_id)
          : this.refuse(REFUSAL.UNKNOWN_OPERATION, `no operation ${ack.operation_id} on this lead`, ack.agent_id);
        return { ...refusal, answered };
      }
      // The run counts the ACK synchronously; only its storing is awaited.
      const accepted = run.accept(verified.value, arrivedAt);
      this.handedOver(receipt);
      const reply = await accepted;
      if (!reply.ok) return { ...this.refuse(reply.code, reply.message, ack.agent_id), answered };
      this.accepted += 1;
      // Counted now; signed and sent once the operation is decided (or its hold runs out).
      const gate = run.replyGate(arrivedAt);
      if (gate !== null) await gate;
      return { ...reply, answered };
    } finally {
      this.handedOver(receipt);
    }
  }

  /**
   * Null when no ACK frame that reached the lead at or before `before` is still being verified;
   * otherwise a promise that resolves once every such frame has reached its operation (or was
   * refused). An operation's deadline waits for it, so an ACK that arrived in time is not made
   * late by the lead's own verification queue.
   */
  backlog(before: number): Promise<void> | null {
    if (!this.pendingBefore(before)) return null;
    return new Promise((wake) => this.waiters.push({ before, wake }));
  }

  stats(): AckIntakeStats {
    return { accepted: this.accepted, refused: { ...this.refused } };
  }

  private handedOver(receipt: number): void {
    if (!this.receiving.delete(receipt) || this.waiters.length === 0) return;
    this.waiters = this.waiters.filter((waiter) => {
      if (this.pendingBefore(waiter.before)) return true;
      waiter.wake();
      return false;
    });
  }

  private pendingBefore(before: number): boolean {
    for (const at of this.receiving.values()) if (at <= before) return true;
    return false;
  }

  private refuse(code: string, message: string, agentId: string | null): AckReply {
    this.refused[code] = (this.refused[code] ?? 0) + 1;
    this.deps.log.debug({ event: SCATTER_EVENTS.ackRefused, code, agent_id: agentId, reason: message }, 'ack refused');
    return { ok: false, code, message };
  }
}
