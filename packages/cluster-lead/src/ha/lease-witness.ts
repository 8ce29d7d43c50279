import { z } from 'zod';

/**
 * Witnesses: how a holder rides through a lease stream that takes no writes (its stream leader
 * lost, an election running) without another lead taking over meanwhile. It asks every standby
 * over core NATS, which routes around a lost node, to promise not to take the lease for a TTL;
 * with every standby it knows of bound, it extends its own deadline (README.md, "Riding through
 * a leaderless lease stream").
 */

/** Holder -> standbys: "my renewal failed for availability; do not take the lease for a TTL from your answer". */
export interface WitnessRequest {
  /** The asker's witness id, so it does not answer itself. */
  readonly from: string;
  readonly holder: string;
  readonly epoch: number;
  readonly ttlMs: number;
}

/** A standby's answer: a promise, or a refusal (it holds, is taking, or knows a newer holder). */
export interface WitnessAnswer {
  readonly standby: string;
  readonly promise: boolean;
  readonly reason?: string;
}

/** The holder's answer to a standby's presence: it now counts the standby as one it must hear from. */
export interface PresenceAck {
  readonly holder: string;
  readonly epoch: number;
  readonly ttlMs: number;
}

/** How a keeper reaches the other keepers of its lease (core NATS in a lead: nats-witness-link.ts). */
export interface WitnessLink {
  /** Asks every standby; resolves the answers heard once all of `expected` answered or `waitMs` passed. */
  ask(request: WitnessRequest, expected: ReadonlySet<string>, waitMs: number): Promise<WitnessAnswer[]>;
  /** Tells the holder this standby exists; resolves its acknowledgement, or null when no holder answered. */
  present(standby: string): Promise<PresenceAck | null>;
}

/** What a keeper answers when asked (the link calls these for messages from other keepers). */
export interface WitnessParty {
  /** A witness request from a holder: the answer to send back, or null to stay silent. */
  witness(request: WitnessRequest): WitnessAnswer | null;
  /** A standby's presence: the holder's acknowledgement, or null (not holding, or not taking new standbys now). */
  presence(standby: string): PresenceAck | null;
}

const Id = z.string().min(1).max(256);
const Key = z.string().min(1).max(256);

/** The messages on the wire, checked at the boundary: another process (or a forger) sent them. */
export const WitnessRequestWire = z.strictObject({ key: Key, from: Id, holder: Id, epoch: z.number().int().positive(), ttl_ms: z.number().int().positive().max(600_000) });
export const WitnessAnswerWire = z.strictObject({ key: Key, standby: Id, promise: z.boolean(), reason: z.string().max(256).optional() });
export const PresenceWire = z.strictObject({ key: Key, standby: Id });
export const PresenceAckWire = z.strictObject({ key: Key, holder: Id, epoch: z.number().int().positive(), ttl_ms: z.number().int().positive().max(600_000) });
