import { describe, expect, it } from 'vitest';
import { describeEd25519Contract } from './ed25519-contract.js';
import { fromHex } from './encoding.js';
import { RFC8032_VECTORS } from './rfc8032-vectors.js';
import { createWebCryptoEd25519, webCryptoEd25519 } from './webcrypto.js';
import type { WebCryptoEd25519Options } from './webcrypto.js';

describeEd25519Contract(webCryptoEd25519);

type Subtle = NonNullable<WebCryptoEd25519Options['subtle']>;

const decode = (i: number) => {
  const vector = RFC8032_VECTORS[i]!;
  return {
    publicKey: fromHex(vector.publicKey),
    message: fromHex(vector.message),
    signature: fromHex(vector.signature),
  };
};

describe('webcrypto: public key cache', () => {
  it('imports a public key once for 100 verifies', async () => {
    const impl = createWebCryptoEd25519();
    const { publicKey, message, signature } = decode(2);
    for (let i = 0; i < 100; i++) expect(await impl.verify(publicKey, message, signature)).toBe(true);
    expect(impl.stats()).toMatchObject({ imports: 1, hits: 99, size: 1 });
  });

  it('shares one import among concurrent verifies of a new key', async () => {
    const impl = createWebCryptoEd25519();
    const { publicKey, message, signature } = decode(1);
    const results = await Promise.all(Array.from({ length: 10 }, () => impl.verify(publicKey, message, signature)));
    expect(results).toEqual(Array.from({ length: 10 }, () => true));
    expect(impl.stats().imports).toBe(1);
  });

  it('keys the cache by the key bytes, not by the array object', async () => {
    const impl = createWebCryptoEd25519();
    const { publicKey, message, signature } = decode(0);
    expect(await impl.verify(publicKey.slice(), message, signature)).toBe(true);
    expect(await impl.verify(publicKey.slice(), message, signature)).toBe(true);
    expect(impl.stats().imports).toBe(1);
  });

  it('evicts the least recently used key beyond its capacity', async () => {
    const impl = createWebCryptoEd25519({ cacheCapacity: 2 });
    const [a, b, c] = [decode(0), decode(1), decode(2)];
    const check = async (v: typeof a) => expect(await impl.verify(v.publicKey, v.message, v.signature)).toBe(true);
    await check(a);
    await check(b);
    await check(a); // a is now the most recently used, so b goes first
    await check(c);
    expect(impl.stats()).toMatchObject({ imports: 3, evictions: 1, size: 2 });
    await check(a);
    expect(impl.stats().imports).toBe(3);
    await check(b);
    expect(impl.stats().imports).toBe(4);
  });

  it('does not cache a key whose import failed', async () => {
    let failNextImport = true;
    const real = crypto.subtle;
    const flaky = {
      importKey: (...args: Parameters<Subtle['importKey']>) => {
        if (failNextImport) {
          failNextImport = false;
          return Promise.reject(new Error('simulated import failure'));
        }
        return real.importKey(...args);
      },
      verify: (...args: Parameters<Subtle['verify']>) => real.verify(...args),
    } as unknown as Subtle;
    const impl = createWebCryptoEd25519({ subtle: flaky });
    const { publicKey, message, signature } = decode(2);
    expect(await impl.verify(publicKey, message, signature)).toBe(false);
    expect(await impl.verify(publicKey, message, signature)).toBe(true);
    expect(impl.stats()).toMatchObject({ imports: 2, size: 1 });
  });

  it('returns false when the runtime throws instead of rejecting', async () => {
    const throwing = {
      importKey: () => {
        throw new Error('simulated synchronous failure');
      },
    } as unknown as Subtle;
    const impl = createWebCryptoEd25519({ subtle: throwing });
    const { publicKey, message, signature } = decode(2);
    await expect(impl.verify(publicKey, message, signature)).resolves.toBe(false);
  });
});
