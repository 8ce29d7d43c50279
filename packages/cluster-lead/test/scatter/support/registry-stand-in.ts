// The part of the lead's registry the integration test needs, played by the test: it answers
// HEARTBEAT requests with the lead's clock-exchange stamps (t2 on receipt, t3 on reply) and
// keeps each agent's last report, which it serves to the engine through the ScatterTargets port.
import { PROTOCOL_VERSION, SIGNATURE_HEADER, SIGNER_HEADER, classPriorMs, encodeMessage, isKind, newMessageId, subjects, verifyAndParse } from '@mesh30k/shared';
import type { Clock, Heartbeat, HeartbeatReply, KeyResolver, ReleaseMode, Selector, Signer } from '@mesh30k/shared';
import { nodeEd25519 } from '@mesh30k/shared/node';
import { headers } from 'nats';
import type { Msg, NatsConnection, Subscription } from 'nats';
import type { ProcessingEstimateView, ProcessingQuery, ScatterTargets, TargetAgent } from '../../../src/scatter/ports.js';
import { selectorMatches } from './selector-match.js';

/** The spread the stand-in assumes around the class prior (the sim agents vary by less). */
export const PROCESSING_SPREAD_SHARE = 0.05;
const ALL_MODES: readonly ReleaseMode[] = ['lead', 'hold', 'none'];

export interface StandInDeps {
  readonly connection: NatsConnection;
  readonly leadId: string;
  readonly signer: Signer;
  readonly clock: Clock;
  readonly resolveKey: KeyResolver;
}

export class RegistryStandIn implements ScatterTargets {
  private readonly agents = new Map<string, TargetAgent>();
  private subscription: Subscription | undefined;
  heartbeats = 0;
  readonly errors: unknown[] = [];

  constructor(private readonly deps: StandInDeps) {}

  start(): void {
    this.subscription = this.deps.connection.subscribe(subjects.heartbeat(this.deps.leadId), {
      queue: 'leads',
      callback: (error, msg) => {
        if (error === null) this.onHeartbeat(msg, this.deps.clock.now()).catch((failure: unknown) => this.errors.push(failure));
      },
    });
  }

  stop(): void {
    this.subscription?.unsubscribe();
  }

  get size(): number {
    return this.agents.size;
  }

  select(selector: Selector): readonly TargetAgent[] {
    return [...this.agents.values()].filter((a) => selectorMatches(selector, a));
  }

  estimateProcessing(agentId: string, query: ProcessingQuery): ProcessingEstimateView {
    const agent = this.agents.get(agentId);
    const expectedMs = agent === undefined ? 0 : classPriorMs(agent.agentClass, query.payloadWeight);
    return { expectedMs, spreadMs: expectedMs * PROCESSING_SPREAD_SHARE };
  }

  private async onHeartbeat(msg: Msg, t2: number): Promise<void> {
    const frame = { body: msg.data, signerId: msg.headers?.get(SIGNER_HEADER), signature: msg.headers?.get(SIGNATURE_HEADER) };
    const verified = await verifyAndParse(frame, { ed25519: nodeEd25519, resolveKey: this.deps.resolveKey, accept: ['HEARTBEAT'] });
    if (!verified.ok || !isKind(verified.value.message, 'HEARTBEAT')) return;
    const beat = verified.value.message;
    this.heartbeats += 1;
    if (beat.clock.samples > 0) this.remember(beat);
    const t3 = this.deps.clock.now();
    const reply: HeartbeatReply = {
      v: PROTOCOL_VERSION,
      message_id: newMessageId(t3),
      sender_id: this.deps.leadId,
      created_at: t3,
      ttl_ms: 30_000,
      kind: 'HEARTBEAT_REPLY',
      agent_id: beat.agent_id,
      accepted: true,
      t1: beat.t1,
      t2,
      t3,
      frozen: false,
      config_epoch: 0,
      mode: 'FULL',
    };
    const signed = await encodeMessage(reply, this.deps.signer, this.deps.leadId);
    const h = headers();
    h.set(SIGNER_HEADER, signed.signerId);
    h.set(SIGNATURE_HEADER, signed.signature);
    msg.respond(signed.body, { headers: h });
  }

  private remember(beat: Heartbeat): void {
    const { impedance, clock } = beat;
    this.agents.set(beat.agent_id, {
      agentId: beat.agent_id,
      agentClass: impedance.agent_class,
      capabilities: impedance.capabilities,
      clusterId: impedance.cluster_id,
      sectorId: impedance.sector_id,
      state: 'active',
      supportedModes: ALL_MODES,
      oneWayDelayMs: clock.delay_ms / 2,
      jitterMs: clock.jitter_ms ?? 0,
      confidence: clock.confidence,
      clock: { offsetMs: clock.offset_ms, driftPpm: clock.drift_ppm, atLocalMs: beat.t1 },
    });
  }
}
