/**
 * Chooses the Ed25519 implementation for the current runtime: native WebCrypto where it
 * supports Ed25519 (workerd, Node, recent browsers), otherwise the portable noble code.
 */
import { fromHex } from './encoding.js';
import { nobleEd25519 } from './noble.js';
import { createWebCryptoEd25519, webCryptoEd25519 } from './webcrypto.js';
import type { WebCryptoEd25519Options } from './webcrypto.js';
import type { Ed25519 } from './types.js';

/**
 * RFC 8032 section 7.1 TEST 1 (empty message). The probe verifies a known answer rather than
 * just importing a key, so a runtime whose Ed25519 exists but gives wrong answers is not used.
 */
const PROBE_PUBLIC_KEY = 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a';
const PROBE_SIGNATURE =
  'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b';

/**
 * True when `subtle` verifies Ed25519 correctly. Never throws; a missing `subtle` gives false.
 * The probe uses its own one-entry instance so the probe key never sits in a shared cache.
 */
export async function webCryptoSupportsEd25519(subtle: WebCryptoEd25519Options['subtle'] | undefined): Promise<boolean> {
  if (subtle === undefined) return false;
  const probe = createWebCryptoEd25519({ subtle, cacheCapacity: 1 });
  return probe.verify(fromHex(PROBE_PUBLIC_KEY), new Uint8Array(0), fromHex(PROBE_SIGNATURE));
}

/** WebCrypto when `subtle` passes the probe, noble otherwise. Probes on every call. */
export async function selectEd25519(subtle: WebCryptoEd25519Options['subtle'] | undefined): Promise<Ed25519> {
  return (await webCryptoSupportsEd25519(subtle)) ? webCryptoEd25519 : nobleEd25519;
}

let picked: Promise<Ed25519> | undefined;

/** The best Ed25519 for this runtime; probes the global WebCrypto once per process (or isolate). */
export function pickEd25519(): Promise<Ed25519> {
  picked ??= selectEd25519(globalSubtle());
  return picked;
}

function globalSubtle(): WebCryptoEd25519Options['subtle'] | undefined {
  // Typed as always present, but absent in insecure browser contexts and some embedders.
  const webCrypto = (globalThis as { crypto?: { subtle?: WebCryptoEd25519Options['subtle'] } }).crypto;
  return webCrypto?.subtle;
}
