/**
 * What each NATS user may publish and subscribe to, derived from the subject layout
 * (packages/shared/src/protocol/subjects.ts). The broker is the second fence; signatures are
 * the first. What the layout lets the broker enforce, and what it cannot:
 *
 * - Lead -> agent subjects carry the agent's id (mesh.agent.<id>.coord|probe): an agent may
 *   subscribe to its own and to no one else's, and publish on none of them.
 * - Agent -> lead subjects carry the lead's id only (mesh.<lead>.hb|ack|conflict|enroll|sensor|join|announce),
 *   shared by every agent of that lead: the broker confines an agent to its own lead's inbound
 *   subjects (never another lead's, never a subject it could read back), but cannot tell two
 *   agents of one lead apart there. That is the Ed25519 signature's job: the lead verifies
 *   the signer of every message against the enrolled key of the agent it claims to be.
 * - Group subjects (mesh.<lead>.coord, .ctl, .enroll, .leadkey) reach every agent of a lead by design:
 *   an agent may read its own lead's groups, not another lead's.
 * - Replies: an agent's requests are answered in _INBOX.<agent>.* (inboxPrefix), which only it
 *   may read; it answers the lead's probes through allow_responses (one reply per request
 *   received), so it needs no publish right on anyone's inbox.
 * - JetStream (HA leads only): a lead with `ha_bucket` may create, read, write and watch that one
 *   KV bucket (its stream's API subjects, its consumers' and $KV.<bucket>.>); one with `jetstream_store` may create,
 *   write and follow its lead group's state buckets and operation streams (src/replication);
 *   nobody else gets any $JS or $KV right, so no agent can read, forge or delete a lease or a
 *   replicated entry. API replies and consumer deliveries come back on the lead's inbox.
 */
import { inboxPrefix, subjectSpaces, subjects } from '@mesh30k/shared';
import { epochBucketName } from '../ha/kv-lease-store.js';
import { KINDS, bucketName } from '../replication/buckets.js';
import { opsNames } from '../replication/operations/names.js';
import type { Fleet, FleetAgent, FleetLead } from './fleet.js';

export interface Permissions {
  publish: string[];
  subscribe: string[];
  /** Publish to the reply subject of a request it received (once per request). */
  allowResponses: boolean;
}

export function agentPermissions(agent: Pick<FleetAgent, 'id' | 'lead'>): Permissions {
  return {
    // join and announce: an agent not yet enrolled asks its lead to join, and for the lead's
    // root-signed key; sensor: readings and input events.
    publish: [
      subjects.heartbeat(agent.lead),
      subjects.session(agent.lead),
      subjects.ack(agent.lead),
      subjects.conflict(agent.lead),
      subjects.enroll(agent.lead),
      subjects.sensor(agent.lead),
      subjects.join(agent.lead),
      subjects.announce(agent.lead),
    ],
    subscribe: [
      subjectSpaces.agent(agent.id),
      subjects.coordinateGroup(agent.lead),
      subjects.control(agent.lead),
      subjects.enroll(agent.lead),
      // The root-signed enrollment a lead publishes when it takes the HA lease.
      subjects.leadKey(agent.lead),
      `${inboxPrefix(agent.id)}.>`,
    ],
    allowResponses: true,
  };
}

/**
 * A lead serves everything under its own id, talks to any agent (mesh.agent.>: listing each
 * agent would put the whole fleet in every lead's permissions), sends summaries and escalated
 * conflicts to its parent, and cascades to its child leads through their summary subjects.
 */
export function leadPermissions(lead: FleetLead, fleet: Pick<Fleet, 'leads'>): Permissions {
  const own = subjectSpaces.lead(lead.id);
  const publish = [own, subjectSpaces.allAgents()];
  if (lead.parent !== undefined) publish.push(subjects.summary(lead.parent), subjects.conflict(lead.parent));
  for (const child of fleet.leads) {
    if (child.parent === lead.id) publish.push(subjects.summary(child.id));
  }
  if (lead.ha_bucket !== undefined) publish.push(...leaseBucketSubjects(lead.ha_bucket));
  if (lead.jetstream_store !== undefined) publish.push(...jetstreamStoreSubjects(lead.jetstream_store.prefix, lead.jetstream_store.cluster_id));
  return { publish: [...new Set(publish)], subscribe: [own, `${inboxPrefix(lead.id)}.>`], allowResponses: true };
}

/**
 * The login of a Pi site's gateway (a leaf node) on the hub. On a leaf connection, what the
 * login may publish is what the site exports to the hub, and what it may subscribe to is what
 * the hub sends down: the union of the site's agents' rights. Replies to probes cross the
 * leaf connection as ordinary messages, so the site may publish on its leads' inboxes (the
 * leads verify every reply's signature).
 */
export function sitePermissions(siteAgents: readonly Pick<FleetAgent, 'id' | 'lead'>[]): Permissions {
  const publish = new Set<string>();
  const subscribe = new Set<string>();
  for (const agent of siteAgents) {
    const rights = agentPermissions(agent);
    rights.publish.forEach((subject) => publish.add(subject));
    rights.subscribe.forEach((subject) => subscribe.add(subject));
    publish.add(`${inboxPrefix(agent.lead)}.>`);
  }
  return { publish: [...publish], subscribe: [...subscribe], allowResponses: true };
}

/**
 * What opening, reading and compare-and-set writing one KV bucket takes (src/ha/kv-lease-store.ts):
 * the JetStream API of its stream only (KV_<bucket>), not $JS.API.> (which would let the lead
 * delete any stream), and the bucket's own subjects; the same for the bucket beside it that
 * records the highest epoch taken (`<bucket>_epochs`).
 */
export function leaseBucketSubjects(bucket: string): string[] {
  const epochs = epochBucketName(bucket);
  // The consumer API for the standby's watch on its lease key (src/ha/kv-lease-store.ts).
  return ['$JS.API.INFO', ...streamApiSubjects(`KV_${bucket}`), ...consumerSubjects(`KV_${bucket}`), `$KV.${bucket}.>`, ...streamApiSubjects(`KV_${epochs}`), `$KV.${epochs}.>`];
}

/** Managing and reading one stream: create, update, info, gets (direct or not); no delete, no purge. */
function streamApiSubjects(stream: string): string[] {
  return [
    `$JS.API.STREAM.CREATE.${stream}`,
    `$JS.API.STREAM.UPDATE.${stream}`,
    `$JS.API.STREAM.INFO.${stream}`,
    `$JS.API.STREAM.MSG.GET.${stream}`,
    `$JS.API.DIRECT.GET.${stream}`,
    `$JS.API.DIRECT.GET.${stream}.>`,
  ];
}

/**
 * Following one stream with ephemeral ordered consumers (a KV watch, the operations follower):
 * creating, reading, pulling from and deleting its consumers, and answering flow control.
 */
function consumerSubjects(stream: string): string[] {
  return [
    `$JS.API.CONSUMER.CREATE.${stream}`,
    `$JS.API.CONSUMER.CREATE.${stream}.>`,
    `$JS.API.CONSUMER.INFO.${stream}.>`,
    `$JS.API.CONSUMER.DELETE.${stream}.>`,
    `$JS.API.CONSUMER.MSG.NEXT.${stream}.>`,
    `$JS.FC.${stream}.>`,
  ];
}

/**
 * What the JetStream store of one lead group takes (src/replication and its operations/): every
 * state bucket (KV_<prefix>_<cluster_id>_<kind>, listed one by one: a subject wildcard cannot
 * stand for part of a token) and the operation streams, each with its API, its consumers and
 * its own subjects. Other groups' buckets and streams stay out of reach.
 */
export function jetstreamStoreSubjects(prefix: string, clusterId: string): string[] {
  const out = ['$JS.API.INFO'];
  for (const kind of KINDS) {
    const bucket = bucketName({ prefix, clusterId }, kind);
    out.push(...streamApiSubjects(`KV_${bucket}`), ...consumerSubjects(`KV_${bucket}`), `$KV.${bucket}.>`);
  }
  const names = opsNames(prefix, clusterId);
  for (const stream of [names.opsStream, names.conflictsStream, names.deadLettersStream, names.sensorsStream]) {
    out.push(...streamApiSubjects(stream), ...consumerSubjects(stream));
  }
  out.push(names.opsSubjects, names.conflict, names.deadLetterSubjects, names.sensorSubjects);
  return out;
}
