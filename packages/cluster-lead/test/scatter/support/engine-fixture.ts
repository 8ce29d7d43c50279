// One engine wired to in-memory ports, a ManualClock and the ManualScheduler: the unit seam.
import { ManualClock, PROTOCOL_VERSION, ReplayGuard, encodeMessage, newMessageId } from '@mesh30k/shared';
import type { Ack, Coordinate, IncomingFrame, ReleaseMode, TrinaryState } from '@mesh30k/shared';
import { nodeEd25519 } from '@mesh30k/shared/node';
import type { NodeSigner } from '@mesh30k/shared/node';
import { ScatterEngine } from '../../../src/scatter/engine.js';
import { ManualScheduler } from '../../../src/scatter/manual-scheduler.js';
import type { ScatterOptionsInput } from '../../../src/scatter/options.js';
import type { AckVerifier, RunJournal, TargetAgent } from '../../../src/scatter/ports.js';
import { inlineAckVerifier } from '../../../src/scatter/verifier.js';
import { captureLog } from './capture-log.js';
import type { LogLine } from './capture-log.js';
import { FakeRegistry, FakeRoutes, MemoryStore, RecordingOutcomes, SettableMode } from './fakes.js';
import { MemoryTransport } from './memory-transport.js';
import { selectorMatches } from './selector-match.js';

export const LEAD_ID = 'lead-1';
export const T0 = 1_800_000_000_000;
const ALL_MODES: readonly ReleaseMode[] = ['lead', 'hold', 'none'];

/** A quiet agent: 10 ms away, no jitter, full confidence, clock in step with the lead. */
export function agent(agentId: string, over: Partial<TargetAgent> = {}): TargetAgent {
  return {
    agentId,
    agentClass: 'E',
    capabilities: ['sensor.read'],
    clusterId: 'cluster-1',
    sectorId: 'sector-1',
    state: 'active',
    supportedModes: ALL_MODES,
    oneWayDelayMs: 10,
    jitterMs: 0,
    confidence: 1,
    clock: { offsetMs: 0, driftPpm: 0, atLocalMs: T0 },
    ...over,
  };
}

export interface Fixture {
  readonly engine: ScatterEngine;
  readonly clock: ManualClock;
  readonly scheduler: ManualScheduler;
  readonly transport: MemoryTransport;
  readonly registry: FakeRegistry;
  readonly routes: FakeRoutes;
  readonly outcomes: RecordingOutcomes;
  readonly store: MemoryStore;
  readonly mode: SettableMode;
  readonly logs: LogLine[];
  readonly events: () => string[];
  /** Signs ACKs for any agent id (the resolver trusts this key for every agent). */
  readonly agentSigner: NodeSigner;
  readonly strangerSigner: NodeSigner;
  readonly leadPublicKey: Uint8Array;
}

let keys: { lead: NodeSigner; leadPublic: Uint8Array; agent: NodeSigner; agentPublic: Uint8Array; stranger: NodeSigner } | undefined;

async function testKeys(): Promise<NonNullable<typeof keys>> {
  if (keys !== undefined) return keys;
  const [lead, agentPair, stranger] = await Promise.all([nodeEd25519.generateKeyPair(), nodeEd25519.generateKeyPair(), nodeEd25519.generateKeyPair()]);
  keys = {
    lead: nodeEd25519.signerSync(lead.privateKey),
    leadPublic: lead.publicKey,
    agent: nodeEd25519.signerSync(agentPair.privateKey),
    agentPublic: agentPair.publicKey,
    stranger: nodeEd25519.signerSync(stranger.privateKey),
  };
  return keys;
}

/** `journal`: keep running operations there (a lead's database); `startAt`: the clock's first reading. */
export async function makeFixture(
  agents: readonly TargetAgent[],
  options: ScatterOptionsInput = {},
  /** `wrapVerifier`: stands between the engine and the real verifier (a test that holds verifications back). */
  extra: { journal?: RunJournal; startAt?: number; wrapVerifier?: (inner: AckVerifier) => AckVerifier } = {},
): Promise<Fixture> {
  const k = await testKeys();
  const clock = new ManualClock(extra.startAt ?? T0);
  const scheduler = new ManualScheduler(clock);
  const transport = new MemoryTransport(clock);
  const registry = new FakeRegistry(agents);
  const routes = new FakeRoutes();
  const outcomes = new RecordingOutcomes();
  const store = new MemoryStore();
  const mode = new SettableMode();
  const { logger, lines, events } = captureLog();
  const realVerifier = inlineAckVerifier({
    ed25519: nodeEd25519,
    resolveKey: (signerId) =>
      registry.agents.has(signerId) ? { ok: true, value: k.agentPublic } : { ok: false, error: { code: 'UNKNOWN_SIGNER', message: `unknown ${signerId}` } },
    replay: new ReplayGuard({ clock }),
  });
  const verifier = extra.wrapVerifier === undefined ? realVerifier : extra.wrapVerifier(realVerifier);
  const engine = new ScatterEngine(
    { clock, scheduler, identity: { leadId: LEAD_ID, signer: k.lead }, targets: registry, routes, outcomes, transport, store, mode, verifier, logger, ...(extra.journal === undefined ? {} : { journal: extra.journal }) },
    // A manual clock stands still while the lead plans and writes: no send lag unless a test asks
    // for one; replies at once (tests await each), unless a test holds them.
    { sendLagPerAgentMs: 0, replyHoldMs: 0, ...options },
  );
  engine.start();
  return { engine, clock, scheduler, transport, registry, routes, outcomes, store, mode, logs: lines, events, agentSigner: k.agent, strangerSigner: k.stranger, leadPublicKey: k.leadPublic };
}

export interface AckSpec {
  readonly agentId: string;
  readonly coordinate: Coordinate;
  /** Agent's conversion of its ready instant (ready_at_mesh). */
  readonly readyAtMesh: number;
  /** Agent clock at ready; defaults to readyAtMesh (an agent in step with the lead). */
  readonly readyAtLocal?: number;
  readonly state?: TrinaryState;
  readonly processingMs?: number;
  readonly signer?: NodeSigner;
  readonly late?: boolean;
}

export async function signedAck(fx: Fixture, spec: AckSpec): Promise<IncomingFrame> {
  const now = fx.clock.now();
  const state = spec.state ?? 1;
  const ack: Ack = {
    v: PROTOCOL_VERSION,
    message_id: newMessageId(now),
    sender_id: spec.agentId,
    created_at: now,
    ttl_ms: 30_000,
    kind: 'ACK',
    operation_id: spec.coordinate.operation_id,
    coordinate_id: spec.coordinate.message_id,
    agent_id: spec.agentId,
    trinary_state: state,
    release_mode: spec.coordinate.release_mode,
    received_at_local: (spec.readyAtLocal ?? spec.readyAtMesh) - (spec.processingMs ?? 50),
    ready_at_local: spec.readyAtLocal ?? spec.readyAtMesh,
    ready_at_mesh: spec.readyAtMesh,
    processing_ms: spec.processingMs ?? 50,
    late: spec.late ?? false,
    ...(state === -1
      ? { conflict: { type: 'DATA_CONTRADICTION', expected_value: '1', received_value: '2', context_hash: 'b'.repeat(64), detail: 'disagrees' } }
      : {}),
  };
  return encodeMessage(ack, spec.signer ?? fx.agentSigner, spec.agentId);
}

/** The COORDINATE agentId would act on: its own, or a group message whose selector picks it. */
export function coordinateFor(fx: Fixture, agentId: string): Coordinate {
  const target = fx.registry.agents.get(agentId);
  const found = fx.transport.coordinateFor(agentId, (message) =>
    [...fx.registry.agents.values()].filter((a) => selectorMatches(message.selector, a)).map((a) => a.agentId),
  );
  if (target === undefined || found === undefined) throw new Error(`nothing was sent to ${agentId}`);
  return found;
}

/** ACKs from agents, delivered in order; returns the replies. */
export async function answer(fx: Fixture, specs: readonly Omit<AckSpec, 'coordinate'>[]): Promise<unknown[]> {
  const replies: unknown[] = [];
  for (const spec of specs) replies.push(await fx.transport.deliver(await signedAck(fx, { ...spec, coordinate: coordinateFor(fx, spec.agentId) })));
  return replies;
}
