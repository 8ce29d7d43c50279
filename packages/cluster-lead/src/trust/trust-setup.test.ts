import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ManualClock, PROTOCOL_VERSION, issueEnrollment, keyId, publicKeyText, type KeyPair, type SignedRecord } from '@mesh30k/shared';
import { nodeEd25519 } from '@mesh30k/shared/node';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTempDir, type TempDir } from '../../../../test/harness/index.js';
import { silentLogger } from '../lib/logger.js';
import { LeadStore } from '../store/index.js';
import { TRUST_STATE_KEY, saveTrust, setUpTrust } from './trust-setup.js';

const NOW = 1_800_000_000_000;

let dir: TempDir;
let store: LeadStore;
beforeEach(async () => {
  dir = await makeTempDir('mesh30k-trust-setup-');
  store = LeadStore.open(join(dir.path, 'data'), { busyTimeoutMs: 1_000 });
});
afterEach(async () => {
  store.close();
  await dir.dispose();
});

async function enrollmentFile(root: KeyPair, count: number): Promise<{ path: string; keys: string[] }> {
  const signer = nodeEd25519.signerSync(root.privateKey);
  const envelopes: SignedRecord[] = [];
  const keys: string[] = [];
  for (let i = 0; i < count; i++) {
    const agent = await nodeEd25519.generateKeyPair();
    keys.push(publicKeyText(agent.publicKey));
    const signed = await issueEnrollment(signer, {
      v: PROTOCOL_VERSION, agent_id: `pi-${i}`, public_key: publicKeyText(agent.publicKey), role: 'agent', class: 'E', capabilities: ['sensor.read'],
      cluster_id: 'c1', issued_at: NOW - 1_000, expires_at: NOW + 86_400_000, issuer_key_id: await keyId(root.publicKey),
    });
    if (!signed.ok) throw signed.error;
    envelopes.push(signed.value);
  }
  const path = join(dir.path, 'enrollments.json');
  await writeFile(path, JSON.stringify(envelopes));
  return { path, keys };
}

/** Counts writes of the trust snapshot from now on. */
function countTrustWrites(on: LeadStore): () => number {
  let count = 0;
  const set = on.state.set.bind(on.state);
  on.state.set = (key, value) => {
    if (key === TRUST_STATE_KEY) count++;
    set(key, value);
  };
  return () => count;
}

describe('setUpTrust on a restart', () => {
  it('does not verify again the enrollments it verified before and still trusts; re-checks revoked ones and other roots', async () => {
    const clock = new ManualClock(NOW);
    const root = await nodeEd25519.generateKeyPair();
    const rootText = publicKeyText(root.publicKey);
    const { path, keys } = await enrollmentFile(root, 3);
    const deps = { clock, store, logger: silentLogger() };

    const first = await setUpTrust(deps, { rootPublicKeys: [rootText], enrollmentsPath: path });
    expect(first).toMatchObject({ added: 3, refused: 0, unchanged: 0 });

    const writes = countTrustWrites(store);
    const second = await setUpTrust(deps, { rootPublicKeys: [rootText], enrollmentsPath: path });
    expect(second).toMatchObject({ added: 3, refused: 0, unchanged: 3 });
    for (const key of keys) expect(second.trust.lookupKey(key).ok).toBe(true);
    // Nothing new: the snapshot is not written again.
    expect(writes()).toBe(0);

    // A key revoked since: verified again, and refused.
    second.trust.revokeKey(keys[0]!);
    saveTrust(store, second.trust);
    const third = await setUpTrust(deps, { rootPublicKeys: [rootText], enrollmentsPath: path });
    expect(third).toMatchObject({ added: 2, refused: 1, unchanged: 2 });
    expect(third.trust.lookupKey(keys[0]!).ok).toBe(false);

    // Envelopes of a root no longer configured are not taken as known.
    const other = await nodeEd25519.generateKeyPair();
    const fourth = await setUpTrust(deps, { rootPublicKeys: [publicKeyText(other.publicKey)], enrollmentsPath: path });
    expect(fourth).toMatchObject({ unchanged: 0, refused: 3 });
  });
});
