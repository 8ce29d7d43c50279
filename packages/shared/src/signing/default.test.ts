import { describe, expect, it } from 'vitest';
import { pickEd25519, selectEd25519, webCryptoSupportsEd25519 } from './default.js';
import { nobleEd25519 } from './noble.js';
import type { WebCryptoEd25519Options } from './webcrypto.js';
import { webCryptoEd25519 } from './webcrypto.js';

type Subtle = NonNullable<WebCryptoEd25519Options['subtle']>;

describe('pickEd25519', () => {
  it('picks native WebCrypto, which both Node and workerd provide', async () => {
    expect(await pickEd25519()).toBe(webCryptoEd25519);
  });

  it('probes once and returns the same instance afterwards', async () => {
    const [first, second] = await Promise.all([pickEd25519(), pickEd25519()]);
    expect(second).toBe(first);
    expect(pickEd25519()).toBe(pickEd25519());
  });
});

describe('selectEd25519', () => {
  it('selects WebCrypto where it works and noble where it does not', async () => {
    expect(await selectEd25519(crypto.subtle)).toBe(webCryptoEd25519);
    expect(await selectEd25519(undefined)).toBe(nobleEd25519);
  });
});

describe('webCryptoSupportsEd25519', () => {
  it('is true for the runtime WebCrypto', async () => {
    expect(await webCryptoSupportsEd25519(crypto.subtle)).toBe(true);
  });

  it('is false without WebCrypto', async () => {
    expect(await webCryptoSupportsEd25519(undefined)).toBe(false);
  });

  it('is false when the runtime does not know Ed25519', async () => {
    const noEd25519 = {
      importKey: () => Promise.reject(new DOMException('Unrecognized name.', 'NotSupportedError')),
    } as unknown as Subtle;
    expect(await webCryptoSupportsEd25519(noEd25519)).toBe(false);
  });

  it('is false when the runtime gives the wrong answer for a known vector', async () => {
    const real = crypto.subtle;
    const wrong = {
      importKey: (...args: Parameters<Subtle['importKey']>) => real.importKey(...args),
      verify: () => Promise.resolve(false),
    } as unknown as Subtle;
    expect(await webCryptoSupportsEd25519(wrong)).toBe(false);
  });
});
