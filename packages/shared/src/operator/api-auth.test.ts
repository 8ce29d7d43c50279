import { describe, expect, it } from 'vitest';
import { pickEd25519 } from '../signing/default.js';
import { toBase64Url } from '../signing/encoding.js';
import { apiRequestSigningBytes, issueApiToken, parseApiAuthorization, parseApiToken, signApiRequest, type ApiRequestParts } from './api-auth.js';

const ed = await pickEd25519();
const b64 = (value: unknown): string => toBase64Url(new TextEncoder().encode(typeof value === 'string' ? value : JSON.stringify(value)));
const body = new TextEncoder().encode('{"verb":"act"}');
const parts: ApiRequestParts = { method: 'post', pathAndQuery: '/v1/operations?x=1', timestamp: 1_700_000_000_000, nonce: 'abcdefgh1234', body };

describe('signed API requests', () => {
  it('round-trip: the parsed header verifies against the same request bytes', async () => {
    const pair = await ed.generateKeyPair();
    const header = await signApiRequest(await ed.signer(pair.privateKey), 'ops-1', parts);
    const parsed = parseApiAuthorization(header);
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.value).toMatchObject({ operatorId: 'ops-1', timestamp: parts.timestamp, nonce: parts.nonce });
    expect(await ed.verify(pair.publicKey, apiRequestSigningBytes(parts), parsed.value.signature)).toBe(true);
    // Any change to what was signed breaks the signature.
    for (const changed of [{ ...parts, method: 'GET' }, { ...parts, pathAndQuery: '/v1/operations?x=2' }, { ...parts, timestamp: parts.timestamp + 1 }, { ...parts, body: new TextEncoder().encode('{"verb":"ack"}') }]) {
      expect(await ed.verify(pair.publicKey, apiRequestSigningBytes(changed), parsed.value.signature)).toBe(false);
    }
  });

  it('refuses malformed headers with a message naming the problem', () => {
    const sig = 'A'.repeat(86);
    const cases: [string, RegExp][] = [
      ['Bearer abc', /Mesh-Ed25519/],
      ['Mesh-Ed25519 id=ops-1, ts=12, nonce=abcdefgh', /sig/],
      [`Mesh-Ed25519 id=ops 1, ts=12, nonce=abcdefgh, sig=${sig}`, /id/],
      [`Mesh-Ed25519 id=ops-1, ts=soon, nonce=abcdefgh, sig=${sig}`, /ts/],
      [`Mesh-Ed25519 id=ops-1, ts=12, nonce=abc, sig=${sig}`, /nonce/],
      [`Mesh-Ed25519 id=ops-1, ts=12, nonce=abcdefgh, sig=${sig.slice(1)}`, /sig/],
      [`Mesh-Ed25519 id=ops-1, ts=12, nonce=abcdefgh, sig=${sig}, extra=1`, /extra|unrecognized/i],
      ['Mesh-Ed25519 garbage', /malformed/],
    ];
    for (const [header, message] of cases) {
      const parsed = parseApiAuthorization(header);
      expect(parsed.ok, header).toBe(false);
      if (!parsed.ok) expect(parsed.error.message, header).toMatch(message);
    }
  });
});

describe('derived tokens', () => {
  it('carry the claims and a signature over them', async () => {
    const pair = await ed.generateKeyPair();
    const claims = { sub: 'ops-1', role: 'read' as const, iat: 1_000, exp: 2_000 };
    const token = await issueApiToken(await ed.signer(pair.privateKey), claims);
    const parsed = parseApiToken(token);
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.value.claims).toEqual(claims);
    expect(await ed.verify(pair.publicKey, parsed.value.signingBytes, parsed.value.signature)).toBe(true);
  });

  it('a token whose claims were edited no longer verifies', async () => {
    const pair = await ed.generateKeyPair();
    const token = await issueApiToken(await ed.signer(pair.privateKey), { sub: 'ops-1', role: 'read', iat: 1_000, exp: 2_000 });
    const [prefix, , sig] = token.split('.');
    const forged = `${prefix}.${b64({ sub: 'ops-1', role: 'operator', iat: 1_000, exp: 2_000 })}.${sig}`;
    const parsed = parseApiToken(forged);
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(await ed.verify(pair.publicKey, parsed.value.signingBytes, parsed.value.signature)).toBe(false);
  });

  it('refuses malformed tokens', () => {
    for (const token of ['', 'mt1.x', 'jwt.a.b', 'mt1.!!!.abc', `mt1.${b64({ sub: 'a' })}.${'A'.repeat(86)}`, `mt1.${b64({ sub: 'a', role: 'operator', iat: 1, exp: 2 })}.short`]) {
      expect(parseApiToken(token).ok, token).toBe(false);
    }
  });
});
