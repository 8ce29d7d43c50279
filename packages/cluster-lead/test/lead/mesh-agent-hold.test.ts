// The e2e test agent's hold timing on its own: 20 agents in one process, one hold COORDINATE,
// and a stand-in lead that spends a fixed CPU slice on every ACK (as the real lead does when it
// verifies one, on the same event loop). The agents' ready stamps must not queue behind that
// work: before the agent stamped first and acked later, the k-th agent's stamp came about k
// slices late, which is the steady several-ms "arrival error" lead-e2e used to report.
import { PROTOCOL_VERSION, READY, SIGNATURE_HEADER, SIGNER_HEADER, encodeMessage, newMessageId, payloadHash, subjects, type Coordinate } from '@mesh30k/shared';
import { nodeEd25519, type NodeSigner } from '@mesh30k/shared/node';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { connect, headers, type NatsConnection } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNats, type NatsServer } from '../../../../test/harness/index.js';
import { createTestRoot } from '../support/test-agents.js';
import { ACK_SEND_DELAY_MS, MeshAgent, SteppingClock } from './support/mesh-agent.js';

const AGENTS = 20;
const LEAD_ID = 'lead-stub';
/** CPU the stand-in lead burns per ACK: 20 of them would spread buggy stamps by ~40 ms. */
const ACK_WORK_MS = 3;
/** Every stamp of one T within this of each other, plus the longest event-loop stall seen (which includes one ACK's work). */
const SPREAD_BOUND_MS = 2;

function busy(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until);
}

describe('MeshAgent hold timing', () => {
  let nats: NatsServer;
  let lead: NatsConnection;
  const agents: MeshAgent[] = [];
  const clock = new SteppingClock();
  let signer: NodeSigner;
  let acks = 0;
  let allAcked: () => void = () => undefined;
  const acked = new Promise<void>((resolve) => (allAcked = resolve));

  beforeAll(async () => {
    nats = await startNats();
    const root = await createTestRoot();
    const pair = await nodeEd25519.generateKeyPair();
    signer = nodeEd25519.signerSync(pair.privateKey);
    for (let i = 0; i < AGENTS; i++) {
      const agent = await MeshAgent.create(
        { agentId: `pi-${i}`, clusterId: 'c1', sectorId: 's1', leadId: LEAD_ID, clock, resolveLeadKey: () => ({ ok: true, value: pair.publicKey }) },
        root,
      );
      await agent.connect(nats.url);
      agents.push(agent);
    }
    lead = await connect({ servers: nats.url });
    lead.subscribe(subjects.ack(LEAD_ID), {
      callback: (_e, msg) => {
        busy(ACK_WORK_MS);
        msg.respond(new TextEncoder().encode('{"ok":true}'));
        if (++acks === AGENTS) allAcked();
      },
    });
    await lead.flush();
  });

  afterAll(async () => {
    for (const agent of agents) await agent.kill();
    await lead?.close();
    await nats?.dispose();
  });

  it('stamps ready for every agent at T before any ACK work runs', async ({ annotate }) => {
    const now = clock.now();
    const T = now + 300;
    const payload = { command: 'arm' };
    const coordinate: Coordinate = {
      v: PROTOCOL_VERSION,
      message_id: newMessageId(now),
      sender_id: LEAD_ID,
      created_at: now,
      ttl_ms: 5_000,
      kind: 'COORDINATE',
      operation_id: 'op-hold-1',
      verb: 'act',
      payload,
      payload_hash: await payloadHash(payload),
      payload_weight: 0,
      target_time: T,
      release_mode: 'hold',
      arrival_window_ms: 50,
      priority: 2,
      requires_capabilities: [],
      selector: { all: true },
      routing_strategy: 'scatter-gather',
      trinary_expectation: READY,
    };
    const frame = await encodeMessage(coordinate, signer, LEAD_ID);
    const h = headers();
    h.set(SIGNER_HEADER, frame.signerId);
    h.set(SIGNATURE_HEADER, frame.signature);
    const loop = monitorEventLoopDelay({ resolution: 1 });
    loop.enable();
    lead.publish(subjects.coordinateGroup(LEAD_ID), frame.body, { headers: h });
    await acked;
    loop.disable();
    const stallMs = loop.max / 1e6;
    const errors = agents.map((a) => a.readyAt.get('op-hold-1')! - T);
    const spread = Math.max(...errors) - Math.min(...errors);
    await annotate(`${AGENTS} agents, ${ACK_WORK_MS} ms of lead work per ACK: ready - T from ${Math.min(...errors).toFixed(2)} to ${Math.max(...errors).toFixed(2)} ms (ACKs ${ACK_SEND_DELAY_MS} ms after the stamp); longest stall ${stallMs.toFixed(1)} ms`);
    expect(agents.flatMap((a) => a.errors)).toEqual([]);
    expect(Math.min(...errors)).toBeGreaterThanOrEqual(0);
    expect(spread).toBeLessThanOrEqual(SPREAD_BOUND_MS + stallMs);
  });
});
