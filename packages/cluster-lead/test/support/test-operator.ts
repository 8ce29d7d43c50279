/**
 * An API operator for tests that build a lead config by hand: its api.operators entry, and a
 * fetch that signs each request as it (on the test's clock, which the lead also runs on).
 */
import { publicKeyText, type KeyPair } from '@mesh30k/shared';
import { nodeEd25519 } from '@mesh30k/shared/node';
import { createApiSigner } from '../../src/api/client-auth.js';

export const TEST_OPERATOR_ID = 'test-operator';

export interface TestOperator {
  readonly id: string;
  readonly keys: KeyPair;
  /** For the config: `api: { operators: operator.operators }`. */
  readonly operators: { id: string; public_key: string; role: 'operator' | 'read' }[];
  /** fetch() with a Mesh-Ed25519 Authorization header; `init.body` must be a string if given. */
  fetch(url: string, init?: RequestInit): Promise<Response>;
}

export async function createTestOperator(now: () => number = Date.now, role: 'operator' | 'read' = 'operator'): Promise<TestOperator> {
  const keys = await nodeEd25519.generateKeyPair();
  const signer = createApiSigner({ operatorId: TEST_OPERATOR_ID, privateKey: keys.privateKey, now });
  return {
    id: TEST_OPERATOR_ID,
    keys,
    operators: [{ id: TEST_OPERATOR_ID, public_key: publicKeyText(keys.publicKey), role }],
    async fetch(url, init = {}) {
      const target = new URL(url);
      const body = typeof init.body === 'string' ? init.body : undefined;
      const headers = new Headers(init.headers);
      headers.set('authorization', await signer.authorization(init.method ?? 'GET', `${target.pathname}${target.search}`, body));
      return fetch(url, { ...init, headers });
    },
  };
}
