import { describe, expect, it } from 'vitest';
import type { SessionAccept } from '../protocol/messages.js';
import { AgentHandshake, acceptHello } from '../session/session-handshake.js';
import { deriveSessionKeys, webSessionCrypto, type SessionCrypto } from '../session/session-keys.js';
import { toBase64Url } from '../signing/encoding.js';
import { sampleMessage } from '../testing/messages.js';
import { nodeSessionCrypto } from './node-session-crypto.js';

const encoder = new TextEncoder();
const ids = { agentId: 'agent-1', leadId: 'lead-1' };
const web = webSessionCrypto();

async function handshake(agentCrypto: SessionCrypto, leadCrypto: SessionCrypto) {
  const agent = await AgentHandshake.start(agentCrypto);
  const hello = { ...sampleMessage('SESSION_HELLO', { sender: 'agent-1' }), ...agent.helloFields };
  const helloBody = encoder.encode(JSON.stringify(hello));
  const lead = await acceptHello(hello, helloBody, { leadId: 'lead-1', sessionId: 's-42' }, leadCrypto);
  const accept: SessionAccept = { ...sampleMessage('SESSION_ACCEPT', { sender: 'lead-1' }), agent_id: 'agent-1', ...lead.acceptFields };
  return { agent, helloBody, lead, accept };
}

describe('session key exchange on node:crypto', () => {
  it.each([
    ['WebCrypto', 'node:crypto', web, nodeSessionCrypto],
    ['node:crypto', 'WebCrypto', nodeSessionCrypto, web],
    ['node:crypto', 'node:crypto', nodeSessionCrypto, nodeSessionCrypto],
  ])('agrees with the other side: agent on %s, lead on %s', async (_a, _l, agentCrypto, leadCrypto) => {
    const { agent, helloBody, lead, accept } = await handshake(agentCrypto, leadCrypto);
    const finished = await agent.finish(helloBody, accept, ids);
    expect(finished.ok && finished.keys).toEqual(lead.keys);
    expect(lead.keys.agentToLead).not.toEqual(lead.keys.leadToAgent);
  });

  it('gives the same secret, hash and HKDF output as WebCrypto for the same inputs', async () => {
    const own = await nodeSessionCrypto.newEphemeral();
    const peer = await web.newEphemeral();
    expect(await nodeSessionCrypto.x25519(own, peer.publicKey)).toEqual(await web.x25519(peer, own.publicKey));
    const data = encoder.encode('a HELLO body');
    expect(await nodeSessionCrypto.sha256(data)).toEqual(await web.sha256(data));
    const [ikm, salt, info] = [new Uint8Array(32).fill(1), new Uint8Array(32).fill(2), encoder.encode('info')];
    expect(await nodeSessionCrypto.hkdfSha256(ikm, salt, info, 64)).toEqual(await web.hkdfSha256(ikm, salt, info, 64));
  });

  it('refuses a low-order peer key and one that is not 32 bytes', async () => {
    const own = await nodeSessionCrypto.newEphemeral();
    const binding = { agentId: 'a', leadId: 'l', sessionId: 's', agentNonce: 'AAAA', leadNonce: 'AAAA', transcriptHash: '00' };
    await expect(deriveSessionKeys(own, toBase64Url(new Uint8Array(32)), binding, nodeSessionCrypto)).rejects.toThrow();
    await expect(deriveSessionKeys(own, 'AAAA', binding, nodeSessionCrypto)).rejects.toThrow(/not 32/);
  });
});
