import type { Logger } from 'pino';
import { LogEvent } from '../logging/events.js';
import type { StateStore } from '../ports.js';

const STATE_KEY = 'agent.frozen';

interface StoredFreeze {
  frozen: boolean;
  reason: string;
  /** Wall-clock ms of the change, for operators. */
  since: number;
}

export type FreezeSource = 'control' | 'heartbeat' | 'restart';

/**
 * The FREEZE flag: while set, no new work is accepted. It is written to the state store on
 * every change, so a frozen agent that restarts comes back frozen until a THAW.
 */
export class FreezeState {
  private stored: StoredFreeze;
  private changes = 0;

  constructor(
    private readonly state: StateStore,
    private readonly log: Logger,
  ) {
    const saved = state.get<StoredFreeze>(STATE_KEY);
    this.stored = saved !== undefined && typeof saved.frozen === 'boolean' ? saved : { frozen: false, reason: '', since: 0 };
    if (this.stored.frozen) {
      log.warn({ event: LogEvent.AGENT_FROZEN, source: 'restart', reason: this.stored.reason }, 'agent starts frozen (state survived the restart)');
    }
  }

  get frozen(): boolean {
    return this.stored.frozen;
  }

  /** Grows with every change; a heartbeat reply older than a change must not undo it. */
  get version(): number {
    return this.changes;
  }

  get reason(): string {
    return this.stored.reason;
  }

  /** Returns true when this changed the state. */
  freeze(reason: string, source: FreezeSource): boolean {
    if (this.stored.frozen) return false;
    this.write({ frozen: true, reason, since: Date.now() });
    this.log.warn({ event: LogEvent.AGENT_FROZEN, source, reason }, 'agent frozen: no new work is accepted');
    return true;
  }

  thaw(reason: string, source: FreezeSource): boolean {
    if (!this.stored.frozen) return false;
    this.write({ frozen: false, reason, since: Date.now() });
    this.log.info({ event: LogEvent.AGENT_THAWED, source, reason }, 'agent thawed: accepting work again');
    return true;
  }

  private write(next: StoredFreeze): void {
    this.changes++;
    this.stored = next;
    this.state.set(STATE_KEY, next);
  }
}
