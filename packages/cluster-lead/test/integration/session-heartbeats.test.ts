import { SIGNATURE_HEADER, toBase64Url } from '@mesh30k/shared';
import { connect, type NatsConnection } from 'nats';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startNats, type NatsServer } from '../../../../test/harness/index.js';
import { LeadFixture } from '../support/lead-fixture.js';
import { SessionClient, outcomeOf } from '../support/session-client.js';
import type { TestAgent } from '../support/test-agents.js';

/** Session-keyed heartbeats (docs/adr/0004) against a real nats-server and a real lead. */
let nats: NatsServer;
let raw: NatsConnection;
let fx: LeadFixture;
const LIFETIME_MS = 60_000;

beforeAll(async () => {
  nats = await startNats();
  raw = await connect({ servers: nats.url });
});
afterAll(async () => {
  await raw.close();
  await nats.dispose();
});
afterEach(async () => {
  await fx.close();
});

async function start(config: Record<string, unknown> = {}): Promise<void> {
  fx = await LeadFixture.start({ natsUrl: nats.url, config: { heartbeat: { auth: 'session', session_lifetime_ms: LIFETIME_MS }, ingest: { refusals: { per_signer_burst: 100 } }, ...config } });
}
const clientOf = (agent: TestAgent) => new SessionClient(agent, raw, { leadId: fx.config.lead_id, publicKey: fx.leadPublicKey });

describe('session-keyed heartbeats', () => {
  it('good path: a signed handshake, then tagged beats accepted with tagged replies that carry t1/t2/t3; signed beats still accepted', async () => {
    await start();
    const agent = await fx.addAgent({ agentId: 'pi-1' });
    const client = clientOf(agent);
    const session = await client.open();
    expect(session.expiresInMs).toBeGreaterThanOrEqual(LIFETIME_MS * 0.9);
    expect(session.expiresInMs).toBeLessThanOrEqual(LIFETIME_MS * 1.1);
    const beat = await client.tagged(session);
    const answer = await client.send(session, beat);
    expect(outcomeOf(answer)).toBe('accepted');
    if (!('reply' in answer)) throw new Error('unreachable');
    expect(answer.reply.t1).toBe(beat.heartbeat.t1);
    expect(answer.reply.t2).toBe(fx.clock.now());
    expect(answer.reply.t3).toBe(fx.clock.now());
    expect(fx.lead.registry.get('pi-1')).toBeDefined();
    expect(fx.lead.counters.snapshot()).toMatchObject({ accepted_in_session: 1, sessions_opened: 1 });
    const scraped = String((await fx.api.get('/metrics')).body).split('\n');
    expect(scraped).toContain('mesh_lead_agents_in_session 1');
    // A lead in session mode still takes a per-message signed heartbeat.
    expect((await agent.heartbeat()).reply.accepted).toBe(true);
  });

  it('refuses a HELLO signed by another agent\'s key, and a replayed HELLO, and a beat with a wrong tag', async () => {
    await start();
    const [a, b] = await fx.addAgents([{ agentId: 'pi-a' }, { agentId: 'pi-b' }]);
    const impostor = clientOf(a!);
    const realKeys = a!.keys;
    a!.useKeys(b!.keys);
    const wrong = await impostor.hello();
    expect(wrong.answer.headers?.get(SIGNATURE_HEADER)).toBeFalsy();
    expect(JSON.parse(new TextDecoder().decode(wrong.answer.data))).toMatchObject({ ok: false, code: 'BAD_SIGNATURE' });
    a!.useKeys(realKeys);

    const client = clientOf(a!);
    const first = await client.hello();
    const session = await client.finish(first.handshake, first.helloBody, first.answer);
    // The same signed bytes again: refused by id; and no ACCEPT, so no second session.
    const signature = toBase64Url(a!.signer.signSync(first.helloBody));
    const replayed = await client.resend(first.helloBody, signature);
    expect(JSON.parse(new TextDecoder().decode(replayed.data))).toMatchObject({ ok: false, code: 'REPLAYED' });
    expect(fx.lead.counters.handshakesRefusedBy('REPLAYED')).toBe(1);

    const beat = await client.tagged(session);
    const forged = { ...beat, tag: beat.tag.startsWith('A') ? `B${beat.tag.slice(1)}` : `A${beat.tag.slice(1)}` };
    expect(outcomeOf(await client.send(session, forged))).toBe('BAD_TAG');
    // Another agent's session id with its own tag: the tag is under the other session's key.
    const other = await clientOf(b!).open();
    expect(outcomeOf(await client.send(other, await client.tagged(session)))).toBe('BAD_TAG');
    expect(outcomeOf(await client.send(session, beat))).toBe('accepted');
  });

  it('takes a beat once: replayed beats are refused, reordered ones inside the window answered once, older ones refused', async () => {
    await start();
    const agent = await fx.addAgent({ agentId: 'pi-1' });
    const client = clientOf(agent);
    const session = await client.open();
    const early = await client.tagged(session); // seq 0, held back
    const beats = [];
    for (let i = 0; i < 70; i++) beats.push(await client.tagged(session));
    const late = beats[60]!; // seq 61, held back too
    for (const beat of beats) if (beat !== late) expect(outcomeOf(await client.send(session, beat))).toBe('accepted');
    // Sent again: refused, tagged (the lead knows who sent it).
    const again = await client.send(session, beats[69]!);
    expect(outcomeOf(again)).toBe('REPLAYED');
    expect('reply' in again && again.tagged).toBe(true);
    // Reordered inside the window (seq 61, top 70): answered with a clock exchange, once.
    const reordered = await client.send(session, late);
    expect(outcomeOf(reordered)).toBe('accepted');
    expect(fx.lead.counters.reordered).toBe(1);
    expect(outcomeOf(await client.send(session, late))).toBe('REPLAYED');
    // Outside the window (seq 0, 70 behind): refused.
    expect(outcomeOf(await client.send(session, early))).toBe('REPLAYED');
    // The registry kept the newest beat's state, not the reordered one's.
    expect(fx.lead.registry.sequenceOf('pi-1')?.seq).toBe(70);
  });

  it('an expired session is unknown: the agent opens another', async () => {
    await start();
    const agent = await fx.addAgent({ agentId: 'pi-1' });
    const client = clientOf(agent);
    const session = await client.open();
    expect(outcomeOf(await client.beat(session))).toBe('accepted');
    fx.clock.advance(LIFETIME_MS * 1.2);
    expect(outcomeOf(await client.beat(session))).toBe('SESSION_UNKNOWN');
    const next = await client.open();
    expect(outcomeOf(await client.beat(next))).toBe('accepted');
  });

  it('a restarted lead knows no session: SESSION_UNKNOWN to every agent, beyond the lead-wide refusal rate, then a new handshake works', async () => {
    // One refusal answer a second for the whole lead (the manual clock never refills it): every
    // agent must still hear SESSION_UNKNOWN, or it would beat into the void.
    await start({ ingest: { refusals: { per_signer_burst: 100, total_per_s: 1 } } });
    const agents = await fx.addAgents([{ agentId: 'pi-1' }, { agentId: 'pi-2' }, { agentId: 'pi-3' }]);
    const clients = agents.map(clientOf);
    const sessions = await Promise.all(clients.map((c) => c.open()));
    for (const [i, c] of clients.entries()) expect(outcomeOf(await c.beat(sessions[i]!))).toBe('accepted');
    await fx.restart();
    for (const [i, c] of clients.entries()) expect(outcomeOf(await c.beat(sessions[i]!))).toBe('SESSION_UNKNOWN');
    const next = await clients[0]!.open();
    expect(outcomeOf(await clients[0]!.beat(next))).toBe('accepted');
  });

  it('a revoked agent loses its session at once, and cannot open another', async () => {
    await start();
    const [agent, bystander] = await fx.addAgents([{ agentId: 'pi-1' }, { agentId: 'pi-2' }]);
    const client = clientOf(agent!);
    const session = await client.open();
    const other = await clientOf(bystander!).open();
    expect(outcomeOf(await client.beat(session))).toBe('accepted');
    fx.lead.trust.revokeAgent('pi-1');
    expect(outcomeOf(await client.beat(session))).toBe('SESSION_UNKNOWN');
    const hello = await client.hello();
    expect(JSON.parse(new TextDecoder().decode(hello.answer.data))).toMatchObject({ ok: false });
    // Other agents keep theirs.
    expect(outcomeOf(await clientOf(bystander!).beat(other))).toBe('accepted');
  });

  it('a lead with heartbeat.auth ed25519 opens no sessions and answers tagged beats SESSION_UNKNOWN', async () => {
    await start({ heartbeat: { auth: 'ed25519' } });
    const agent = await fx.addAgent({ agentId: 'pi-1' });
    const client = clientOf(agent);
    await expect(client.hello()).rejects.toThrow(/503|no responders/i);
    const fake = { id: 's-none', keys: { agentToLead: new Uint8Array(32), leadToAgent: new Uint8Array(32) }, expiresInMs: 1 };
    expect(outcomeOf(await client.beat(fake))).toBe('SESSION_UNKNOWN');
    expect((await agent.heartbeat()).reply.accepted).toBe(true);
  });
});
