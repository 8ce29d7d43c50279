// The replayed fleet: N identities (keys derived from their index, enrolled by the mesh root)
// and their heartbeats, built and signed before they are sent, so that sending costs the
// generator a publish and nothing else. Each agent's heartbeats carry one boot id and a seq
// that only moves forward; created_at and t1 are the planned send time, which the lead's
// replay guard accepts while the frame is sent within its TTL of that time.
import { createHash } from 'node:crypto';
import { Heartbeat as HeartbeatSchema, PROTOCOL_VERSION, encodeMessage, newMessageId, sessionTag, toBase64Url, type Heartbeat, type KeyPair } from '@mesh30k/shared';
import { nodeEd25519, nodeHmacSha256, type NodeSigner } from '@mesh30k/shared/node';
import { issueEnrollments, type EnrollmentFile } from '../../../packages/pi-daemon/src/sim/enrollment.js';
import { SequenceCounter, type PlannedBeat } from './schedule.js';

export interface ReplayAgent {
  readonly agentId: string;
  readonly signer: NodeSigner;
  readonly publicKey: Uint8Array;
}

export interface ReplayFleet {
  readonly agents: readonly ReplayAgent[];
  readonly clusterId: string;
  readonly bootId: string;
  readonly seq: SequenceCounter;
}

/** One heartbeat ready to publish: its planned time, bytes and the values of its auth headers. */
export interface ReplayFrame {
  readonly at: number;
  readonly agent: number;
  readonly body: Uint8Array;
  readonly signerId: string;
  /** Ed25519 mode: the signature (Mesh-Signature). */
  readonly signature?: string;
  /** Session mode: the session id and HMAC tag (Mesh-Session, Mesh-Tag). */
  readonly session?: string;
  readonly tag?: string;
}

/** An open heartbeat session of one replayed agent (replay/sessions.ts). */
export interface ReplaySession {
  readonly id: string;
  readonly agentToLead: Uint8Array;
}

const encoder = new TextEncoder();

function replayPrivateKey(index: number): Uint8Array {
  return new Uint8Array(createHash('sha256').update(`mesh30k-replay/${index}`).digest());
}

export async function createReplayFleet(count: number, clusterId: string): Promise<ReplayFleet> {
  const agents: ReplayAgent[] = [];
  for (let i = 0; i < count; i++) {
    const privateKey = replayPrivateKey(i);
    agents.push({ agentId: `r-${i}`, signer: nodeEd25519.signerSync(privateKey), publicKey: await nodeEd25519.publicKeyFromPrivate(privateKey) });
  }
  return { agents, clusterId, bootId: `replay-${Date.now().toString(36)}`, seq: new SequenceCounter() };
}

/** Root-signed enrollments of every agent of the fleet, in the file format the lead reads. */
export function enrollFleet(fleet: ReplayFleet, root: KeyPair, issuedAt: number): Promise<EnrollmentFile> {
  return issueEnrollments(
    { signer: nodeEd25519.signerSync(root.privateKey), publicKey: root.publicKey },
    fleet.agents.map((a) => ({ agentId: a.agentId, publicKey: a.publicKey, agentClass: 'E' as const, capabilities: ['sensor.read'], clusterId: fleet.clusterId })),
    { issuedAt },
  );
}

/** The heartbeat agent `index` sends at `at`: steady numbers, as a synced agent on a quiet link reports them. */
export function replayHeartbeat(fleet: ReplayFleet, index: number, at: number, seq: number): Heartbeat {
  const agentId = fleet.agents[index]!.agentId;
  return {
    v: PROTOCOL_VERSION,
    message_id: newMessageId(at),
    sender_id: agentId,
    created_at: at,
    ttl_ms: 10_000,
    kind: 'HEARTBEAT',
    agent_id: agentId,
    cluster_id: fleet.clusterId,
    seq,
    boot_id: fleet.bootId,
    t1: at,
    impedance: {
      agent_id: agentId,
      agent_class: 'E',
      sector_id: 'sector-1',
      cluster_id: fleet.clusterId,
      current_latency_ms: 2,
      current_processing_ms: 100,
      current_queue_depth: 0,
      last_heartbeat: at,
      impedance_score: 100,
      reliability_score: 1,
      drift_coefficient: 0,
      operational_state: 'active',
      current_context_hash: '',
      capabilities: ['sensor.read'],
    },
    clock: { offset_ms: 0, delay_ms: 2, drift_ppm: 0, confidence: 0.95, error_bound_ms: 1, samples: 8, jitter_ms: 0.5 },
    health: { cpu_load_pct: 5, temperature_c: 45, memory_used_pct: 30, disk_used_pct: 10, throttle: null, uptime_s: 1000, ntp_synchronized: true },
    frozen: false,
    outbox_depth: 0,
  };
}

/**
 * Signs the planned beats, or with `sessions` tags them in each agent's session. The first
 * frame of each agent is schema-checked (through encodeMessage when signed); the rest, built
 * the same way, are signed or tagged straight over their JSON bytes.
 */
export async function signPlan(fleet: ReplayFleet, plan: readonly PlannedBeat[], checked: Set<number> = new Set(), sessions?: readonly ReplaySession[]): Promise<ReplayFrame[]> {
  const frames: ReplayFrame[] = [];
  for (const { agent, at } of plan) {
    const a = fleet.agents[agent]!;
    const heartbeat = replayHeartbeat(fleet, agent, at, fleet.seq.take(agent));
    const session = sessions?.[agent];
    if (sessions !== undefined) {
      if (session === undefined) throw new Error(`agent ${a.agentId} has no session`);
      if (!checked.has(agent)) {
        checked.add(agent);
        HeartbeatSchema.parse(heartbeat);
      }
      const body = encoder.encode(JSON.stringify(heartbeat));
      frames.push({ at, agent, body, signerId: a.agentId, session: session.id, tag: await sessionTag(nodeHmacSha256, session.agentToLead, session.id, undefined, body) });
      continue;
    }
    if (!checked.has(agent)) {
      checked.add(agent);
      const frame = await encodeMessage(heartbeat, a.signer, a.agentId);
      frames.push({ at, agent, body: frame.body, signerId: frame.signerId, signature: frame.signature });
      continue;
    }
    const body = encoder.encode(JSON.stringify(heartbeat));
    frames.push({ at, agent, body, signerId: a.agentId, signature: toBase64Url(a.signer.signSync(body)) });
  }
  return frames;
}
