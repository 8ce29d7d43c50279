/**
 * What a degradation mode asks of the lead beyond admission and routing (shared's
 * restrictionsFor): `preserveState` writes the registry snapshot to the database at once, and
 * `alertOperators` raises an operator alert: an error log line under a stable event name, a
 * counter and a gauge in /metrics, and `alert` in GET /v1/status, until the mode no longer asks.
 */
import { restrictionsFor, type MeshMode } from '@mesh30k/shared';
import type { Logger } from '../lib/logger.js';

export const MODE_REACTION_EVENTS = Object.freeze({
  alertRaised: 'operator.alert',
  alertCleared: 'operator.alert-cleared',
  statePreserved: 'mode.state-preserved',
} as const);

export interface OperatorAlert {
  readonly active: boolean;
  /** Lead clock when the alert was raised; null when none is active. */
  readonly since: number | null;
  readonly mode: MeshMode;
  readonly reason: string | null;
}

export interface ModeReactionDeps {
  readonly logger: Logger;
  readonly now: () => number;
  /** Writes every changed agent to the database now; resolves with how many. */
  readonly preserveState: () => Promise<number>;
  /**
   * Agents the lead knows. An empty lead is in EMERGENCY by definition (nobody to act), but a
   * lead waiting for its first agents is not an incident: no alert then.
   */
  readonly fleetSize: () => number;
}

export class ModeReactions {
  private current: OperatorAlert;
  private preserving: Promise<void> = Promise.resolve();
  /** Alerts raised since the lead started (for /metrics). */
  raised = 0;

  constructor(
    private readonly deps: ModeReactionDeps,
    initial: MeshMode,
  ) {
    this.current = { active: false, since: null, mode: initial, reason: null };
    // A lead restarted into such a mode alerts again: the operator may not have seen the first.
    this.modeChanged(initial, initial);
  }

  get alert(): OperatorAlert {
    return this.current;
  }

  modeChanged(from: MeshMode, to: MeshMode): void {
    const restrictions = restrictionsFor(to);
    if (restrictions.preserveState) this.preserve(to);
    const alerting = restrictions.alertOperators && this.deps.fleetSize() > 0;
    if (alerting && !this.current.active) {
      const reason = `mesh mode ${to} (from ${from}): ${restrictions.description}`;
      this.current = { active: true, since: this.deps.now(), mode: to, reason };
      this.raised++;
      this.deps.logger.error({ event: MODE_REACTION_EVENTS.alertRaised, mode: to, from, reason }, 'operator alert: the mesh needs a human');
    } else if (!alerting && this.current.active) {
      this.deps.logger.warn({ event: MODE_REACTION_EVENTS.alertCleared, mode: to, from, since: this.current.since }, 'operator alert cleared');
      this.current = { active: false, since: null, mode: to, reason: null };
    } else {
      this.current = { ...this.current, mode: to };
    }
  }

  /** Resolves once the last state preservation has finished (tests, shutdown). */
  settle(): Promise<void> {
    return this.preserving;
  }

  private preserve(mode: MeshMode): void {
    this.preserving = this.deps
      .preserveState()
      .then((written) => this.deps.logger.warn({ event: MODE_REACTION_EVENTS.statePreserved, mode, agents_written: written }, 'state preserved to the database'))
      .catch((error: unknown) => this.deps.logger.error({ err: error, mode }, 'state could not be preserved'));
  }
}
