/**
 * The lead's CPU per heartbeat under each heartbeat.auth mode (docs/adr/0004), measured the
 * same way in one run: the same agents, the same heartbeat bodies, fed to HeartbeatIngest as
 * the lead wires it (trust cache, replay checks, registry, reply batching left out: `process`
 * builds each answer at once; no (boot, seq) order check: a verify pool may finish an agent's
 * beats out of order, which one beat in flight per agent never does). CPU is process.cpuUsage (every thread, so a verify pool's
 * workers count), divided by the heartbeats answered.
 * - ed25519: every beat verified (inline, or over a 2-thread verify pool) and every reply signed;
 * - session: every beat's tag checked and every reply tagged (node:crypto HMAC); the handshakes
 *   (one Ed25519 verify and one signature each) are measured apart, per handshake.
 */
import { performance } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import {
  AgentHandshake,
  parseAuthenticated,
  sessionTag,
  type SessionAccept,
} from '@mesh30k/shared';
import { nodeEd25519, nodeHmacSha256 } from '@mesh30k/shared/node';
import { sampleMessage } from '@mesh30k/shared/testing';
import { EventBus } from '../../src/lib/events.js';
import { silentLogger } from '../../src/lib/logger.js';
import {
  ControlState,
  HeartbeatIngest,
  HeartbeatReplay,
  IngestCounters,
  InlineVerifier,
  SessionDesk,
  SessionTable,
  VerifyPool,
  type FrameVerifier,
  type HeartbeatFrame,
} from '../../src/ingest/index.js';
import { trustFixture, type SignedAgent } from '../../src/ingest/ingest.test-helper.js';
import { GuardRails, Registry } from '../../src/registry/index.js';
import { OPTIONS, ScriptedProber, SetLag } from '../../src/registry/registry.test-helper.js';
import { TrustCache, trustedKeyResolver } from '../../src/trust/index.js';

const encoder = new TextEncoder();

export interface AuthModeRow {
  mode: 'ed25519' | 'session';
  verifier: string;
  heartbeats: number;
  /** Lead CPU (all threads) per heartbeat answered, µs. */
  cpuUsPerHeartbeat: number;
  heartbeatsPerSec: number;
}

export interface AuthModesBench {
  agents: number;
  heartbeats: number;
  rows: AuthModeRow[];
  /** CPU per SESSION_HELLO answered (verify + X25519 + HKDF + sign), µs. */
  handshakeCpuUs: number;
  /** session µs/hb over ed25519 (inline) µs/hb, measured in this run. */
  sessionShareOfEd25519: number;
  /** Lead heap per session in use (keys, window, ids, table entries), 30,000 sessions. */
  bytesPerSession: number;
}

/** Heap taken by 30,000 sessions in use, per session (gc'd before and after). */
export function sessionBytes(count = 30_000): number {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const heap = () => {
    gc();
    gc();
    const usage = process.memoryUsage();
    return usage.heapUsed + usage.arrayBuffers;
  };
  const ids = Array.from({ length: count }, (_, i) => `pi-${String(i).padStart(5, '0')}`);
  const before = heap();
  const table = new SessionTable();
  for (const id of ids) {
    const session = table.open(id, { agentToLead: new Uint8Array(32), leadToAgent: new Uint8Array(32) }, Number.MAX_SAFE_INTEGER);
    table.used(session);
    session.take(2);
    session.take(1);
  }
  const bytes = (heap() - before) / count;
  if (table.size !== count) throw new Error('sessions lost');
  return Math.round(bytes);
}

export async function authModesBench(options: { agents?: number; beatsPerAgent?: number } = {}): Promise<AuthModesBench> {
  const { agents: agentCount = 200, beatsPerAgent = 40 } = options;
  const fx = await trustFixture();
  const agentIdOf = (i: number) => `pi-${String(i).padStart(5, '0')}`;
  const agents: SignedAgent[] = [];
  for (let i = 0; i < agentCount; i++) agents.push(await fx.agent(agentIdOf(i)));
  const lead = await nodeEd25519.generateKeyPair();
  const identity = { leadId: 'lead-bench', publicKey: lead.publicKey, publicKeyText: '', signer: nodeEd25519.signerSync(lead.privateKey) };
  const trust = new TrustCache(fx.trust, () => fx.clock.now());
  const resolveKey = trustedKeyResolver(trust);
  const rules = { resolveKey, accept: ['HEARTBEAT'] as const };

  // One body per (agent, seq), shared by both modes: only the authentication differs.
  const bodies: { agent: SignedAgent; seq: number; body: Uint8Array }[] = [];
  for (let seq = 0; seq < beatsPerAgent; seq++) {
    for (const agent of agents) {
      const heartbeat = sampleMessage('HEARTBEAT', { sender: agent.agentId, at: fx.clock.now(), overrides: { t1: fx.clock.now(), seq } });
      bodies.push({ agent, seq, body: encoder.encode(JSON.stringify(heartbeat)) });
    }
  }
  const signed: HeartbeatFrame[] = bodies.map(({ agent, body }) => ({ body, signerId: agent.agentId, signature: Buffer.from(agent.signer.signSync(body)).toString('base64url') }));

  const build = (verifier: FrameVerifier, table?: SessionTable) => {
    const events = new EventBus();
    const registry = new Registry(
      { clock: fx.clock, events, prober: new ScriptedProber(), guard: new GuardRails({ clock: fx.clock, lag: new SetLag() }, { restartGraceMs: 0, timeoutFactor: 2, lagThresholdMs: 200, lagGraceMs: 1 }), transportUp: () => true },
      OPTIONS,
    );
    const counters = new IngestCounters();
    const ingest = new HeartbeatIngest(
      {
        clock: fx.clock,
        events,
        logger: silentLogger(),
        registry,
        trust,
        verifier,
        replay: new HeartbeatReplay({ clock: fx.clock }, { ttlMs: 10_000, skewMs: 2_000, maxEntries: 4 * bodies.length }),
        control: new ControlState(undefined),
        identity,
        counters,
        ...(table === undefined ? {} : { sessions: { table, hmac: nodeHmacSha256, trustVersion: () => fx.trust.version } }),
      },
      { heartbeatIntervalMs: 5_000, replyTtlMs: 5_000 },
    );
    return { ingest, counters };
  };

  /** Feeds every frame with 512 in flight (as a subscription delivers them); CPU and wall time of the lot. */
  const run = async (ingest: HeartbeatIngest, frames: readonly HeartbeatFrame[]) => {
    let next = 0;
    let answered = 0;
    const cpu = process.cpuUsage();
    const start = performance.now();
    const worker = async () => {
      while (next < frames.length) if ((await ingest.process(frames[next++]!, fx.clock.now())) !== null) answered++;
    };
    await Promise.all(Array.from({ length: 512 }, worker));
    const elapsedMs = performance.now() - start;
    const used = process.cpuUsage(cpu);
    return { answered, cpuUs: used.user + used.system, elapsedMs };
  };

  const rows: AuthModeRow[] = [];
  /** The first beat of every agent warms the code up (not measured); the rest are measured. */
  const measure = async (mode: AuthModeRow['mode'], label: string, ingest: HeartbeatIngest, counters: IngestCounters, frames: readonly HeartbeatFrame[]) => {
    await run(ingest, frames.slice(0, agentCount));
    const measured = frames.slice(agentCount);
    const r = await run(ingest, measured);
    if (counters.accepted !== frames.length) throw new Error(`${mode}/${label}: ${counters.accepted} of ${frames.length} accepted (${JSON.stringify(counters.snapshot().refused)})`);
    rows.push({ mode, verifier: label, heartbeats: measured.length, cpuUsPerHeartbeat: Math.round(r.cpuUs / r.answered), heartbeatsPerSec: Math.round((r.answered / r.elapsedMs) * 1000) });
  };

  for (const threads of [0, 2]) {
    const verifier: FrameVerifier = threads === 0 ? new InlineVerifier(rules) : new VerifyPool({ rules, logger: silentLogger() }, { threads, batchMax: 64, queueMax: 100_000, flushMs: 2 });
    await verifier.ready;
    const { ingest, counters } = build(verifier);
    await measure('ed25519', threads === 0 ? 'inline verify' : `verify pool, ${threads} threads`, ingest, counters, signed);
    await verifier.close();
  }

  // Session mode: each agent opens a session through the desk, then every beat is tagged.
  const verifier = new InlineVerifier(rules);
  const table = new SessionTable();
  const desk = new SessionDesk(
    { clock: fx.clock, logger: silentLogger(), identity, verifier, resolveKey, table, counters: new IngestCounters() },
    { lifetimeMs: 3_600_000, jitter: 0.1, replyTtlMs: 5_000, replay: { ttlMs: 10_000, maxEntries: 4 * agentCount } },
  );
  const sessions = new Map<string, { id: string; key: Uint8Array }>();
  let handshakeCpuUs = 0;
  for (const agent of agents) {
    const handshake = await AgentHandshake.start();
    const hello = sampleMessage('SESSION_HELLO', { sender: agent.agentId, at: fx.clock.now(), overrides: { ...handshake.helloFields } });
    const body = encoder.encode(JSON.stringify(hello));
    const frame = { body, signerId: agent.agentId, signature: Buffer.from(agent.signer.signSync(body)).toString('base64url') };
    const cpu = process.cpuUsage();
    const answer = await desk.process(frame, fx.clock.now());
    const used = process.cpuUsage(cpu);
    handshakeCpuUs += used.user + used.system;
    if (!('signature' in answer)) throw new Error(`handshake refused: ${new TextDecoder().decode(answer.body)}`);
    const parsed = parseAuthenticated(answer.body, identity.leadId, { accept: ['SESSION_ACCEPT'] });
    if (!parsed.ok) throw new Error(parsed.error.message);
    const keys = await handshake.finish(body, parsed.value.message as SessionAccept, { agentId: agent.agentId, leadId: identity.leadId });
    if (!keys.ok) throw new Error(keys.reason);
    sessions.set(agent.agentId, { id: (parsed.value.message as SessionAccept).session_id, key: keys.keys.agentToLead });
  }
  const tagged: HeartbeatFrame[] = [];
  for (const { agent, body } of bodies) {
    const session = sessions.get(agent.agentId)!;
    tagged.push({ body, signerId: agent.agentId, sessionId: session.id, tag: await sessionTag(nodeHmacSha256, session.key, session.id, undefined, body) });
  }
  const lead1 = build(verifier, table);
  await measure('session', 'HMAC tags (node:crypto)', lead1.ingest, lead1.counters, tagged);
  const inline = rows.find((r) => r.mode === 'ed25519' && r.verifier === 'inline verify')!;
  const session = rows.find((r) => r.mode === 'session')!;
  return {
    agents: agentCount,
    heartbeats: bodies.length,
    rows,
    handshakeCpuUs: Math.round(handshakeCpuUs / agentCount),
    sessionShareOfEd25519: session.cpuUsPerHeartbeat / inline.cpuUsPerHeartbeat,
    bytesPerSession: sessionBytes(),
  };
}
