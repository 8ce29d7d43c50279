/**
 * Freeze and thaw of a cluster, a sector or the whole mesh. The state (ControlState) is written
 * to the store first, so it survives a restart and every heartbeat reply carries it (`frozen`);
 * then a signed FREEZE or THAW is published on the lead's control subject for agents listening
 * now. A frozen lead refuses new operations (see admissionRefusal).
 */
import { PROTOCOL_VERSION, newMessageId, type Clock, type Freeze, type Thaw } from '@mesh30k/shared';
import type { ControlState } from '../ingest/index.js';
import type { Logger } from '../lib/logger.js';

export const CONTROL_EVENTS = Object.freeze({
  frozen: 'control.frozen',
  thawed: 'control.thawed',
  publishFailed: 'control.publish-failed',
} as const);

export type FreezeScope = 'cluster' | 'sector' | 'global';

/** Publishes one control message (FREEZE, THAW, CIRCUIT) signed by the lead; throws when it cannot. */
export type ControlPublisher = (message: Freeze | Thaw) => Promise<void>;

export interface FreezeControlDeps {
  readonly clock: Clock;
  readonly state: ControlState;
  readonly publish: ControlPublisher;
  readonly logger: Logger;
  readonly leadId: string;
  /** This lead's cluster and sector: the default targets, and what admission checks. */
  readonly clusterId: string;
  readonly sectorId: string | undefined;
}

export interface FreezeRequest {
  readonly scope: FreezeScope;
  readonly targetId?: string | undefined;
  readonly reason?: string | undefined;
}

export interface FreezeOutcome {
  readonly action: 'FREEZE' | 'THAW';
  readonly scope: FreezeScope;
  readonly targetId: string | null;
  readonly messageId: string;
  /** False when the notice could not be published now (agents still learn it from heartbeat replies). */
  readonly published: boolean;
  readonly frozen: boolean;
}

export type FreezeErrorCode = 'NO_SECTOR';

export class FreezeError extends Error {
  override readonly name = 'FreezeError';
  constructor(
    readonly code: FreezeErrorCode,
    message: string,
  ) {
    super(message);
  }
}

const NOTICE_TTL_MS = 60_000;

export class FreezeControl {
  constructor(private readonly deps: FreezeControlDeps) {}

  freeze(request: FreezeRequest): Promise<FreezeOutcome> {
    return this.change('FREEZE', request);
  }

  thaw(request: FreezeRequest): Promise<FreezeOutcome> {
    return this.change('THAW', request);
  }

  /** Whether this lead itself (its cluster, its sector or the mesh) is frozen. */
  isLeadFrozen(): boolean {
    return this.deps.state.isFrozen(this.deps.clusterId, this.deps.sectorId);
  }

  /** Why a new operation is refused now, or null when it may run. */
  admissionRefusal(): string | null {
    if (!this.isLeadFrozen()) return null;
    return `the lead is frozen (cluster ${this.deps.clusterId}${this.deps.sectorId === undefined ? '' : `, sector ${this.deps.sectorId}`} or the whole mesh); thaw it to start operations`;
  }

  private async change(action: 'FREEZE' | 'THAW', request: FreezeRequest): Promise<FreezeOutcome> {
    const targetId = this.target(request);
    const frozen = action === 'FREEZE';
    this.deps.state.setFrozen(request.scope, targetId ?? undefined, frozen);
    const now = this.deps.clock.now();
    const reason = (request.reason ?? `operator ${action.toLowerCase()}`).slice(0, 256);
    const common = { v: PROTOCOL_VERSION, message_id: newMessageId(now), sender_id: this.deps.leadId, created_at: now, ttl_ms: NOTICE_TTL_MS, scope: request.scope, reason, ...(targetId === null ? {} : { target_id: targetId }) } as const;
    const message: Freeze | Thaw = frozen ? { ...common, kind: 'FREEZE' } : { ...common, kind: 'THAW' };
    let published = true;
    try {
      await this.deps.publish(message);
    } catch (error) {
      published = false;
      this.deps.logger.warn({ event: CONTROL_EVENTS.publishFailed, err: error, kind: message.kind }, 'control notice not published; heartbeat replies carry the state');
    }
    this.deps.logger.warn(
      { event: frozen ? CONTROL_EVENTS.frozen : CONTROL_EVENTS.thawed, scope: request.scope, target_id: targetId, message_id: message.message_id, published, reason },
      frozen ? 'frozen' : 'thawed',
    );
    return { action, scope: request.scope, targetId, messageId: message.message_id, published, frozen: this.isLeadFrozen() };
  }

  private target(request: FreezeRequest): string | null {
    switch (request.scope) {
      case 'global':
        return null;
      case 'cluster':
        return request.targetId ?? this.deps.clusterId;
      case 'sector': {
        const id = request.targetId ?? this.deps.sectorId;
        if (id === undefined) throw new FreezeError('NO_SECTOR', 'this lead has no sector; name the sector to freeze (target_id)');
        return id;
      }
    }
  }
}
