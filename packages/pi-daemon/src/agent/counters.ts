/** What an agent counts; exposed through `Agent.stats()` for the status command and benchmarks. */
export interface AgentCounters {
  /** Heartbeat requests put on the wire, answered or not. */
  heartbeatsRequested: number;
  /** Heartbeats the lead answered with a verified reply (accepted or refused). */
  heartbeatsSent: number;
  heartbeatsMissed: number;
  /** Missed heartbeats by reason (an unsigned refusal by its code: REFUSED_UNSIGNED:OVERLOADED). */
  missedByReason: Record<string, number>;
  /** Beats held back on purpose (no session yet, or the lead asked for time), by reason; not misses. */
  heldByReason: Record<string, number>;
  heartbeatsRejected: number;
  /** Heartbeat sessions opened, and handshakes that did not open one (docs/adr/0004). */
  sessionsOpened: number;
  sessionHandshakesFailed: number;
  coordinatesAccepted: number;
  coordinatesIgnored: number;
  /** Refusals that got no ACK (bad frames, replays, expired, wrong signer), by code. */
  refusedByCode: Record<string, number>;
  /** Refusals answered with an ACK (QUEUE_FULL, FROZEN, ...), by code. */
  declinedByCode: Record<string, number>;
  conflicts: number;
  acksSent: number;
  acksOutboxed: number;
  outboxReplayed: number;
  outboxFailures: number;
  /** Outbox entries the lead refused for good, moved to the dead letters. */
  outboxDeadLettered: number;
  /** Outbox entries the lead refused for now, put back with their own backoff. */
  outboxDeferred: number;
  handedBack: number;
  probesAnswered: number;
  handlerFailures: number;
}

export function newCounters(): AgentCounters {
  return {
    heartbeatsRequested: 0,
    heartbeatsSent: 0,
    heartbeatsMissed: 0,
    missedByReason: {},
    heldByReason: {},
    heartbeatsRejected: 0,
    sessionsOpened: 0,
    sessionHandshakesFailed: 0,
    coordinatesAccepted: 0,
    coordinatesIgnored: 0,
    refusedByCode: {},
    declinedByCode: {},
    conflicts: 0,
    acksSent: 0,
    acksOutboxed: 0,
    outboxReplayed: 0,
    outboxFailures: 0,
    outboxDeadLettered: 0,
    outboxDeferred: 0,
    handedBack: 0,
    probesAnswered: 0,
    handlerFailures: 0,
  };
}

export function countCode(map: Record<string, number>, code: string): void {
  map[code] = (map[code] ?? 0) + 1;
}

/** Sum of a by-code map. */
export function total(map: Record<string, number>): number {
  return Object.values(map).reduce((a, b) => a + b, 0);
}
