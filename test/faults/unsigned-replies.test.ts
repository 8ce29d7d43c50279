// Issue 11 item 12: an agent drops an ACK or CONFLICT from its outbox only on a REPLY its lead
// signed for that request. A plain NATS client answering on the lead's subjects (so its answer
// lands on the agent's reply subject) with an unsigned confirmation, one signed by another key,
// or a genuine-looking one for another request, is refused every time, and the entries stay.
// Real nats-server, a daemon-built agent; the lead is the daemon tests' minimal lead. Then the
// real lead: each kind of reply it gives is a REPLY verifiable with its key and bound to the request.
import { SIGNATURE_HEADER, SIGNER_HEADER, encodeMessage, err, newMessageId, ok, PROTOCOL_VERSION, subjects, verifyAndParse, type Ack, type ConflictReport, type KeyRotation, type Reply } from '@mesh30k/shared';
import { nodeEd25519 } from '@mesh30k/shared/node';
import { connect, headers, type Msg, type NatsConnection } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../packages/pi-daemon/test/support/deadline.js';
import { startLeadRig, type LeadRig } from '../../packages/pi-daemon/test/support/lead-rig.js';
import { startRealAgent, type RealAgent } from '../../packages/pi-daemon/test/support/real-agent.js';
import { LeadFixture } from '../../packages/cluster-lead/test/support/lead-fixture.js';
import { makeTempDir, startNats, type NatsServer, type TempDir } from '../harness/index.js';

const AGENT = 'pi-guarded';
type Forgery = 'unsigned' | 'wrong-key' | 'other-request' | 'other-agent';
const FORGERIES: readonly Forgery[] = ['unsigned', 'wrong-key', 'other-request', 'other-agent'];

describe('unsigned or forged replies', () => {
  let rig: LeadRig;
  let dir: TempDir;
  let agent: RealAgent;
  let rogue: NatsConnection;
  const answered: Record<string, number> = { ack: 0, conflict: 0 };
  let forgery: Forgery = 'unsigned';

  beforeAll(async () => {
    rig = await startLeadRig();
    dir = await makeTempDir('mesh30k-fault-replies-');
    agent = await startRealAgent({ mesh: rig.mesh, natsUrl: rig.nats.url, agentId: AGENT, dataDir: dir.path });
    await waitFor(() => agent.agent.status().clock.samples > 0, 'the agent synced with its lead');
    rig.lead.silent = true; // the real lead stays quiet on ACK and CONFLICT; the rogue answers
    const wrongKey = await nodeEd25519.generateKeyPair();
    rogue = await connect({ servers: rig.nats.url });
    const answer = async (msg: Msg, family: 'ack' | 'conflict'): Promise<void> => {
      const request = JSON.parse(new TextDecoder().decode(msg.data)) as { message_id: string; agent_id: string };
      const now = Date.now();
      const reply: Reply = {
        v: PROTOCOL_VERSION,
        message_id: newMessageId(now),
        sender_id: rig.mesh.leadId,
        created_at: now,
        ttl_ms: 30_000,
        kind: 'REPLY',
        in_reply_to: forgery === 'other-request' ? newMessageId(now) : request.message_id,
        to: forgery === 'other-agent' ? 'pi-someone-else' : request.agent_id,
        ok: true,
      };
      if (forgery === 'unsigned') {
        msg.respond(new TextEncoder().encode('{"ok":true}'));
      } else {
        // other-request and other-agent are signed with the lead's own key: only the binding is wrong.
        const key = forgery === 'wrong-key' ? wrongKey.privateKey : rig.mesh.lead.privateKey;
        const frame = await encodeMessage(reply, nodeEd25519.signerSync(key), rig.mesh.leadId);
        const h = headers();
        h.set(SIGNER_HEADER, frame.signerId);
        h.set(SIGNATURE_HEADER, frame.signature);
        msg.respond(frame.body, { headers: h });
      }
      answered[family] = (answered[family] ?? 0) + 1;
    };
    rogue.subscribe(subjects.ack(rig.mesh.leadId), { callback: (_e, msg) => void answer(msg, 'ack') });
    rogue.subscribe(subjects.conflict(rig.mesh.leadId), { callback: (_e, msg) => void answer(msg, 'conflict') });
    await rogue.flush();
  });

  afterAll(async () => {
    await agent?.close();
    await rogue?.close();
    await dir?.dispose();
    await rig?.close();
  });

  it.each(FORGERIES)('a %s confirmation of an ACK or a CONFLICT leaves both in the outbox', async (kind) => {
    forgery = kind;
    const { outbox } = agent.stores;
    const ackBody = { v: PROTOCOL_VERSION, kind: 'ACK', message_id: newMessageId(Date.now()), sender_id: AGENT, created_at: Date.now(), ttl_ms: 30_000, operation_id: `op-${kind}`, coordinate_id: newMessageId(Date.now()), agent_id: AGENT, trinary_state: 1, release_mode: 'none', received_at_local: 1, ready_at_local: 2, ready_at_mesh: 2, processing_ms: 1, late: false };
    const conflictId = newMessageId(Date.now());
    const conflictBody = { v: PROTOCOL_VERSION, kind: 'CONFLICT', message_id: conflictId, sender_id: AGENT, created_at: Date.now(), ttl_ms: 30_000, conflict_id: conflictId, agent_id: AGENT, conflict_type: 'OTHER', priority: 2, detail: { type: 'OTHER', expected_value: 'a', received_value: 'b', context_hash: '0'.repeat(64), affects_agent_count: 1, detail: 'x' } };
    const seqs = outbox.enqueue([
      { kind: 'ACK', priority: 2, body: JSON.stringify(ackBody), stream: `ack:op-${kind}` },
      { kind: 'CONFLICT', priority: 2, body: JSON.stringify(conflictBody) },
    ]);
    const start = { ack: answered.ack!, conflict: answered.conflict! };
    const deferredBefore = agent.agent.status().counters.outboxDeferred;
    // Each entry offered at least twice: the forged answer was not taken as a confirmation.
    await waitFor(() => answered.ack! >= start.ack + 2 && answered.conflict! >= start.conflict + 2, 'two forged answers to each', 15_000);
    await waitFor(() => agent.agent.status().counters.outboxDeferred >= deferredBefore + 4, 'the agent to refuse them');
    const kept = outbox.peek(100).map((entry) => entry.seq);
    expect(kept).toEqual(expect.arrayContaining(seqs));
    expect(outbox.deadLetterStats().count).toBe(0);
    expect(agent.events('outbox.deferred').some((line) => line.code === 'UNTRUSTED_REPLY')).toBe(true);
    expect(agent.agent.status().counters.outboxReplayed).toBe(0);
  });

  it('the kept entries are delivered once the real lead answers, with its signed REPLY', async () => {
    await rogue.drain();
    rig.lead.silent = false;
    await waitFor(() => agent.stores.outbox.stats().depth === 0, 'the outbox to empty', 15_000);
    expect(rig.lead.conflicts.size).toBe(FORGERIES.length);
    expect(agent.agent.status().counters.outboxReplayed).toBe(2 * FORGERIES.length);
  });
});

describe('the lead signs every reply that lets a peer drop or change state', () => {
  let nats: NatsServer;
  let fx: LeadFixture;

  beforeAll(async () => {
    nats = await startNats();
    fx = await LeadFixture.start({ natsUrl: nats.url });
  });

  afterAll(async () => {
    await fx?.close();
    await nats?.dispose();
  });

  /** The answer, verified as a REPLY the lead signed for `request` to its sender. */
  async function signedVerdict(answer: Msg, request: { message_id: string; sender_id: string }) {
    const verified = await verifyAndParse(
      { body: answer.data, signerId: answer.headers?.get(SIGNER_HEADER), signature: answer.headers?.get(SIGNATURE_HEADER) },
      { ed25519: nodeEd25519, resolveKey: (id) => (id === fx.config.lead_id ? ok(fx.leadPublicKey) : err({ code: 'UNKNOWN_SIGNER', message: id })), accept: ['REPLY'] },
    );
    if (!verified.ok) throw new Error(`${verified.error.code}: ${verified.error.message}`);
    const reply = verified.value.message as Reply;
    expect(reply).toMatchObject({ in_reply_to: request.message_id, to: request.sender_id });
    return reply;
  }

  it('the ACK confirmation (here a permanent refusal), the conflict intake reply and a key announcement reply', async () => {
    const agent = await fx.addAgent({ agentId: 'pi-signed' });
    await agent.heartbeat();
    const now = fx.clock.now();
    const header = (kind: string) => ({ v: PROTOCOL_VERSION, message_id: newMessageId(now), sender_id: 'pi-signed', created_at: now, ttl_ms: 10_000, kind });

    const ack = { ...header('ACK'), operation_id: 'op-never', coordinate_id: newMessageId(now), agent_id: 'pi-signed', trinary_state: 1, release_mode: 'none', received_at_local: now, ready_at_local: now, ready_at_mesh: now, processing_ms: 1, late: true } as Ack;
    const ackReply = await signedVerdict(await agent.requestOn(subjects.ack(fx.config.lead_id), await encodeMessage(ack, agent.signer, 'pi-signed')), ack);
    expect(ackReply).toMatchObject({ ok: false, code: 'UNKNOWN_OPERATION' });

    const conflictId = newMessageId(now);
    const conflict = { ...header('CONFLICT'), message_id: conflictId, conflict_id: conflictId, agent_id: 'pi-signed', conflict_type: 'OTHER', priority: 2, detail: { type: 'OTHER', expected_value: 'a', received_value: 'b', context_hash: '0'.repeat(64), affects_agent_count: 1, detail: 'x' } } as ConflictReport;
    expect(await signedVerdict(await agent.requestOn(subjects.conflict(fx.config.lead_id), await encodeMessage(conflict, agent.signer, 'pi-signed')), conflict)).toMatchObject({ ok: true });

    const rotation = { ...header('KEY_ROTATION'), rotation: { bytes: 'e30', signature: 'A'.repeat(86), signer_key_id: 'nobody' } } as KeyRotation;
    expect(await signedVerdict(await agent.requestOn(subjects.enroll(fx.config.lead_id), await encodeMessage(rotation, agent.signer, 'pi-signed')), rotation)).toMatchObject({ ok: false });
  });

  it('answers a request it could not authenticate without a signature, which no agent acts on', async () => {
    const agent = await fx.addAgent({ agentId: 'pi-unsigned' });
    const answer = await agent.requestOn(subjects.ack(fx.config.lead_id), { body: new TextEncoder().encode('{}'), signerId: 'pi-unsigned', signature: 'A'.repeat(86) });
    expect(answer.headers?.get(SIGNATURE_HEADER)).toBeUndefined();
    expect(JSON.parse(new TextDecoder().decode(answer.data))).toMatchObject({ ok: false, code: 'BAD_SIGNATURE' });
  });
});
