import { describe, expect, it } from 'vitest';
import { nodeHmacSha256 } from '../node/node-hmac.js';
import { sampleMessage } from '../testing/messages.js';
import type { SessionAccept } from '../protocol/messages.js';
import { createWebCryptoHmac } from './hmac.js';
import { AgentHandshake, acceptHello } from './session-handshake.js';
import { toBase64Url } from '../signing/encoding.js';
import { checkSessionTag, sessionTag, sessionTagSync } from './session-tag.js';

const encoder = new TextEncoder();
const ids = { agentId: 'agent-1', leadId: 'lead-1' };

async function handshake() {
  const agent = await AgentHandshake.start();
  const hello = { ...sampleMessage('SESSION_HELLO', { sender: 'agent-1' }), ...agent.helloFields };
  const helloBody = encoder.encode(JSON.stringify(hello));
  const lead = await acceptHello(hello, helloBody, { leadId: 'lead-1', sessionId: 's-42' });
  const accept: SessionAccept = { ...sampleMessage('SESSION_ACCEPT', { sender: 'lead-1' }), agent_id: 'agent-1', ...lead.acceptFields };
  return { agent, hello, helloBody, lead, accept };
}

describe('session key exchange', () => {
  it('gives both sides the same two directional keys, different from each other', async () => {
    const { agent, helloBody, lead, accept } = await handshake();
    const finished = await agent.finish(helloBody, accept, ids);
    expect(finished.ok).toBe(true);
    if (!finished.ok) return;
    expect(finished.keys.agentToLead).toEqual(lead.keys.agentToLead);
    expect(finished.keys.leadToAgent).toEqual(lead.keys.leadToAgent);
    expect(finished.keys.agentToLead).not.toEqual(finished.keys.leadToAgent);
    expect(finished.keys.agentToLead.byteLength).toBe(32);
  });

  it('refuses an ACCEPT of another HELLO, for another agent, or with a bad key', async () => {
    const { agent, helloBody, accept } = await handshake();
    const other = encoder.encode('{"another":"hello"}');
    expect(await agent.finish(other, accept, ids)).toMatchObject({ ok: false, reason: expect.stringMatching(/transcript_hash/) });
    expect(await agent.finish(helloBody, { ...accept, agent_id: 'agent-2' }, ids)).toMatchObject({ ok: false });
    // The all-zero point is of low order: no secret comes of it.
    expect(await agent.finish(helloBody, { ...accept, eph_x25519_pub: 'A'.repeat(43) }, ids)).toMatchObject({ ok: false });
  });

  it('binds the keys to the session id: another session id gives other keys', async () => {
    const { agent, helloBody, lead, accept } = await handshake();
    const finished = await agent.finish(helloBody, { ...accept, session_id: 's-43' }, ids);
    expect(finished.ok && finished.keys.agentToLead).not.toEqual(lead.keys.agentToLead);
  });
});

describe('session tags', () => {
  const key = new Uint8Array(32).fill(7);
  const body = encoder.encode('{"kind":"HEARTBEAT"}');

  it('node:crypto and WebCrypto agree, and a tag checks only for its own bytes, session, seq and key', async () => {
    const web = createWebCryptoHmac();
    const tag = await sessionTag(nodeHmacSha256, key, 's-1', undefined, body);
    expect(await sessionTag(web, key, 's-1', undefined, body)).toBe(tag);
    expect(await checkSessionTag(web, key, 's-1', undefined, body, tag)).toBe(true);
    expect(await checkSessionTag(nodeHmacSha256, key, 's-2', undefined, body, tag)).toBe(false);
    expect(await checkSessionTag(nodeHmacSha256, key, 's-1', 0, body, tag)).toBe(false);
    expect(await checkSessionTag(nodeHmacSha256, new Uint8Array(32), 's-1', undefined, body, tag)).toBe(false);
    const changed = body.slice();
    changed[3] = changed[3]! ^ 1;
    expect(await checkSessionTag(nodeHmacSha256, key, 's-1', undefined, changed, tag)).toBe(false);
    expect(await checkSessionTag(nodeHmacSha256, key, 's-1', undefined, body, 'not base64 !')).toBe(false);
    expect(await checkSessionTag(nodeHmacSha256, key, 's-1', undefined, body, tag.slice(0, 20))).toBe(false);
  });

  it('tags a reply over the beat\'s seq, up to 2^53', async () => {
    const a = await sessionTag(nodeHmacSha256, key, 's-1', 2 ** 40 + 1, body);
    expect(await checkSessionTag(nodeHmacSha256, key, 's-1', 2 ** 40 + 1, body, a)).toBe(true);
    expect(await checkSessionTag(nodeHmacSha256, key, 's-1', 1, body, a)).toBe(false);
  });

  it('the lead\'s synchronous tag, hashed in parts, is the tag of the joined bytes (WebCrypto\'s, and without tagParts)', async () => {
    const web = createWebCryptoHmac();
    const wholeOnly = { name: 'whole', tag: nodeHmacSha256.tag };
    for (const seq of [undefined, 0, 2 ** 40 + 1]) {
      const parts = toBase64Url(sessionTagSync(nodeHmacSha256, key, 's-1', seq, body));
      expect(parts).toBe(await sessionTag(web, key, 's-1', seq, body));
      expect(toBase64Url(sessionTagSync(wholeOnly, key, 's-1', seq, body))).toBe(parts);
    }
    expect(toBase64Url(sessionTagSync(nodeHmacSha256, key, 's-2', 3, body))).not.toBe(toBase64Url(sessionTagSync(nodeHmacSha256, key, 's-1', 3, body)));
  });

  it('the agent\'s tags, over parts or whole, are the HMAC of the id\'s UTF-8 bytes, the marker and the body (ASCII ids and others)', async () => {
    const web = createWebCryptoHmac();
    for (const id of ['s-1', 'Zx_9-AbC', 'sé-1', '会话']) {
      const beatInput = new Uint8Array([...encoder.encode(id), 0, ...body]);
      const expected = toBase64Url(nodeHmacSha256.tag(key, beatInput));
      expect(await sessionTag(nodeHmacSha256, key, id, undefined, body)).toBe(expected);
      expect(await sessionTag(web, key, id, undefined, body)).toBe(expected);
      const replyInput = new Uint8Array([...encoder.encode(id), 1, 0, 0, 0, 0, 0, 0, 1, 2, ...body]);
      const reply = toBase64Url(nodeHmacSha256.tag(key, replyInput));
      expect(await checkSessionTag(nodeHmacSha256, key, id, 258, body, reply)).toBe(true);
      expect(await checkSessionTag(web, key, id, 258, body, reply)).toBe(true);
    }
  });
});
