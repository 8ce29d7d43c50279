import { PROTOCOL_VERSION, newMessageId } from '@mesh30k/shared';
import type { Ed25519, EpochFence, KeyResolver } from '@mesh30k/shared';
import type { Logger } from 'pino';
import type { AgentClock } from '../clock/agent-clock.js';
import type { Bus } from '../nats/bus.js';
import type { Identity } from '../nats/frames.js';
import type { Outbox, StateStore } from '../ports.js';
import type { AgentCounters } from './counters.js';
import type { AgentIdentity, AgentTuning } from './options.js';

/** What the agent's parts share: built once by Agent, never by callers. */
export interface AgentContext {
  readonly identity: AgentIdentity;
  readonly tuning: Readonly<AgentTuning>;
  readonly clock: AgentClock;
  /** The agent's signing identity. */
  readonly self: Identity;
  readonly bus: Bus;
  readonly log: Logger;
  readonly counters: AgentCounters;
  readonly outbox: Outbox;
  readonly state: StateStore;
  readonly ed25519: Ed25519;
  /** Resolves the lead's key(s) for verifying what it signs. */
  readonly leadKeys: KeyResolver;
  /** The highest lease epoch seen from an HA lead: what heartbeats, COORDINATEs and control are fenced by. */
  readonly leaseFence: EpochFence;
  /** A frame signed in the lead's name verified with no known key: ask for the lead's keys again (rate-limited). */
  readonly doubtLeadKey?: () => void;
}

export interface MessageHeader {
  v: typeof PROTOCOL_VERSION;
  message_id: string;
  sender_id: string;
  created_at: number;
  ttl_ms: number;
}

/** The header fields of a message the agent sends now; created_at is mesh time. */
export function messageHeader(ctx: AgentContext, createdAtMesh: number = ctx.clock.meshNow()): MessageHeader {
  return {
    v: PROTOCOL_VERSION,
    message_id: newMessageId(createdAtMesh),
    sender_id: ctx.identity.agentId,
    created_at: createdAtMesh,
    ttl_ms: ctx.tuning.messageTtlMs,
  };
}
