/**
 * The page's key sign-in makes its token without node:crypto or crypto.subtle: its SHA-512
 * must equal node's, and its token must be byte for byte the one `mesh-lead api-token` makes
 * from the same key file (Ed25519 signatures are deterministic).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { issueApiToken, toBase64Url as sharedBase64Url } from '@mesh30k/shared';
import { generateKeyFile, nodeEd25519 } from '@mesh30k/shared/node';
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fromBase64Url, makeApiToken, parseKeyFile, toBase64Url } from '../../web/src/key-token.js';
import { sha512 } from '../../web/src/sha512.js';

const dir = mkdtempSync(join(tmpdir(), 'mesh-key-token-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the page SHA-512', () => {
  it('equals node:crypto at every padding edge and across blocks', () => {
    for (const length of [0, 1, 3, 55, 111, 112, 113, 127, 128, 129, 239, 240, 256, 1000]) {
      const bytes = Uint8Array.from({ length }, (_, i) => (i * 131 + length) & 0xff);
      expect(Buffer.from(sha512(bytes)).toString('hex'), `length ${length}`).toBe(createHash('sha512').update(bytes).digest('hex'));
    }
  });
});

describe('base64url', () => {
  it('round-trips and matches shared for every length mod 3', () => {
    for (const length of [0, 1, 2, 3, 31, 32, 33, 64]) {
      const bytes = Uint8Array.from({ length }, (_, i) => (i * 37 + 5) & 0xff);
      expect(toBase64Url(bytes)).toBe(sharedBase64Url(bytes));
      expect([...fromBase64Url(toBase64Url(bytes))]).toEqual([...bytes]);
    }
    expect(() => fromBase64Url('a+b=')).toThrow(/base64url/);
  });
});

describe('the key file and the token', () => {
  it('reads a key file as mesh-lead operator-key writes it and makes the same token as issueApiToken', async () => {
    const path = join(dir, 'cecilia.key');
    const keys = await generateKeyFile(path);
    const privateKey = parseKeyFile(readFileSync(path, 'utf8'));
    expect([...privateKey]).toEqual([...keys.privateKey]);
    const claims = { sub: 'cecilia', role: 'read' as const, iat: 1_800_000_000_000, exp: 1_800_028_800_000 };
    expect(makeApiToken(privateKey, claims)).toBe(await issueApiToken(nodeEd25519.signerSync(keys.privateKey), claims));
  });

  it('refuses a public key file, a mismatched pair and junk, naming the field', async () => {
    const a = await nodeEd25519.generateKeyPair();
    const b = await nodeEd25519.generateKeyPair();
    const text = (o: object) => JSON.stringify(o);
    expect(() => parseKeyFile(text({ kty: 'ed25519', public_key: sharedBase64Url(a.publicKey) }))).toThrow(/private_key: missing/);
    expect(() => parseKeyFile(text({ kty: 'ed25519', private_key: sharedBase64Url(a.privateKey), public_key: sharedBase64Url(b.publicKey) }))).toThrow(/public_key: does not belong/);
    expect(() => parseKeyFile(text({ kty: 'rsa', private_key: 'x', public_key: 'y' }))).toThrow(/kty/);
    expect(() => parseKeyFile(text({ kty: 'ed25519', private_key: 'AAAA', public_key: sharedBase64Url(a.publicKey) }))).toThrow(/private_key: must decode to 32 bytes/);
    expect(() => parseKeyFile('not json')).toThrow(/not JSON/);
    expect(() => makeApiToken(a.privateKey, { sub: 'bad id', role: 'operator', iat: 1, exp: 2 })).toThrow(/operator id/);
  });
});
