import { randomBytes } from 'node:crypto';
import { ReplayWindow, type SessionKeys } from '@mesh30k/shared';

const SLOT_BYTES = 64;

/**
 * Every session's keys in one growing buffer, 64 bytes a slot (agent->lead, then lead->agent):
 * a buffer per session would cost about 270 bytes of overhead for its 64 of key (measured).
 */
class KeySlab {
  private bytes = new Uint8Array(SLOT_BYTES * 1_024);
  private readonly free: number[] = [];
  private next = 0;

  take(keys: SessionKeys): number {
    const slot = this.free.pop() ?? this.next++;
    if ((slot + 1) * SLOT_BYTES > this.bytes.byteLength) {
      const grown = new Uint8Array(this.bytes.byteLength * 2);
      grown.set(this.bytes);
      this.bytes.fill(0);
      this.bytes = grown;
    }
    this.bytes.set(keys.agentToLead, slot * SLOT_BYTES);
    this.bytes.set(keys.leadToAgent, slot * SLOT_BYTES + 32);
    return slot;
  }

  /** A view for one use: the buffer may be replaced when it grows. */
  view(slot: number, half: 0 | 1): Uint8Array {
    const start = slot * SLOT_BYTES + half * 32;
    return this.bytes.subarray(start, start + 32);
  }

  /** Keys are secrets: zeroed when the session ends. */
  release(slot: number): void {
    this.bytes.fill(0, slot * SLOT_BYTES, (slot + 1) * SLOT_BYTES);
    this.free.push(slot);
  }
}

/** One heartbeat session on the lead: ids, expiry, its key slot and, inherited, its replay window. */
export class LeadSession extends ReplayWindow {
  constructor(
    readonly id: string,
    readonly agentId: string,
    /** Lead clock, ms. */
    readonly expiresAt: number,
    private readonly slab: KeySlab,
    readonly slot: number,
  ) {
    super();
  }

  get agentToLead(): Uint8Array {
    return this.slab.view(this.slot, 0);
  }

  get leadToAgent(): Uint8Array {
    return this.slab.view(this.slot, 1);
  }
}

/**
 * A session id: 16 random bytes, base64url, as one flat string (ids built by concatenation
 * were chains of small strings, several hundred bytes each at 30,000 sessions).
 */
export function newSessionId(): string {
  return `s-${randomBytes(16).toString('base64url')}`;
}

/**
 * The lead's heartbeat sessions, in memory only (a restarted lead knows none: its agents are
 * told SESSION_UNKNOWN and re-handshake). An agent has at most one session in use and one
 * newer one not yet used: a HELLO opens the newer one and the agent's first beat on it retires
 * the older, so a replayed HELLO (which yields no usable key) cannot end the session in use.
 */
export class SessionTable {
  private readonly sessions = new Map<string, LeadSession>();
  /** The session each agent beats on. */
  private readonly current = new Map<string, LeadSession>();
  /** A newer session not used yet (rare: between a HELLO and the first beat on it). */
  private readonly pending = new Map<string, LeadSession>();
  private readonly slab = new KeySlab();
  /** Sessions retired by expiry, revocation or replacement, for metrics. */
  dropped = 0;

  get size(): number {
    return this.sessions.size;
  }

  /** Agents beating on a session (each counted once, whatever newer session it has opened). */
  get agentsInSession(): number {
    return this.current.size;
  }

  /** Opens a session for `agentId`, replacing its earlier unused one. The given keys are copied and zeroed. */
  open(agentId: string, keys: SessionKeys, expiresAt: number, sessionId = newSessionId()): LeadSession {
    const session = new LeadSession(sessionId, agentId, expiresAt, this.slab, this.slab.take(keys));
    keys.agentToLead.fill(0);
    keys.leadToAgent.fill(0);
    const earlier = this.pending.get(agentId);
    if (earlier !== undefined) this.end(earlier);
    this.pending.set(agentId, session);
    this.sessions.set(sessionId, session);
    return session;
  }

  /** The live session of this id; an expired one is dropped on the way. */
  get(sessionId: string, now: number): LeadSession | undefined {
    const session = this.sessions.get(sessionId);
    if (session === undefined) return undefined;
    if (now >= session.expiresAt) {
      this.end(session);
      return undefined;
    }
    return session;
  }

  /** The agent beat on `session`: it becomes the one in use, and any older one ends. */
  used(session: LeadSession): void {
    if (this.pending.get(session.agentId) !== session) return;
    this.pending.delete(session.agentId);
    const older = this.current.get(session.agentId);
    if (older !== undefined) this.end(older);
    this.current.set(session.agentId, session);
  }

  /** Ends every session of one agent (revoked, or no longer enrolled); returns how many. */
  dropAgent(agentId: string): number {
    let n = 0;
    for (const session of [this.current.get(agentId), this.pending.get(agentId)]) {
      if (session !== undefined) {
        this.end(session);
        n++;
      }
    }
    return n;
  }

  /** Ends the sessions of every agent `drop` says yes to; returns the agents dropped. */
  dropAgentsWhere(drop: (agentId: string) => boolean): string[] {
    const agents = new Set([...this.current.keys(), ...this.pending.keys()]);
    const gone: string[] = [];
    for (const agentId of agents) if (drop(agentId) && this.dropAgent(agentId) > 0) gone.push(agentId);
    return gone;
  }

  /** Drops expired sessions (a sweep, so agents that went away do not keep theirs). */
  sweep(now: number): number {
    let n = 0;
    for (const session of [...this.sessions.values()]) {
      if (now >= session.expiresAt) {
        this.end(session);
        n++;
      }
    }
    return n;
  }

  private end(session: LeadSession): void {
    if (this.sessions.get(session.id) !== session) return;
    this.sessions.delete(session.id);
    if (this.current.get(session.agentId) === session) this.current.delete(session.agentId);
    if (this.pending.get(session.agentId) === session) this.pending.delete(session.agentId);
    this.slab.release(session.slot);
    this.dropped++;
  }
}
