import { describe, expect, it } from 'vitest';
import { fromHex } from './encoding.js';
import { KEY_ID_LENGTH, keyId } from './key-id.js';
import { RFC8032_VECTORS } from './rfc8032-vectors.js';

const publicKeys = RFC8032_VECTORS.map((vector) => fromHex(vector.publicKey));

describe('keyId', () => {
  it('is base64url of the first 12 bytes of SHA-256 of the key (known answer)', async () => {
    // Computed independently: sha256(TEST 1 public key)[0..12], base64url.
    expect(await keyId(publicKeys[0]!)).toBe('If4x36FUomFia_hU');
  });

  it('is short, url-safe and stable', async () => {
    const id = await keyId(publicKeys[1]!);
    expect(id).toHaveLength(KEY_ID_LENGTH);
    expect(id).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(await keyId(publicKeys[1]!.slice())).toBe(id);
  });

  it('differs between keys', async () => {
    const ids = await Promise.all(publicKeys.map((key) => keyId(key)));
    expect(new Set(ids).size).toBe(publicKeys.length);
  });

  it.each([0, 31, 33])('refuses a %i-byte key with BAD_KEY', async (length) => {
    await expect(keyId(new Uint8Array(length))).rejects.toMatchObject({ code: 'BAD_KEY' });
  });
});
