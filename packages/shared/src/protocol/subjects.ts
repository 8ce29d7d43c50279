import { ID_PATTERN } from './primitives.js';
import type { MessageKind } from './messages.js';

/**
 * Every NATS subject of the mesh, built in one place. A lead with id L serves the subjects
 * under `mesh.<L>.`; agents address their lead by its id, leads address agents by theirs.
 * Ids are validated because a '.' or '*' inside one would silently change what a subject matches.
 */
const ROOT = 'mesh';

function token(id: string, what: string): string {
  if (!ID_PATTERN.test(id)) throw new TypeError(`${what} "${id}" cannot be a subject token: use 1-64 of [A-Za-z0-9_-]`);
  return id;
}

export const subjects = {
  /** Agent -> lead heartbeat request (reply carries the lead's clock-exchange stamps). */
  heartbeat: (leadId: string) => `${ROOT}.${token(leadId, 'lead id')}.hb`,
  /** Lead -> agents of one lead, one message for the whole group (hold mode, broadcasts). */
  coordinateGroup: (leadId: string) => `${ROOT}.${token(leadId, 'lead id')}.coord`,
  /** Lead -> one agent (lead mode, delegation, direct probes). */
  coordinateAgent: (agentId: string) => `${ROOT}.agent.${token(agentId, 'agent id')}.coord`,
  /** Agent -> lead acknowledgements. */
  ack: (leadId: string) => `${ROOT}.${token(leadId, 'lead id')}.ack`,
  /** Agent -> lead conflict reports (also carried in ACKs; this subject is for unsolicited ones). */
  conflict: (leadId: string) => `${ROOT}.${token(leadId, 'lead id')}.conflict`,
  /** Lead -> its agents: breaker, freeze and thaw notices. */
  control: (leadId: string) => `${ROOT}.${token(leadId, 'lead id')}.ctl`,
  /** Lead -> one agent: a direct liveness probe before it is declared offline. */
  probe: (agentId: string) => `${ROOT}.agent.${token(agentId, 'agent id')}.probe`,
  /** Child lead -> parent lead summaries, and the parent's heartbeat-style clock exchange. */
  summary: (parentLeadId: string) => `${ROOT}.${token(parentLeadId, 'lead id')}.summary`,
  /** Enrollment requests to a lead, and enrollments and rotations it announces. */
  enroll: (leadId: string) => `${ROOT}.${token(leadId, 'lead id')}.enroll`,
  /** Agent -> lead sensor readings and input events (requests, confirmed like ACKs). */
  sensor: (leadId: string) => `${ROOT}.${token(leadId, 'lead id')}.sensor`,
  /**
   * Unenrolled agent -> lead: an ENROLL_REQUEST signed by the key it asks to enroll (its
   * sender id is that key's text, since no enrollment names it yet); pending until an operator decides.
   */
  join: (leadId: string) => `${ROOT}.${token(leadId, 'lead id')}.join`,
  /** Agent -> lead heartbeat-session handshake (SESSION_HELLO request, SESSION_ACCEPT reply). */
  session: (leadId: string) => `${ROOT}.${token(leadId, 'lead id')}.session`,
  /**
   * Agent -> lead request (empty body); the reply is the lead's own root-signed enrollment
   * (a signed record, not a message), so an agent that pins only the mesh root learns the lead's key.
   */
  announce: (leadId: string) => `${ROOT}.${token(leadId, 'lead id')}.announce`,
  /**
   * Lead -> its agents: the same root-signed enrollment as the announce reply, published by a
   * lead each time it takes the HA lease, so agents learn the new holder's key without asking.
   */
  leadKey: (leadId: string) => `${ROOT}.${token(leadId, 'lead id')}.leadkey`,
  /**
   * Lead -> the other leads of its HA group: the holder asks the standbys to promise not to take
   * the lease while its lease stream takes no writes (core NATS, which routes around a lost node).
   */
  leaseWitness: (leadId: string) => `${ROOT}.${token(leadId, 'lead id')}.lease.witness`,
  /** Standby lead -> the holder of its HA group's lease: "I am here", so the holder waits for its promise. */
  leasePresence: (leadId: string) => `${ROOT}.${token(leadId, 'lead id')}.lease.presence`,
} as const;

export type SubjectFamily = keyof typeof subjects;

/** Wildcards over the subject families above, for broker permissions. */
export const subjectSpaces = {
  /** Everything addressed to one agent (coordinateAgent, probe). */
  agent: (agentId: string) => `${ROOT}.agent.${token(agentId, 'agent id')}.>`,
  /** Everything addressed to any agent: what a lead may publish on. */
  allAgents: () => `${ROOT}.agent.>`,
  /** Everything served by one lead (its heartbeat, session, ack, conflict, control, summary, enroll subjects). */
  lead: (leadId: string) => `${ROOT}.${token(leadId, 'lead id')}.>`,
} as const;

/**
 * The reply inbox prefix of one agent or lead: its requests' replies arrive under
 * `_INBOX.<id>.`, so the broker can let it subscribe to its own replies and nobody else's
 * (the generated nats-server permissions rely on it). Ids of agents and leads must therefore
 * be unique across the mesh.
 */
export function inboxPrefix(id: string): string {
  return `_INBOX.${token(id, 'inbox owner id')}`;
}

/** Which message kinds may travel on each family: publish and subscribe helpers check it. */
export const SUBJECT_KINDS: { readonly [F in SubjectFamily]: readonly MessageKind[] } = {
  heartbeat: ['HEARTBEAT', 'HEARTBEAT_REPLY'],
  coordinateGroup: ['COORDINATE'],
  coordinateAgent: ['COORDINATE'],
  ack: ['ACK', 'REPLY'],
  conflict: ['CONFLICT', 'REPLY'],
  control: ['CIRCUIT', 'FREEZE', 'THAW'],
  probe: ['PING', 'PONG'],
  summary: ['SUMMARY', 'HEARTBEAT_REPLY', 'COORDINATE', 'ACK'],
  enroll: ['ENROLL_REQUEST', 'ENROLLMENT', 'KEY_ROTATION', 'REPLY'],
  sensor: ['SENSOR_EVENT', 'REPLY'],
  join: ['ENROLL_REQUEST'],
  session: ['SESSION_HELLO', 'SESSION_ACCEPT'],
  // The reply is a root-signed enrollment record, verified with verifyEnrollment, not a message.
  announce: [],
  leadKey: [],
  // Lead-to-lead lease messages (packages/cluster-lead/src/ha/lease-witness.ts), not mesh messages.
  leaseWitness: [],
  leasePresence: [],
};

/** Header names carrying the signature and the signer beside the signed bytes (NATS and HTTP). */
export const SIGNATURE_HEADER = 'Mesh-Signature';
export const SIGNER_HEADER = 'Mesh-Signer';
/**
 * Headers of a session-keyed heartbeat and its reply (docs/adr/0004): the session id, and the
 * HMAC-SHA256 tag (base64url) that stands in for Mesh-Signature. Mesh-Signer still names the agent.
 */
export const SESSION_HEADER = 'Mesh-Session';
export const TAG_HEADER = 'Mesh-Tag';
