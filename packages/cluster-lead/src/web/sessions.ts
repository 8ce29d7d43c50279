/**
 * Dashboard sign-in sessions, in memory: a random session id (the HttpOnly cookie) maps to the
 * bearer token the operator pasted, its role and a per-session CSRF token. A session ends when
 * its token expires, on sign-out, or when the lead restarts (the operator signs in again).
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { OperatorRole } from '@mesh30k/shared';

export interface UiSession {
  readonly id: string;
  readonly operatorId: string;
  readonly role: OperatorRole;
  /** `Bearer <token>`: what the session's API requests carry, so the API's roles apply unchanged. */
  readonly authorization: string;
  readonly csrf: string;
  readonly expiresAt: number;
}

/** Sessions kept at most; the oldest is dropped beyond this (sign-ins come from the network). */
export const DEFAULT_MAX_SESSIONS = 1_000;

const secret = (): string => randomBytes(32).toString('base64url');

export class UiSessions {
  private readonly byId = new Map<string, UiSession>();

  constructor(
    private readonly now: () => number,
    private readonly maxSessions = DEFAULT_MAX_SESSIONS,
  ) {}

  open(input: Omit<UiSession, 'id' | 'csrf'>): UiSession {
    const session: UiSession = { ...input, id: secret(), csrf: secret() };
    this.byId.set(session.id, session);
    while (this.byId.size > this.maxSessions) {
      const oldest = this.byId.keys().next().value;
      if (oldest === undefined) break;
      this.byId.delete(oldest);
    }
    return session;
  }

  /** The live session with this id; an expired one is forgotten. */
  get(id: string | undefined): UiSession | undefined {
    if (id === undefined) return undefined;
    const session = this.byId.get(id);
    if (session === undefined) return undefined;
    if (session.expiresAt <= this.now()) {
      this.byId.delete(id);
      return undefined;
    }
    return session;
  }

  close(id: string): void {
    this.byId.delete(id);
  }

  get size(): number {
    return this.byId.size;
  }
}

/** Constant-time comparison of a presented CSRF token with the session's. */
export function csrfMatches(session: UiSession, presented: string | undefined): boolean {
  if (presented === undefined) return false;
  const a = Buffer.from(session.csrf);
  const b = Buffer.from(presented);
  return a.length === b.length && timingSafeEqual(a, b);
}
