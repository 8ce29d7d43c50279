/** The Authorization header for each request: a Mesh-Ed25519 signature, or a bearer token. */
import { loadKeyPair } from '@mesh30k/shared/node';
import { createApiSigner } from '../api/client-auth.js';
import { ConsoleError } from './exit-codes.js';
import type { SignInput } from './http-client.js';

export type Credentials =
  | { kind: 'key'; keyFile: string; operatorId: string }
  | { kind: 'token'; token: string }
  | { kind: 'none' };

export type Authorize = (input: SignInput) => Promise<string | undefined>;

/** Loads the key once; each call signs one attempt with a fresh nonce and timestamp. */
export async function authorizer(credentials: Credentials, now: () => number = Date.now): Promise<Authorize> {
  switch (credentials.kind) {
    case 'none':
      return () => Promise.resolve(undefined);
    case 'token': {
      const header = `Bearer ${credentials.token}`;
      return () => Promise.resolve(header);
    }
    case 'key': {
      let privateKey;
      try {
        privateKey = (await loadKeyPair(credentials.keyFile)).privateKey;
      } catch (error) {
        throw new ConsoleError('AUTH', error instanceof Error ? error.message : String(error), { cause: error });
      }
      const signer = createApiSigner({ operatorId: credentials.operatorId, privateKey, now });
      return (input) => signer.authorization(input.method, input.pathAndQuery, input.body);
    }
  }
}
