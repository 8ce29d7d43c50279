import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { MeshError, verifyEnrollmentRequest } from '@mesh30k/shared';
import { loadKeyPair, nodeEd25519 } from '@mesh30k/shared/node';
import { publicKeyText } from '@mesh30k/shared';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTempDir } from '../../../../test/harness/index.js';
import type { TempDir } from '../../../../test/harness/index.js';
import { keygen } from './index.js';

let dir: TempDir;
beforeEach(async () => {
  dir = await makeTempDir('mesh30k-keygen-');
});
afterEach(() => dir.dispose());

const identity = { agentId: 'pi-07', class: 'E' as const, capabilities: ['gpio.read'], clusterId: 'c1', now: () => 1_700_000_000_000 };

describe('keygen', () => {
  it('writes a 0600 key pair and a request the mesh verifies', async () => {
    const keyPath = join(dir.path, 'keys', 'agent.key');
    const result = await keygen({ keyPath, ...identity, sectorId: 's1' });
    expect((await stat(keyPath)).mode & 0o777).toBe(0o600);
    const keyPair = await loadKeyPair(keyPath);
    expect(result.publicKey).toBe(publicKeyText(keyPair.publicKey));

    const printed = JSON.parse(result.text) as { public_key: string; enrollment_request: unknown };
    expect(printed.public_key).toBe(result.publicKey);
    const verified = await verifyEnrollmentRequest(nodeEd25519, printed.enrollment_request);
    expect(verified).toEqual({
      ok: true,
      value: {
        v: 1,
        agent_id: 'pi-07',
        public_key: result.publicKey,
        role: 'agent',
        class: 'E',
        capabilities: ['gpio.read'],
        cluster_id: 'c1',
        sector_id: 's1',
        created_at: 1_700_000_000_000,
      },
    });
  });

  it('never replaces an existing key unless told to', async () => {
    const keyPath = join(dir.path, 'agent.key');
    const first = await keygen({ keyPath, ...identity });
    await expect(keygen({ keyPath, ...identity })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect(publicKeyText((await loadKeyPair(keyPath)).publicKey)).toBe(first.publicKey);
    const second = await keygen({ keyPath, ...identity, overwrite: true });
    expect(second.publicKey).not.toBe(first.publicKey);
    expect(publicKeyText((await loadKeyPair(keyPath)).publicKey)).toBe(second.publicKey);
  });

  it('refuses an identity the mesh would not accept before writing anything', async () => {
    const keyPath = join(dir.path, 'agent.key');
    const error = await keygen({ keyPath, ...identity, agentId: 'pi 07' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(MeshError);
    expect(error).toMatchObject({ code: 'INVALID_FIELDS', path: 'agent_id' });
    await expect(stat(keyPath)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
