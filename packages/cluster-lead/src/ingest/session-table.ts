import { ReplayWindow, randomToken, type SessionKeys } from '@mesh30k/shared';

/**
 * The lead's heartbeat sessions, in memory only (a restarted lead knows none: its agents are
 * told SESSION_UNKNOWN and re-handshake). Per session: the two keys, the expiry and the replay
 * window, about 100 bytes of payload. An agent has at most one session in use and one newer
 * one not yet used: a HELLO opens the newer one and the agent's first beat on it retires the
 * older, so a replayed HELLO (which yields no usable key) cannot end the session in use.
 */
export interface LeadSession {
  readonly id: string;
  readonly agentId: string;
  readonly keys: SessionKeys;
  /** Lead clock, ms. */
  readonly expiresAt: number;
  readonly window: ReplayWindow;
}

interface AgentSessions {
  current?: string;
  pending?: string;
}

export class SessionTable {
  private readonly sessions = new Map<string, LeadSession>();
  private readonly byAgent = new Map<string, AgentSessions>();
  /** Sessions retired by expiry, revocation or replacement, for metrics. */
  dropped = 0;

  get size(): number {
    return this.sessions.size;
  }

  /** Opens a session for `agentId`, replacing its earlier unused one. */
  open(agentId: string, keys: SessionKeys, expiresAt: number, sessionId = `s-${randomToken(22)}`): LeadSession {
    const session: LeadSession = { id: sessionId, agentId, keys, expiresAt, window: new ReplayWindow() };
    const slots = this.byAgent.get(agentId) ?? {};
    if (slots.pending !== undefined && this.remove(slots.pending)) this.dropped++;
    slots.pending = sessionId;
    this.byAgent.set(agentId, slots);
    this.sessions.set(sessionId, session);
    return session;
  }

  /** The live session of this id; an expired one is dropped on the way. */
  get(sessionId: string, now: number): LeadSession | undefined {
    const session = this.sessions.get(sessionId);
    if (session === undefined) return undefined;
    if (now >= session.expiresAt) {
      this.drop(session);
      return undefined;
    }
    return session;
  }

  /** The agent beat on `session`: it becomes the one in use, and any older one ends. */
  used(session: LeadSession): void {
    const slots = this.byAgent.get(session.agentId);
    if (slots === undefined || slots.current === session.id) return;
    if (slots.pending === session.id) {
      if (slots.current !== undefined && this.remove(slots.current)) this.dropped++;
      slots.current = session.id;
      slots.pending = undefined;
    }
  }

  /** Ends every session of one agent (revoked, or no longer enrolled); returns how many. */
  dropAgent(agentId: string): number {
    const slots = this.byAgent.get(agentId);
    if (slots === undefined) return 0;
    let n = 0;
    for (const id of [slots.current, slots.pending]) if (id !== undefined && this.remove(id)) n++;
    this.byAgent.delete(agentId);
    this.dropped += n;
    return n;
  }

  /** Ends the sessions of every agent `drop` says yes to; returns the agents dropped. */
  dropAgentsWhere(drop: (agentId: string) => boolean): string[] {
    const gone: string[] = [];
    for (const agentId of [...this.byAgent.keys()]) if (drop(agentId) && this.dropAgent(agentId) > 0) gone.push(agentId);
    return gone;
  }

  /** Drops expired sessions (a sweep, so agents that went away do not keep theirs). */
  sweep(now: number): number {
    let n = 0;
    for (const session of [...this.sessions.values()]) {
      if (now >= session.expiresAt) {
        this.drop(session);
        n++;
      }
    }
    return n;
  }

  private drop(session: LeadSession): void {
    if (!this.remove(session.id)) return;
    this.dropped++;
    const slots = this.byAgent.get(session.agentId);
    if (slots === undefined) return;
    if (slots.current === session.id) slots.current = undefined;
    if (slots.pending === session.id) slots.pending = undefined;
    if (slots.current === undefined && slots.pending === undefined) this.byAgent.delete(session.agentId);
  }

  private remove(sessionId: string): boolean {
    const session = this.sessions.get(sessionId);
    if (session === undefined) return false;
    // Keys are secrets: zero them rather than wait for the collector.
    session.keys.agentToLead.fill(0);
    session.keys.leadToAgent.fill(0);
    return this.sessions.delete(sessionId);
  }
}
